/**
 * Analyzer figures: loading a function-heavy trace of at least 5 million events into DuckDB (events/s
 * against the 5 M/s target, peak memory of a process that only loads), the kept database's size, a
 * summary query, score, filter and the Perfetto export on the same trace.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Analysis } from '../../../analyze/db.js';
import { exportPerfetto } from '../../../analyze/export-perfetto.js';
import { scoreTrace } from '../../../analyze/score.js';
import { rewriteTrace } from '../../../tracer/filter/rewrite.js';
import { FileSink } from '../../../tracer/file-writer.js';
import { NullSink } from '../../../tracer/sink.js';
import { TraceReader } from '../../../tracer/reader.js';
import { recordScenario } from '../../../src/session/record-session.js';
import { resolveScenario } from '../../../src/scenarios/resolve.js';
import { imagesFor } from '../../../src/session/setup.js';
import { perSecond, type BenchGroup, type Figure } from '../figure.js';

const PROBE = fileURLToPath(new URL('../load-probe.js', import.meta.url));
const TARGET_EVENTS_PER_S = 5_000_000;

async function timed<T>(f: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const r = await f();
  return [r, performance.now() - t0];
}

async function run(): Promise<Figure[]> {
  const dir = mkdtempSync(join(tmpdir(), 'l4trace-bench-analyze-'));
  try {
    // callheavy 25: about 8.9 M events, nearly all function enter/exit.
    const spec = resolveScenario({ scenario: 'run', params: { program: 'callheavy', args: ['25'] } }, 'bench', {});
    const file = join(dir, 'heavy.l4t');
    recordScenario(spec, new FileSink(file), { entropy: 'prng', toolVersion: 'bench', images: imagesFor(spec) });
    const bytes = statSync(file).size;

    // Load in a fresh process each time: best time, and the peak memory of a process that only loads.
    let best = Infinity;
    let events = 0;
    let slices = 0;
    let maxRss = 0;
    for (let i = 0; i < 3; i++) {
      const p = spawnSync(process.execPath, [PROBE, file], { encoding: 'utf8' });
      if (p.status !== 0) throw new Error(`bench: load probe failed: ${p.stderr}`);
      const r = JSON.parse(p.stdout) as { ms: number; events: number; slices: number; maxRssBytes: number };
      best = Math.min(best, r.ms);
      events = r.events;
      slices = r.slices;
      maxRss = Math.max(maxRss, r.maxRssBytes);
    }
    const loadRate = perSecond(events, best);

    const db = join(dir, 'heavy.duckdb');
    const [, keepMs] = await timed(async () => (await Analysis.open(file, { db })).close());
    const a = await Analysis.open(db);
    const [, summaryMs] = await timed(() => a.query('SELECT * FROM function_summary ORDER BY incl DESC'));
    let perfettoBytes = 0;
    const [, perfettoMs] = await timed(() => exportPerfetto(a, (b) => void (perfettoBytes += b.length)));
    a.close();

    const reader = TraceReader.open(file);
    const [score, scoreMs] = await timed(async () => scoreTrace(reader));
    const [filtered, filterMs] = await timed(async () => rewriteTrace(reader, new NullSink(), { filter: { excludeFunctions: score.suggested } }));
    reader.close();

    return [
      { name: 'analyze.trace_events', value: events, unit: 'events' },
      { name: 'analyze.trace_bytes', value: bytes, unit: 'bytes' },
      { name: 'analyze.load_ms', value: best, unit: 'ms' },
      { name: 'analyze.load_events_per_s', value: loadRate, unit: 'events/s', vs: 'target 5M events/s', ratio: loadRate / TARGET_EVENTS_PER_S },
      { name: 'analyze.load_slices_per_s', value: perSecond(slices, best), unit: 'slices/s' },
      { name: 'analyze.load_peak_rss', value: maxRss / 2 ** 20, unit: 'MiB', vs: 'trace file size', ratio: maxRss / bytes },
      { name: 'analyze.load_into_db_file_ms', value: keepMs, unit: 'ms', vs: 'in-memory load', ratio: keepMs / best },
      { name: 'analyze.db_file_bytes_per_event', value: statSync(db).size / events, unit: 'bytes', vs: 'trace bytes/event', ratio: statSync(db).size / bytes },
      { name: 'analyze.function_summary_ms', value: summaryMs, unit: 'ms' },
      { name: 'analyze.score_events_per_s', value: perSecond(events, scoreMs), unit: 'events/s' },
      { name: 'analyze.filter_events_per_s', value: perSecond(events, filterMs), unit: 'events/s', vs: 'score', ratio: scoreMs / filterMs },
      { name: 'analyze.filter_kept_events', value: filtered.events, unit: 'events', vs: 'trace events', ratio: filtered.events / events },
      { name: 'analyze.perfetto_export_slices_per_s', value: perSecond(slices, perfettoMs), unit: 'slices/s' },
      { name: 'analyze.perfetto_bytes_per_slice', value: perfettoBytes / slices, unit: 'bytes' },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export const analyzeGroup: BenchGroup = {
  name: 'analyze',
  description: 'DuckDB load throughput and peak memory on a >= 5M-event trace; kept database; score, filter, Perfetto export',
  run,
};
