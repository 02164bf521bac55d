// What a build makes the browser download, read from the esbuild metafile that
// scripts/build.mjs writes next to the build (<outdir>/.meta.json).
//
// "Before the room prompt" is what the browser must fetch and run before the
// room-name field is usable: index.html, the CSS entry, the main entry and
// every chunk it imports statically (transitively). Chunks reached only through
// import() (Firebase) load in parallel with the camera prompt and are not in it.
//
// Used by `npm run bench` (the load table) and by test/unit/budgets.test.ts
// (the size budgets), so both count the same bytes the same way.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Compressed sizes as a static host would serve them: gzip -9 and brotli quality 11. */
export function compressedSizes(buffer) {
  return {
    raw: buffer.length,
    gzip: gzipSync(buffer, { level: 9 }).length,
    brotli: brotliCompressSync(buffer, {
      params: {
        [constants.BROTLI_PARAM_QUALITY]: 11,
        [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
        [constants.BROTLI_PARAM_SIZE_HINT]: buffer.length,
      },
    }).length,
  };
}

const sum = (files) =>
  files.reduce((t, f) => ({ raw: t.raw + f.raw, gzip: t.gzip + f.gzip, brotli: t.brotli + f.brotli }), { raw: 0, gzip: 0, brotli: 0 });

/**
 * Reads <outdir>/.meta.json and measures every output.
 * `root` is esbuild's absWorkingDir (the repo): metafile paths are relative to it.
 */
export function measureBuild({ root, outdir }) {
  const metaPath = join(outdir, '.meta.json');
  const meta = JSON.parse(readFileSync(metaPath, 'utf8'));
  const outputs = meta.metafile.outputs;
  const servedPath = (key) => '/' + join(root, key).slice(outdir.length + 1);
  const keyOf = (served) => {
    const key = Object.keys(outputs).find((k) => servedPath(k) === served);
    if (!key) throw new Error(`${served} is not in ${metaPath}`);
    return key;
  };

  const file = (key, kind) => ({ path: servedPath(key), kind, ...compressedSizes(readFileSync(join(root, key))) });

  // The main entry and its static imports, transitively.
  const prePromptJs = [];
  const pending = [keyOf(meta.mainJs)];
  const seen = new Set();
  while (pending.length) {
    const key = pending.shift();
    if (seen.has(key)) continue;
    seen.add(key);
    prePromptJs.push(file(key, 'js'));
    for (const imp of outputs[key].imports ?? []) {
      if (imp.kind === 'import-statement' && !imp.external) pending.push(imp.path);
    }
  }
  const allJs = Object.keys(outputs)
    .filter((k) => k.endsWith('.js'))
    .map((k) => file(k, 'js'));
  const css = file(keyOf(meta.appCss), 'css');
  const allCss = Object.keys(outputs)
    .filter((k) => k.endsWith('.css'))
    .map((k) => file(k, 'css'));
  const htmlBuffer = readFileSync(join(outdir, 'index.html'));
  const html = { path: '/index.html', kind: 'html', ...compressedSizes(htmlBuffer) };

  return {
    prePrompt: {
      js: sum(prePromptJs),
      css: sum([css]),
      html: sum([html]),
      all: sum([...prePromptJs, css, html]),
      files: [html, css, ...prePromptJs].map((f) => f.path),
      /** Source files bundled into the pre-prompt JS (repo-relative). */
      inputs: [...seen].flatMap((key) => Object.keys(outputs[key].inputs ?? {})),
    },
    total: {
      js: sum(allJs),
      css: sum(allCss),
      html: sum([html]),
      all: sum([...allJs, ...allCss, html]),
    },
    files: [html, ...allCss, ...allJs],
  };
}
