// The production build carries no test or bench hooks: the browser tests and the bench
// read the app through what it shows anyway (roles, names, data-screen/data-phase), the
// wire and init scripts, never through globals or attributes the app would ship.
// Builds exactly what `npm run deploy` uploads (build({ deploy: true })) into a temp folder.
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { build } from '../../scripts/build.mjs';

/** What must never reach a person's browser: test instrumentation, bench counters, debugging hooks. */
const HOOKS = ['__duetMetrics', 'data-duet', 'dataset.duet', '__BENCH__', '__bench', '__pcs', '__duetTest', '__EMULATORS__', 'emulators:exec'];

const files = (dir: string): string[] =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? files(p) : [p];
  });

describe('the production build', () => {
  const out = mkdtempSync(join(tmpdir(), 'duet-deploy-build-'));
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it('ships no test or bench hooks in its scripts and page', async () => {
    await build({ deploy: true, outdir: out, quiet: true });
    const shipped = files(out).filter((f) => /\.(js|html|mjs)$/.test(f));
    expect(shipped.some((f) => f.endsWith('.js'))).toBe(true);
    const found: string[] = [];
    for (const file of shipped) {
      const text = readFileSync(file, 'utf8');
      for (const hook of HOOKS) if (text.includes(hook)) found.push(`${relative(out, file)}: ${hook}`);
    }
    expect(found).toEqual([]);
  });
});
