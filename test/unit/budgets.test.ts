// Size budgets (budgets.json), proven on the build that `npm test` makes before vitest runs.
// Sizes are deterministic, so they can fail a test; timings never do (see `npm run bench`).
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { measureBuild } from '../../scripts/bench/sizes.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dist = join(root, 'dist');
const budgets = JSON.parse(readFileSync(join(root, 'budgets.json'), 'utf8')) as Record<string, { bytes: number }>;
const budget = (name: string): number => {
  const b = budgets[name]?.bytes;
  if (typeof b !== 'number') throw new Error(`budgets.json has no ${name}.bytes`);
  return b;
};

let measured: ReturnType<typeof measureBuild> | null = null;
function sizes(): ReturnType<typeof measureBuild> {
  if (measured) return measured;
  if (!existsSync(join(dist, '.meta.json'))) {
    throw new Error('dist/.meta.json is missing: build first with `node scripts/build.mjs` (`npm test` builds before vitest runs).');
  }
  try {
    measured = measureBuild({ root, outdir: dist });
  } catch (e) {
    throw new Error(`dist/ does not match its .meta.json (rebuilt meanwhile?): build again with \`node scripts/build.mjs\`. ${String(e)}`);
  }
  return measured;
}

const kB = (bytes: number) => `${(bytes / 1000).toFixed(1)} kB`;

describe('size budgets (budgets.json, gzip -9)', () => {
  it(`the JS before the room prompt stays within ${kB(budget('prePromptJsGzip'))}`, () => {
    const { prePrompt } = sizes();
    expect(prePrompt.js.gzip, `pre-prompt JS (${prePrompt.files.filter((f) => f.endsWith('.js')).join(', ')}) is ${kB(prePrompt.js.gzip)}`).toBeLessThanOrEqual(
      budget('prePromptJsGzip'),
    );
  });

  it(`all the app's JS stays within ${kB(budget('totalJsGzip'))}`, () => {
    const { total, files } = sizes();
    const list = files
      .filter((f) => f.kind === 'js')
      .map((f) => `${f.path} ${kB(f.gzip)}`)
      .join(', ');
    expect(total.js.gzip, `total JS is ${kB(total.js.gzip)} (${list})`).toBeLessThanOrEqual(budget('totalJsGzip'));
  });

  it('no Firebase code in the JS before the room prompt (it loads lazily, in parallel with the camera prompt)', () => {
    // The pre-prompt budget holds only while Firebase stays behind import(); this names the cause when it breaks.
    const firebase = sizes().prePrompt.inputs.filter((path) => /node_modules\/(@firebase|firebase)\//.test(path));
    expect(firebase).toEqual([]);
  });
});
