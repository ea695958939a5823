/**
 * Record signal-race, replay it bit-exactly, and query it with SQL: the library form of
 * `l4trace record signal-race -o race.l4t && l4trace replay race.l4t && l4trace query race.l4t …`.
 *
 *   node dist/examples/record-replay-query.js [OUT-FOLDER]     (after npm run examples)
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, machine, openTrace, record, replay } from 'l4trace';

const dir = process.argv[2] ?? 'l4trace-example';
mkdirSync(dir, { recursive: true });
const file = join(dir, 'race.l4t');

// Seed 1 loses the kick: the child is killed only at its next system call (the seed document's race).
const rec = await record(machine('signal-race', { seed: 1 }), file);
console.log(`recorded ${file}: outcome ${rec.outcome} at cycle ${rec.endTime}, ${rec.events} events, ${rec.choices} choices`);

// Typed events with named kinds and fields.
const trace = openTrace(file);
for (const e of trace.events({ kinds: ['SIG_SEND', 'SIG_DELIVER'] })) {
  const who = trace.threads[e.thread]!;
  console.log(`  ${e.kind} at cycle ${e.time} on ${who.name}: ${JSON.stringify(e.fields)}`);
}
trace.close();

// Re-execute from the file alone and compare every event and the final machine state.
const r = replay(file);
console.log(`replay: ${r.verdict} (${r.events} events, ${r.choices} choices)`);
if (!r.identical) {
  console.error(`replay differs: ${r.difference}`);
  process.exit(1);
}

// SQL over the trace (DuckDB; tables as in docs/sql-schema.md).
const db = await analyze(file);
try {
  const rows = await db.query('select sender, receiver, msgs from ipc_matrix order by msgs desc, sender, receiver limit 5');
  console.log('busiest IPC pairs:');
  for (const row of rows) console.log(`  ${String(row.sender)} -> ${String(row.receiver)}: ${String(row.msgs)} messages`);
  const [sig] = await db.query('select count(*) as signals from signal');
  console.log(`signals: ${String(sig!.signals)}`);
} finally {
  db.close();
}
