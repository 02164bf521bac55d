// Chromium reads only the last --disable-features it gets, and Playwright passes its own list
// before ours (scripts/chromium.mjs): ours must carry all of Playwright's, or a Playwright
// update would quietly switch its choices back on (PaintHolding, HTTPS upgrades, ...).
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DISABLED_FEATURES, chromiumArgs } from '../../scripts/chromium.mjs';

/** The feature names in the installed Playwright's `disabledFeatures = [...]`. */
function playwrightDisabledFeatures(): string[] {
  const root = dirname(createRequire(import.meta.url).resolve('playwright-core/package.json'));
  const bundle = readFileSync(join(root, 'lib', 'coreBundle.js'), 'utf8');
  const list = /disabledFeatures = \[([^\]]*)\]/.exec(bundle)?.[1];
  if (!list) throw new Error('Playwright’s disabledFeatures list was not found in playwright-core/lib/coreBundle.js');
  return [...list.replace(/\/\/.*$/gm, '').matchAll(/"([A-Za-z]+)"/g)].map((m) => m[1]!);
}

describe('Chromium’s --disable-features', () => {
  it('repeats every feature the installed Playwright disables', () => {
    const playwright = playwrightDisabledFeatures();
    expect(playwright.length).toBeGreaterThan(5);
    expect(playwright.filter((f) => !DISABLED_FEATURES.includes(f))).toEqual([]);
  });

  it('is passed once, with the omnibox popup renderers off', () => {
    const lists = chromiumArgs().filter((a) => a.startsWith('--disable-features='));
    expect(lists).toHaveLength(1);
    expect(lists[0]!.split('=')[1]!.split(',')).toEqual(expect.arrayContaining(['WebUIOmniboxPopup', 'WebUIOmniboxAimPopup']));
  });
});
