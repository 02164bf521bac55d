#!/usr/bin/env node
// Renders the PNG app icons from the SVG sources in public/icons/ by screenshotting
// them in headless Chromium (playwright-core, no browser download).
//
//   node scripts/render-icons.mjs
//
// Chromium is taken from $CHROMIUM_PATH, else /usr/bin/chromium.
// The PNGs are checked in; rerun this after editing an SVG.
import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { deflateSync, inflateSync } from 'node:zlib';
import { chromium } from 'playwright-core';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const iconsDir = join(root, 'public', 'icons');
const BG = '#16121B'; // --bg; fills anything that must be opaque

/** name, source svg, pixel size, opaque (no alpha channel at all) */
const targets = [
  ['icon-192.png', 'icon.svg', 192, false],
  ['icon-512.png', 'icon.svg', 512, false],
  ['maskable-192.png', 'maskable.svg', 192, true],
  ['maskable-512.png', 'maskable.svg', 512, true],
  ['apple-touch-icon.png', 'maskable.svg', 180, true],
  ['favicon-32.png', 'favicon.svg', 32, false],
];

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM_PATH || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--headless', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
try {
  for (const [name, source, size, opaque] of targets) {
    const svg = await readFile(join(iconsDir, source));
    const page = await browser.newPage({ viewport: { width: size, height: size }, deviceScaleFactor: 1 });
    const src = `data:image/svg+xml;base64,${svg.toString('base64')}`;
    await page.setContent(
      `<!doctype html><style>html,body{margin:0;background:${opaque ? BG : 'transparent'}}` +
      `img{display:block;width:${size}px;height:${size}px}</style><img alt="" src="${src}">`);
    await page.evaluate(() => document.querySelector('img').decode());
    let png = await page.screenshot({ type: 'png', omitBackground: !opaque,
      clip: { x: 0, y: 0, width: size, height: size } });
    await page.close();
    if (opaque) png = dropAlpha(png);
    const { width, height, colorType } = header(png);
    if (width !== size || height !== size) throw new Error(`${name}: got ${width}x${height}, want ${size}`);
    await writeFile(join(iconsDir, name), png);
    console.log(`${name.padEnd(22)} ${width}x${height} ${colorType === 2 ? 'RGB' : 'RGBA'} ${png.length} B`);
  }
} finally {
  await browser.close();
}

function header(png) {
  if (png.readUInt32BE(12) !== 0x49484452) throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20), colorType: png[25] };
}

// Re-encode an 8-bit RGB/RGBA PNG as RGB (colour type 2), so icons that must be
// opaque (apple-touch-icon, maskable) carry no alpha channel at all.
function dropAlpha(png) {
  const { width, height, colorType } = header(png);
  if (png[24] !== 8 || png[28] !== 0) throw new Error('unsupported PNG (bit depth / interlace)');
  if (colorType === 2) return png;
  if (colorType !== 6) throw new Error(`unsupported PNG colour type ${colorType}`);
  const idat = [];
  for (let o = 8; o < png.length;) {
    const len = png.readUInt32BE(o);
    const type = png.toString('latin1', o + 4, o + 8);
    if (type === 'IDAT') idat.push(png.subarray(o + 8, o + 8 + len));
    o += 12 + len;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const bpp = 4, stride = width * bpp;
  const px = Buffer.alloc(stride * height);
  for (let y = 0; y < height; y++) { // undo the PNG row filters
    const f = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    const out = px.subarray(y * stride, (y + 1) * stride);
    const prev = y ? px.subarray((y - 1) * stride, y * stride) : Buffer.alloc(stride);
    for (let i = 0; i < stride; i++) {
      const a = i >= bpp ? out[i - bpp] : 0, b = prev[i], c = i >= bpp ? prev[i - bpp] : 0;
      let p;
      if (f === 0) p = 0;
      else if (f === 1) p = a;
      else if (f === 2) p = b;
      else if (f === 3) p = (a + b) >> 1;
      else if (f === 4) {
        const q = a + b - c, pa = Math.abs(q - a), pb = Math.abs(q - b), pc = Math.abs(q - c);
        p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else throw new Error(`bad PNG filter ${f}`);
      out[i] = (line[i] + p) & 0xff;
    }
  }
  const bg = [1, 3, 5].map((i) => parseInt(BG.slice(i, i + 2), 16));
  const rgb = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    rgb[y * (width * 3 + 1)] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const s = y * stride + x * 4, d = y * (width * 3 + 1) + 1 + x * 3, al = px[s + 3] / 255;
      for (let k = 0; k < 3; k++) rgb[d + k] = Math.round(px[s + k] * al + bg[k] * (1 - al));
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0); ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; ihdr[9] = 2; // 8-bit RGB, default compression/filter/interlace
  return Buffer.concat([png.subarray(0, 8), chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rgb, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

function chunk(type, data) {
  const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function crc32(buf) {
  let c = ~0;
  for (const byte of buf) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}
