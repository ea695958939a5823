/**
 * Bench helper, run as its own process so its peak memory is the load's alone:
 * `node dist/test/bench/load-probe.js TRACE` loads the trace into an in-memory DuckDB and prints
 * { ms, events, slices, maxRssBytes } as JSON.
 */
import { Analysis } from '../../analyze/db.js';

const file = process.argv[2]!;
const t0 = performance.now();
const a = await Analysis.open(file);
const ms = performance.now() - t0;
const slices = Number(await a.scalar('SELECT count(*) FROM slice_raw'));
a.close();
process.stdout.write(JSON.stringify({ ms, events: a.loaded!.events, slices, maxRssBytes: process.resourceUsage().maxRSS * 1024 }) + '\n');
