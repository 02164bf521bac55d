// npm run bench: call setup time, Firestore cost and load size, measured (issue 6).
// Method and latest figures: docs/PERFORMANCE.md.
//
//   1. builds the app twice, outside dist/ (which the tests use):
//      node_modules/.cache/duet/bench-dist  the emulator build (as `npm start`), served
//      node_modules/.cache/duet/size-dist   the same build as `npm run build`, for the byte counts
//      Firestore reads and writes are counted from each page's requests (scripts/bench/browser.mjs),
//      so the served build is the ordinary one: no counters in the app.
//   2. starts the emulators (Auth, Firestore, Hosting serving bench-dist through a temporary copy
//      of firebase.json) around scripts/bench/run.mjs, which drives headless Chromium, with the
//      launcher `npm test` uses (scripts/emulators.mjs): as root inside a private network
//      namespace, which also keeps its ports apart from anyone else's emulators;
//   3. prints the table and writes bench/results.json.
//
// Options: --calls N (30) --rejoins N (10) --floor N (30) --talk SECONDS (60) --load-runs N (5)
//          --early N (10): early-arrival calls per gap (Ben joins 0/100/300 ms after Ana waits)
//          --cuts N (10) --cut-seconds S (10): network cuts, and time from restored to frames again
//          --more-candidates N (3: calls with 3 extra network interfaces, namespace only)
//          --relay N (5): calls between two homes behind NAT routers, direct and through the TURN
//                         relay, each, in the relay world of the relay suite (root; after the rest)
//          --handover N (10): rounds of each kind of network change mid-call (home 1 or 2 gets new
//                         addresses, at once or after 3 s without a network), in the relay world
//                         (root; after the rest; scripts/bench/handover.mjs)
//          --camera hd|small (hd): the fake camera, 1280x720 built in (what people get) or the suites'
//                         320x240 file (the 2 cores not saturated by the two pages' video)
//          --cpu-rounds N (2) --cpu-seconds S (15): CPU per screen (issue 26), first in the run:
//                         Chromium's CPU on the prompt, the waiting screen and in a call, each beside
//                         a bare page doing the same media work, alternating (scripts/bench/screens.mjs)
//          --cpu          only those rows (about 5 minutes with the defaults); with
//                         DUET_BENCH_CPU_CSS='{"label": "css"}', also each screen with that CSS added
//                         (which rule costs what; scripts/bench/screens.mjs)
//          --quick (a smoke run: 4 calls, 2 rejoins, 4 floor calls, 10 s of talking, 1 load run,
//                  1 CPU round of 5 s windows)
//          --report       print the table again from bench/results.json (no run; after a change
//                         to the summary code, or to read the last results)
//          --ref GIT-REF  measure that commit (src/, public/, rules, build script) instead of the
//                         working tree, e.g. while work in progress leaves the tree unbuildable.
//                         It is exported to a temporary folder; the bench scripts stay these.
//          --against GIT-REF  an A/B run: that commit's build is served beside this one and the
//                         calls alternate between them (--calls N per build), so both meet the same
//                         emulators, load and floor; the table sets them side by side with a bootstrap
//                         interval on the difference. Rules, early-arrival rows and the rest: this build's.
import { spawnSync } from 'node:child_process';
import * as esbuild from 'esbuild';
import { createInterface } from 'node:readline';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { namespaceBlocker, quote, withEmulators } from './emulators.mjs';
import { measureBuild } from './bench/sizes.mjs';
import { cpuOnlyTable, summarize, summarizeCpu, table } from './bench/report.mjs';
import { percentile, round } from './bench/stats.mjs';
import { handoverRounds } from './bench/handover.mjs';
import { relayCalls } from './bench/relay.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const cache = join(root, 'node_modules', '.cache', 'duet');
const benchDist = join(cache, 'bench-dist');
const sizeDist = join(cache, 'size-dist');
const againstDist = join(cache, 'against-dist');
const config = join(cache, 'bench-firebase.json');
const rawPath = join(cache, 'bench-raw.json');
const resultsPath = join(root, 'bench', 'results.json');

const { values: args } = parseArgs({
  options: {
    calls: { type: 'string' },
    rejoins: { type: 'string' },
    cuts: { type: 'string' },
    early: { type: 'string' },
    'cut-seconds': { type: 'string' },
    floor: { type: 'string' },
    talk: { type: 'string' },
    'load-runs': { type: 'string' },
    'more-candidates': { type: 'string' },
    relay: { type: 'string' },
    handover: { type: 'string' },
    camera: { type: 'string' },
    quick: { type: 'boolean', default: false },
    cpu: { type: 'boolean', default: false },
    'cpu-rounds': { type: 'string' },
    'cpu-seconds': { type: 'string' },
    ref: { type: 'string' },
    against: { type: 'string' },
    report: { type: 'boolean', default: false },
  },
});

if (args.report) {
  const last = JSON.parse(readFileSync(resultsPath, 'utf8'));
  if (last.meta.options.cpuOnly) {
    console.log(cpuOnlyTable(summarizeCpu(last.raw.cpu), last.meta));
    process.exit(0);
  }
  const again = summarize(last.raw, {
    sizes: last.load.sizes,
    budgets: last.load.budgets,
    heartbeatMs: last.cost.presenceFromConstants.heartbeatMs,
    presenceTimeoutMs: last.cost.presenceFromConstants.presenceTimeoutMs,
  });
  writeFileSync(resultsPath, JSON.stringify({ meta: last.meta, ...again, raw: last.raw }, null, 2) + '\n');
  console.log(table(again, last.meta));
  process.exit(0);
}
const quick = args.quick;
const int = (v, fallback) => (v === undefined ? fallback : Number.parseInt(v, 10));
const options = {
  warmup: 1,
  calls: int(args.calls, quick ? 4 : 30),
  rejoins: int(args.rejoins, quick ? 2 : 10),
  // Early-arrival calls per gap (Ben joins 0, 100, 300 ms after Ana's waiting screen).
  early: int(args.early, quick ? 1 : 10),
  floor: int(args.floor, quick ? 4 : 30),
  talkMs: int(args.talk, quick ? 10 : 60) * 1000,
  loadRuns: int(args['load-runs'], quick ? 1 : 5),
  moreCandidates: int(args['more-candidates'], quick ? 1 : 3),
  // Network cuts (loopback down inside the bench's namespace), then time to frames again.
  cuts: int(args.cuts, quick ? 2 : 10),
  cutMs: int(args['cut-seconds'], 10) * 1000,
  unthrottledLoadRuns: quick ? 1 : 3,
  // Calls through NAT routers, direct and through the TURN relay, each (root only; own world).
  relay: int(args.relay, quick ? 1 : 5),
  // Network changes mid-call (issue 27): rounds of each kind (root only; own world).
  handover: int(args.handover, quick ? 1 : 10),
  // The fake camera: 'hd' (Chromium's built-in one at the app's 1280x720, what people get) or
  // 'small' (the suites' 320x240 file: two pages that do not saturate the 2 cores).
  camera: args.camera ?? 'hd',
  // CPU per screen against bare pages (issue 26); --cpu: nothing else.
  cpuRounds: int(args['cpu-rounds'], quick ? 1 : 2),
  cpuSeconds: int(args['cpu-seconds'], quick ? 5 : 15),
  cpuOnly: args.cpu,
};
if (!['hd', 'small'].includes(options.camera)) throw new Error(`--camera ${options.camera}: 'hd' or 'small'`);
options.rejoins = Math.min(options.rejoins, options.calls);

const started = performance.now();
const loadAtStart = loadavg()[0];
mkdirSync(cache, { recursive: true });
const git = (...a) => spawnSync('git', a, { cwd: root, encoding: 'utf8' }).stdout?.trim() ?? '';

/**
 * A commit exported to a temporary folder (outside node_modules, so the node_modules link inside
 * it makes no cycle), removed when the bench exits.
 */
function exportCommit(ref, flag) {
  const commit = git('rev-parse', '--verify', `${ref}^{commit}`);
  if (!commit) throw new Error(`${flag} ${ref}: not a commit`);
  const dir = mkdtempSync(join(tmpdir(), 'duet-bench-src-'));
  const r = spawnSync('sh', ['-c', `git archive ${commit} | tar -x -C '${dir}'`], { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) throw new Error(`could not export ${ref}`);
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  return { dir, commit: commit.slice(0, 7) };
}

// What to measure: the working tree, or one commit.
let source = root;
let refCommit = null;
if (args.ref) {
  ({ dir: source, commit: refCommit } = exportCommit(args.ref, '--ref'));
  console.log(`› measuring ${args.ref} (${refCommit}), exported to ${source}`);
}
const { build } = await import(pathToFileURL(join(source, 'scripts', 'build.mjs')).href);
// --against: a second build whose calls alternate with these in the same run (scripts/bench/against.mjs).
let against = null;
if (args.against) {
  const { dir, commit } = exportCommit(args.against, '--against');
  against = { ref: args.against, commit, dir };
  options.against = `${args.against} (${commit})`;
  console.log(`› against ${args.against} (${commit}): its calls alternate with these`);
}

console.log('› build (emulator build to serve, plain build to weigh)');
const [, sizeBuild] = await Promise.all([
  build({ outdir: benchDist, quiet: true }),
  build({ outdir: sizeDist, quiet: true }),
  against && import(pathToFileURL(join(against.dir, 'scripts', 'build.mjs')).href).then((m) => m.build({ outdir: againstDist, quiet: true })),
]);
const sizes = measureBuild({ root: source, outdir: sizeDist });

// The project's firebase.json with Hosting pointed at the bench build. Paths in it are
// relative to the config file's folder, so the rules and indexes become absolute.
const firebaseJson = JSON.parse(readFileSync(join(source, 'firebase.json'), 'utf8'));
if (firebaseJson.firestore?.rules) firebaseJson.firestore.rules = join(source, firebaseJson.firestore.rules);
if (firebaseJson.firestore?.indexes) firebaseJson.firestore.indexes = join(source, firebaseJson.firestore.indexes);
firebaseJson.hosting = { ...firebaseJson.hosting, public: relative(cache, benchDist) };
writeFileSync(config, JSON.stringify(firebaseJson, null, 2));
rmSync(rawPath, { force: true });

// The camera and microphone the app asks for, from their one home in the measured source: the
// floor's pages and the bare camera page ask the same (scripts/bench/floor.mjs, mediaConstraints).
const constraints = await importTs(join(source, 'src', 'media', 'constraints.ts'));
const media = { audio: constraints.microphoneConstraints(), video: constraints.cameraConstraints() };

const inner = `node ${quote(join(root, 'scripts', 'bench', 'run.mjs'))}`;
const canIsolate = namespaceBlocker() === null;
const shown = options.cpuOnly ? { camera: options.camera, cpuRounds: options.cpuRounds, cpuSeconds: options.cpuSeconds, cpuOnly: true } : options;
console.log(`› emulators + browsers${canIsolate ? ' (in a private network namespace)' : ''}: ${JSON.stringify(shown)}`);
// Run from the cache folder: the emulators write their debug logs into the working directory.
const { child, exited } = withEmulators(inner, {
  config,
  cwd: cache,
  env: { DUET_BENCH_OPTIONS: JSON.stringify(options), DUET_BENCH_MEDIA: JSON.stringify(media), DUET_BENCH_RAW: rawPath, ...(against ? { DUET_BENCH_AGAINST_DIST: againstDist } : {}) },
  stdio: ['ignore', 'pipe', 'inherit'],
});
// Show the bench's own progress as it happens; keep the emulators' request log for failures only.
const tail = [];
for await (const line of createInterface({ input: child.stdout })) {
  if (line.startsWith('[bench') || line.includes('[page')) console.log(line);
  tail.push(line);
  if (tail.length > 60) tail.shift();
}
const status = await exited;
if (status !== 0) console.error(`bench: the run failed (exit ${status}); the emulators' last output:\n${tail.join('\n')}`);
if (!existsSync(rawPath)) process.exit(status || 1);
const raw = JSON.parse(readFileSync(rawPath, 'utf8'));
if (options.relay > 0 && !options.cpuOnly) {
  console.log(`› relay world: ${options.relay} direct and ${options.relay} relayed calls`);
  raw.relay = await relayCalls({ calls: options.relay, dist: benchDist, log: (line) => console.log(line) });
}
if (options.handover > 0 && !options.cpuOnly) {
  console.log(`› relay world: ${options.handover} rounds of each network change mid-call`);
  raw.handover = await handoverRounds({ rounds: options.handover, dist: benchDist, log: (line) => console.log(line) });
}

// --------------------------------------------------------------- what was measured, where
// The presence constants, imported from the measured source (TypeScript, bundled on the fly).
const backend = await importTs(join(source, 'src', 'call', 'backend.ts'));
const budgets = JSON.parse(readFileSync(join(root, 'budgets.json'), 'utf8'));
// --cpu: only the CPU-per-screen rows were measured.
const summary = options.cpuOnly
  ? { cpu: summarizeCpu(raw.cpu) }
  : summarize(raw, {
      sizes,
      budgets: { prePromptJsGzip: budgets.prePromptJsGzip.bytes, totalJsGzip: budgets.totalJsGzip.bytes },
      heartbeatMs: backend.HEARTBEAT_MS,
      presenceTimeoutMs: backend.PRESENCE_TIMEOUT_MS,
    });

const loads = [loadAtStart, ...(raw.loadavg ?? []), loadavg()[0]];
const meta = {
  date: raw.startedAt,
  durationS: Math.round((performance.now() - started) / 1000),
  options,
  machine: {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model?.trim() ?? 'unknown',
    // Other work on the machine slows every figure here; it is recorded, not controlled.
    loadDuringRun: { p50: round(percentile(loads, 50), 1), max: round(Math.max(...loads), 1) },
    networkNamespace: canIsolate,
  },
  chromium: raw.chromium,
  node: process.version,
  versions: {
    firebase: JSON.parse(readFileSync(join(root, 'node_modules', 'firebase', 'package.json'), 'utf8')).version,
    firebaseTools: JSON.parse(readFileSync(join(root, 'node_modules', 'firebase-tools', 'package.json'), 'utf8')).version,
  },
  source: args.ref
    ? { ref: args.ref, commit: refCommit, dirty: false, fingerprint: fingerprint(join(source, 'src'), source) }
    : {
        ref: 'working tree',
        commit: git('rev-parse', '--short', 'HEAD'),
        dirty: git('status', '--porcelain', '--', 'src', 'public', 'firestore.rules', 'firebase.json', 'scripts/build.mjs') !== '',
        fingerprint: fingerprint(join(root, 'src'), root),
      },
  built: { mainJs: sizeBuild.mainJs, precache: sizeBuild.precache },
};

const results = { meta, ...summary, raw };
mkdirSync(join(root, 'bench'), { recursive: true });
writeFileSync(resultsPath, JSON.stringify(results, null, 2) + '\n');
console.log(options.cpuOnly ? cpuOnlyTable(summary.cpu, meta) : table(summary, meta));
console.log(`wrote ${relative(root, resultsPath)} in ${meta.durationS} s`);
if (status !== 0) process.exit(status);

/** Imports a TypeScript module of the app (Node 20 cannot): bundled by esbuild, loaded from memory. */
async function importTs(path) {
  const out = await esbuild.build({ entryPoints: [path], bundle: true, format: 'esm', platform: 'neutral', write: false, logLevel: 'error' });
  return import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString('base64')}`);
}

/** A short hash of every file under `dir`: which source the figures belong to. */
function fingerprint(dir, base) {
  const hash = createHash('sha256');
  const walk = (d) => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else hash.update(relative(base, p)).update(readFileSync(p));
    }
  };
  walk(dir);
  return hash.digest('hex').slice(0, 10);
}
