import type { Command } from 'commander';
import { KIND_BY_NAME, KINDS } from '../../tracer/catalogue.js';
import { eventToJson, formatEventLine } from '../../tracer/describe.js';
import type { TraceReader } from '../../tracer/reader.js';
import { UsageError } from './errors.js';
import { openTrace, SALVAGE_HELP, withTrace } from './open-trace.js';
import { guardStdoutPipe, Out } from './output.js';

interface DumpOptions {
  salvage?: boolean;
  thread?: string[];
  kind?: string[];
  from?: string;
  to?: string;
  json?: boolean;
  limit?: string;
}

const collect = (v: string, prev: string[] = []): string[] => [...prev, ...v.split(',').map((s) => s.trim()).filter(Boolean)];

function countOption(name: string, what: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw new UsageError(`--${name} ${JSON.stringify(v)}: expected ${what} (a non-negative integer below 2^53)`);
  return Number(v);
}

/** Threads by index ("3", "#3") or by exact name. */
export function resolveThreads(reader: TraceReader, specs: string[]): Set<number> {
  const out = new Set<number>();
  for (const spec of specs) {
    const m = /^#?(\d+)$/.exec(spec);
    if (m && Number(m[1]) < reader.threads.length) {
      out.add(Number(m[1]));
      continue;
    }
    const matches = reader.threads.filter((t) => reader.string(t.name) === spec);
    if (matches.length === 0) throw new UsageError(`--thread ${JSON.stringify(spec)}: no such thread (use an index 0..${reader.threads.length - 1} or a name from 'l4trace info')`);
    for (const t of matches) out.add(t.index);
  }
  return out;
}

export function resolveKinds(specs: string[]): Set<number> {
  const out = new Set<number>();
  for (const spec of specs) {
    const k = KIND_BY_NAME.get(spec.toUpperCase());
    if (!k) throw new UsageError(`--kind ${JSON.stringify(spec)}: unknown event kind (one of ${KINDS.map((x) => x.name).join(', ')})`);
    out.add(k.id);
  }
  return out;
}

export function register(program: Command): void {
  program
    .command('dump')
    .description('print events in global order, one per line')
    .argument('<file>', 'trace file (.l4t; - reads it from stdin)')
    .option('--thread <list>', 'only these threads (index or name; repeatable, comma-separated)', collect)
    .option('--kind <list>', 'only these event kinds (e.g. IPC,IPC_RES; repeatable)', collect)
    .option('--from <seq>', 'first sequence number')
    .option('--to <seq>', 'last sequence number')
    .option('--limit <n>', 'stop after n events')
    .option('--json', 'one JSON object per line')
    .option('--salvage', SALVAGE_HELP)
    .addHelpText('after', `
Examples:
  l4trace dump race.l4t --kind SIG_SEND,SIG_DELIVER
  l4trace dump race.l4t --thread 3 --from 100 --limit 20
  l4trace dump race.l4t --json | jq -c 'select(.kind == "IPC")'`)
    .action((file: string, opts: DumpOptions) => {
      guardStdoutPipe();
      const fromSeq = countOption('from', 'a sequence number', opts.from);
      const toSeq = countOption('to', 'a sequence number', opts.to);
      if (fromSeq !== undefined && toSeq !== undefined && fromSeq > toSeq) throw new UsageError(`--from ${fromSeq} --to ${toSeq}: the range is empty (--from must not be after --to)`);
      const limit = countOption('limit', 'a number of events', opts.limit) ?? Infinity;
      const kinds = opts.kind ? resolveKinds(opts.kind) : undefined;
      const reader = openTrace(file, { salvage: opts.salvage ?? false });
      const threads = opts.thread ? resolveThreads(reader, opts.thread) : undefined;
      const out = new Out();
      withTrace(file, reader, () => {
        let n = 0;
        for (const ev of reader.events({ threads, kinds, fromSeq, toSeq })) {
          if (n++ >= limit) break;
          out.line(opts.json ? JSON.stringify(eventToJson(ev, reader)) : formatEventLine(ev, reader));
        }
      });
      const cut = reader.truncated ? `trace cut short at byte ${reader.truncated.offset}: ${reader.truncated.reason}` : '';
      if (cut && !opts.json) out.line(`# ${cut}`);
      out.flush();
      if (cut && opts.json) process.stderr.write(`l4trace: ${file}: ${cut}\n`); // stdout stays pure JSON lines
      reader.close();
    });
}
