// Where the machine's CPU goes, per kind of process: ms of CPU (user + system, from
// /proc/<pid>/stat) between two snapshots. Linux only. Used while a call sets up
// (DUET_BENCH_CPU=1) and by the CPU-per-screen rows (scripts/bench/screens.mjs), which count only
// the processes descended from the bench's own (its Chromium, not anyone else's on the machine).
import { readdirSync, readFileSync } from 'node:fs';

const TICK_MS = 10; // USER_HZ is 100 on Linux

function kind(cmd) {
  if (cmd.includes('cloud-firestore') || cmd.includes('firestore-emulator')) return 'firestore emulator (java)';
  if (cmd.startsWith('java')) return 'other java';
  if (cmd.includes('chromium')) {
    if (cmd.includes('--top-chrome-webui')) return 'chromium webui renderer';
    if (cmd.includes('--type=renderer')) return 'chromium page renderer';
    if (cmd.includes('--type=gpu-process')) return 'chromium gpu process';
    if (cmd.includes('audio.mojom')) return 'chromium audio';
    if (cmd.includes('network.mojom')) return 'chromium network';
    if (cmd.includes('--type=utility')) return 'chromium other utility';
    if (!cmd.includes('--type=')) return 'chromium browser';
    return 'chromium other';
  }
  if (cmd.includes('firebase')) return 'firebase-tools (node)';
  if (cmd.includes('bench/run.mjs')) return 'bench driver (node)';
  if (cmd.includes('node')) return 'other node';
  return cmd.split(/\s/)[0].slice(0, 30) || 'kernel';
}

/** CPU ms per pid, each pid's kind and its parent's pid. */
export function cpuSnapshot() {
  const out = new Map();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
      const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ').trim();
      out.set(pid, { ms, kind: kind(cmd), ppid: fields[1] });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** CPU ms per kind between two snapshots (a pid born in between counts from 0). */
export function cpuBetween(before, after) {
  const by = {};
  for (const [pid, a] of after) {
    const d = a.ms - (before.get(pid)?.ms ?? 0);
    if (d > 0) by[a.kind] = (by[a.kind] ?? 0) + d;
  }
  return by;
}

/** The part of a snapshot that descends from process `root` (a pid, as a string), root excluded. */
export function descendantsOf(snap, root) {
  const children = new Map();
  for (const [pid, p] of snap) children.set(p.ppid, [...(children.get(p.ppid) ?? []), pid]);
  const out = new Map();
  const walk = (pid) => {
    for (const c of children.get(pid) ?? []) {
      out.set(c, snap.get(c));
      walk(c);
    }
  };
  walk(root);
  return out;
}
