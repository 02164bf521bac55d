// A vitest reporter for the suite's own time (issue 29): at the end of every run, passed or
// failed, the slowest test files with their times, each project's span (first file started to
// last file ended: the groups run one after another, files within a group side by side), and
// the run's wall time. Registered beside the default reporter in vitest.config.ts, after it, so
// it prints last. A file's time is its wall time in its worker (start to end, hooks included,
// waiting for a worker not included): what adding a test to it costs the suite.
import type { Reporter, TestModule, TestRunEndReason } from 'vitest/node';

const SLOWEST = 10;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export default class TimeReporter implements Reporter {
  private runStarted = performance.now();
  private readonly started = new Map<string, number>();
  private readonly ended = new Map<string, number>();

  onTestRunStart(): void {
    this.runStarted = performance.now();
  }

  onTestModuleStart(module: TestModule): void {
    this.started.set(module.moduleId, performance.now());
  }

  onTestModuleEnd(module: TestModule): void {
    this.ended.set(module.moduleId, performance.now());
  }

  onTestRunEnd(modules: ReadonlyArray<TestModule>, _errors: unknown, reason: TestRunEndReason): void {
    const wall = performance.now() - this.runStarted;
    const files = modules.map((m) => {
      const start = this.started.get(m.moduleId);
      const end = this.ended.get(m.moduleId) ?? performance.now();
      const d = m.diagnostic();
      // Files that never started (a run cut short) count what vitest measured, if anything.
      const ms = start === undefined ? d.duration : end - start + d.collectDuration + d.prepareDuration;
      const tests = [...m.children.allTests()];
      const failed = tests.filter((t) => t.result().state === 'failed').length;
      return { name: m.relativeModuleId, project: m.project.name, ms, start: start ?? end, end, tests: tests.length, failed };
    });
    const lines = [`time: the ${Math.min(SLOWEST, files.length)} slowest of ${files.length} test files (wall time in their worker)`];
    for (const f of [...files].sort((a, b) => b.ms - a.ms).slice(0, SLOWEST)) {
      const failed = f.failed ? `, ${f.failed} failed` : '';
      lines.push(`  ${seconds(f.ms).padStart(8)}  ${f.name} [${f.project}] (${f.tests} tests${failed})`);
    }
    const projects = new Map<string, { start: number; end: number; ms: number }>();
    for (const f of files) {
      const p = projects.get(f.project);
      if (p) Object.assign(p, { start: Math.min(p.start, f.start), end: Math.max(p.end, f.end), ms: p.ms + f.ms });
      else projects.set(f.project, { start: f.start, end: f.end, ms: f.ms });
    }
    const spans = [...projects].sort((a, b) => a[1].start - b[1].start);
    lines.push(
      `  projects (span from first start to last end, from the run's start): ${spans
        .map(([name, p]) => `${name} ${seconds(p.end - p.start)} (at ${seconds(p.start - this.runStarted)})`)
        .join(', ')}`,
    );
    lines.push(`time: vitest run ${reason === 'passed' ? 'passed' : reason} in ${seconds(wall)}`);
    process.stdout.write(`\n${lines.join('\n')}\n`);
  }
}
