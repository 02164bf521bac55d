// `npm run bench -- --against REF`: REF's build, served beside the Hosting emulator so the bench
// can interleave calls of both builds in one run (same emulators, same machine load, same floor).
//
// Every request is asked of the Hosting emulator first, so the page gets the headers Hosting
// gives (CSP, caching) and its reserved URLs (/__/firebase/init.json, /api/*); where REF's build
// has the file, its bytes replace the answer. Both builds talk to the same emulators (the ports
// are compiled in), under the working tree's firestore.rules.
import { createServer } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { extname, join, normalize } from 'node:path';
import { BASE_URL } from '../drive/people.mjs';

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.webmanifest': 'application/manifest+json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
  '.map': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
};
// Headers that describe Hosting's own bytes, not the ones served instead.
const BYTES = /^(content-length|content-encoding|transfer-encoding|connection|keep-alive|etag|last-modified)$/i;

/** Serves `dir` on 127.0.0.1 (a free port); resolves with its origin and a close(). */
export async function serveBuild(dir) {
  const server = createServer((req, res) => {
    handle(dir, req, res).catch((e) => {
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(String(e));
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

async function handle(dir, req, res) {
  const url = new URL(req.url ?? '/', 'http://x');
  const body = req.method === 'GET' || req.method === 'HEAD' ? undefined : await new Promise((resolve) => {
    const parts = [];
    req.on('data', (c) => parts.push(c));
    req.on('end', () => resolve(Buffer.concat(parts)));
  });
  const forward = Object.fromEntries(['accept', 'content-type', 'authorization'].filter((h) => req.headers[h]).map((h) => [h, req.headers[h]]));
  const upstream = await fetch(new URL(url.pathname + url.search, BASE_URL), { method: req.method, headers: forward, body });
  const local = await localFile(dir, url.pathname);
  const headers = Object.fromEntries([...upstream.headers].filter(([k]) => !BYTES.test(k)));
  if (!local) {
    res.writeHead(upstream.status, headers);
    res.end(req.method === 'HEAD' ? undefined : Buffer.from(await upstream.arrayBuffer()));
    return;
  }
  await upstream.arrayBuffer().catch(() => {});
  // Hosting's headers only where it served that path too (a file of REF's alone gets just its type).
  res.writeHead(200, { ...(upstream.ok ? headers : {}), 'content-type': TYPES[extname(local)] ?? 'application/octet-stream' });
  res.end(req.method === 'HEAD' ? undefined : await readFile(local));
}

/** The build's file for a URL path ('/' is index.html), or null. */
async function localFile(dir, pathname) {
  const path = normalize(decodeURIComponent(pathname === '/' ? '/index.html' : pathname));
  if (path.includes('..')) return null;
  const file = join(dir, path);
  return (await stat(file).catch(() => null))?.isFile() ? file : null;
}
