/**
 * `l4trace sweep-merge DIR... [--json]`: summarise the results the shards of a sweep wrote
 * (DIR/results/shard=<i>/part.parquet, read with DuckDB's read_parquet and hive partitioning): seeds per
 * outcome, the failing seeds with their traces, the seeds of the range no shard ran and the seeds more
 * than one ran. Exit 0 when every seed of the range ran exactly once and every run ended ok; 1 otherwise.
 */
import type { Command } from 'commander';
import { mergeSweepResults, type MergeSummary } from '../../analyze/sweep-results.js';
import { UsageError } from './errors.js';

/** Seeds as `a..b` runs and single numbers, at most `max` items. */
function ranges(list: [number, number][], max = 20): string {
  const items = list.slice(0, max).map(([a, b]) => (a === b ? String(a) : `${a}..${b}`));
  return items.join(' ') + (list.length > max ? ` ... (${list.length} runs)` : '');
}

function print(s: MergeSummary): void {
  const counts = Object.entries(s.outcomes).map(([o, n]) => `${n} ${o}`);
  const sets = s.sets.map((x) => ` --set ${x}`).join('');
  console.log(
    `sweep-merge ${s.scenario} seeds ${s.seeds.from}..${s.seeds.to}${s.chaos ? ` chaos ${s.chaos}` : ''}${sets}: ${s.shards.found.length} of ${s.shards.count} shards, ${s.covered} seeds, ${counts.join(', ') || 'none run'}`,
  );
  const byOutcome = new Map<string, number[]>();
  for (const f of s.failing) byOutcome.set(f.outcome, [...(byOutcome.get(f.outcome) ?? []), f.seed]);
  for (const [outcome, list] of byOutcome) console.log(`  ${outcome}: seeds ${list.slice(0, 30).join(' ')}${list.length > 30 ? ` ... (${list.length})` : ''}`);
  const withTrace = s.failing.filter((f) => f.file);
  if (withTrace.length) {
    console.log(`  traces (${withTrace.length}): ${withTrace.slice(0, 3).map((f) => f.file).join('  ')}${withTrace.length > 3 ? ' ...' : ''}`);
    console.log(`  next: npx l4trace replay ${withTrace[0]!.file}   |   npx l4trace shrink ${withTrace[0]!.file} -o min.l4t`);
  }
  if (s.shards.missing.length) console.log(`  shards without results: ${s.shards.missing.slice(0, 30).join(' ')}${s.shards.missing.length > 30 ? ` ... (${s.shards.missing.length})` : ''}`);
  console.log(`  missing: ${s.missing.count === 0 ? 'none' : `${s.missing.count} seeds: ${ranges(s.missing.ranges)}`}`);
  if (s.duplicates.length === 0) console.log('  duplicates: none');
  else {
    const show = s.duplicates.slice(0, 10).map((d) => `${d.seed} (shards ${d.shards.join(', ')}${d.agree ? '' : `: outcomes differ, ${d.outcomes.join(' vs ')}`})`);
    console.log(`  duplicates: ${s.duplicates.length} seeds: ${show.join('; ')}${s.duplicates.length > 10 ? ' ...' : ''}`);
  }
}

export function register(program: Command): void {
  program
    .command('sweep-merge')
    .description("summarise the results of a sweep's shards: outcomes, failing seeds and their traces, missing and duplicate seeds")
    .argument('<dir...>', 'the -o folders of sweep runs (each holds results/shard=<i>/part.parquet)')
    .option('--json', 'print one JSON object: scenario, sets, chaos, seeds, shards (count, found, missing), rows, covered, outcomes, failing, missing, duplicates, complete')
    .addHelpText('after', `
Example:
  for i in 0 1 2 3; do l4trace sweep signal-race --seeds 1..400 --shard $i/4 -j 1 -o sw & done; wait
  l4trace sweep-merge sw
The same outcome counts with DuckDB alone (docs/scale.md):
  SELECT outcome, count(DISTINCT seed) FROM read_parquet('sw/results/*/*.parquet', hive_partitioning = true) GROUP BY ALL`)
    .action(async (dirs: string[], opts: { json?: boolean }) => {
      if (dirs.includes('-')) throw new UsageError('sweep-merge -: reads folders of Parquet files, not a stream; give the -o folder of a sweep');
      const s = await mergeSweepResults(dirs);
      if (opts.json) console.log(JSON.stringify(s));
      else print(s);
      if (!s.complete || s.failing.length > 0) process.exitCode = 1;
    });
}
