// Builds the app into dist/: bundles src/ with esbuild (code-split, content-hashed),
// copies public/, writes index.html, and generates the service worker (workbox-build).
//
//   node scripts/build.mjs            app for the local emulators (npm start, npm test)
//   node scripts/build.mjs --deploy   app for a real Firebase project (npm run deploy)
import * as esbuild from 'esbuild';
import { generateSW } from 'workbox-build';
import { cp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { join, relative } from 'node:path';

const root = fileURLToPath(new URL('..', import.meta.url));
const dist = join(root, 'dist');

export async function build({ deploy = false, quiet = false, outdir = dist } = {}) {
  const started = performance.now();
  const firebaseJson = JSON.parse(await readFile(join(root, 'firebase.json'), 'utf8'));
  const emulators = deploy
    ? null
    : { auth: firebaseJson.emulators.auth.port, firestore: firebaseJson.emulators.firestore.port };

  await rm(outdir, { recursive: true, force: true });
  await mkdir(outdir, { recursive: true });
  await cp(join(root, 'public'), outdir, { recursive: true });

  const result = await esbuild.build({
    absWorkingDir: root,
    entryPoints: { main: 'src/main.ts', app: 'src/styles/app.css' },
    outdir,
    entryNames: 'assets/[name]-[hash]',
    chunkNames: 'assets/[name]-[hash]',
    assetNames: 'assets/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    target: ['chrome111', 'firefox115', 'safari16.4'],
    minify: true,
    sourcemap: 'linked',
    metafile: true,
    legalComments: 'none',
    // public/ files keep their paths (fonts, icons); everything bundled gets a content hash.
    external: ['/fonts/*', '/icons/*'],
    define: {
      __EMULATORS__: JSON.stringify(emulators),
    },
    logLevel: quiet ? 'error' : 'warning',
  });

  const outputs = Object.entries(result.metafile.outputs);
  const find = (entry) => {
    const hit = outputs.find(([, o]) => o.entryPoint === entry);
    if (!hit) throw new Error(`no output for ${entry}`);
    return '/' + relative(outdir, join(root, hit[0]));
  };
  const mainJs = find('src/main.ts');
  const appCss = find('src/styles/app.css');

  const html = (await readFile(join(root, 'src/index.html'), 'utf8'))
    .replace('<!--STYLES-->', `<link rel="stylesheet" href="${appCss}" />`)
    .replace(
      '<!--SCRIPTS-->',
      // Chunks main.js imports statically are announced up front: otherwise the browser
      // learns of them only after main.js arrives (one more round trip before the prompt).
      [
        ...staticImports(result.metafile, mainJs, outdir).map((href) => `<link rel="modulepreload" href="${href}" />`),
        `<script type="module" src="${mainJs}"></script>`,
      ].join('\n    '),
    );
  await writeFile(join(outdir, 'index.html'), html);
  // For size budgets and the bench (hosting ignores dot files).
  await writeFile(join(outdir, '.meta.json'), JSON.stringify({ mainJs, appCss, metafile: result.metafile }));

  // The service worker (docs/PWA.md). It precaches the app shell: index.html, every
  // hashed bundle (the lazily loaded Firestore chunk included), the stylesheet, icons,
  // font and manifest, so the installed app starts without a network.
  // Firestore and Auth are never cached: they live on other origins (googleapis.com, or
  // the emulators' ports), and the worker has no route for any other origin, so their
  // requests go straight to the network. Only two same-origin config files get a
  // network-first runtime cache.
  const sw = await generateSW({
    globDirectory: outdir,
    globPatterns: ['index.html', 'assets/**/*.{js,css,woff2,svg}', 'icons/*.{png,svg}', 'fonts/*.woff2', 'manifest.webmanifest'],
    swDest: join(outdir, 'sw.js'),
    // Hashed file names change with their content: no need for a cache-busting query.
    dontCacheBustURLsMatching: /^assets\//,
    navigateFallback: '/index.html',
    navigateFallbackDenylist: [/^\/__\//],
    // A new version waits until the person chooses to reload: the generated worker then
    // listens for {type: 'SKIP_WAITING'} (see src/sw-bridge.ts). Never forced mid-call.
    skipWaiting: false,
    clientsClaim: true,
    cleanupOutdatedCaches: true,
    sourcemap: false,
    inlineWorkboxRuntime: true,
    // A tap on the arrival notification brings the call back (public/sw-notify.js).
    importScripts: ['sw-notify.js'],
    mode: 'production',
    runtimeCaching: [
      {
        // The Firebase web config (served by Hosting) and the ICE servers: fresh when
        // online (a deployment may change TURN servers without a new build), the last
        // copy when not, so the installed app starts and can say it is offline.
        urlPattern: ({ url, sameOrigin }) => sameOrigin && (url.pathname === '/__/firebase/init.json' || url.pathname === '/ice-servers.json'),
        handler: 'NetworkFirst',
        options: { cacheName: 'duet-config', networkTimeoutSeconds: 3 },
      },
    ],
  });

  const ms = Math.round(performance.now() - started);
  if (!quiet) {
    console.log(`built dist/ in ${ms} ms (${deploy ? 'deploy' : 'emulators'}); precache: ${sw.count} files, ${(sw.size / 1024).toFixed(1)} KiB`);
  }
  return { metafile: result.metafile, mainJs, appCss, precache: { count: sw.count, size: sw.size } };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const args = new Set(process.argv.slice(2));
  await build({ deploy: args.has('--deploy') });
}

/** The chunks an output imports statically (transitively), as absolute URLs. */
function staticImports(metafile, entryUrl, outdir) {
  const seen = new Set();
  const visit = (path) => {
    for (const imp of metafile.outputs[path]?.imports ?? []) {
      if (imp.kind !== 'import-statement' || seen.has(imp.path)) continue;
      seen.add(imp.path);
      visit(imp.path);
    }
  };
  visit(relative(root, join(outdir, entryUrl)));
  return [...seen].map((p) => '/' + relative(outdir, join(root, p)));
}

