// A small moving picture for Chromium's fake camera in the browser suites
// (--use-file-for-fake-video-capture): 320x240 at 15 fps instead of the 1280x720 at 30 fps
// Chromium's built-in fake camera gives the app's constraints. Every page of a scenario
// encodes and decodes real video, and at 720p four pages of two scenarios kept both cores of
// the build machines busy on VP8 alone (load average 15-17 during `npm test`). The bench
// keeps the built-in 720p camera: it measures what people get.
//
// The file is Y4M (YUV4MPEG2, 4:2:0): a header line, then per frame "FRAME\n" and the Y, U
// and V planes. Chromium loops it. Written once per machine, under the OS's temp directory.
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const FAKE_CAMERA = { width: 320, height: 240, fps: 15, frames: 30 };

/** The path of the fake camera's file, written if missing. */
export function fakeCameraFile() {
  const { width, height, fps, frames } = FAKE_CAMERA;
  const dir = join(tmpdir(), 'duet-fake-camera');
  const file = join(dir, `camera-${width}x${height}-${fps}-${frames}.y4m`);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const header = Buffer.from(`YUV4MPEG2 W${width} H${height} F${fps}:1 Ip A1:1 C420jpeg\n`);
  const frameTag = Buffer.from('FRAME\n');
  const cw = width / 2;
  const ch = height / 2;
  const parts = [header];
  for (let f = 0; f < frames; f++) {
    const y = Buffer.alloc(width * height);
    const u = Buffer.alloc(cw * ch);
    const v = Buffer.alloc(cw * ch);
    // A soft diagonal gradient that drifts, and a light square that crosses the picture.
    const shift = Math.round((f * 256) / frames);
    for (let row = 0; row < height; row++) {
      for (let col = 0; col < width; col++) y[row * width + col] = 60 + (((row + col + shift) >> 2) % 64);
    }
    const size = 60;
    const x0 = Math.round(((width - size) * f) / (frames - 1));
    const y0 = Math.round((height - size) / 2 + 50 * Math.sin((2 * Math.PI * f) / frames));
    for (let row = y0; row < y0 + size; row++) y.fill(220, row * width + x0, row * width + x0 + size);
    u.fill(118);
    v.fill(140);
    parts.push(frameTag, y, u, v);
  }
  const partial = `${file}.${process.pid}.part`;
  writeFileSync(partial, Buffer.concat(parts));
  renameSync(partial, file); // atomic: parallel test files never read half a file
  return file;
}
