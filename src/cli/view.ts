/**
 * `l4trace view INPUT [-o OUT.html] [--from C --to C] [--threads A,B]`: the static HTML timeline, one
 * self-contained file that opens from file:// with no network. Warns above 150 MB and refuses above
 * 400 MB (browsers fail on such pages) unless --force; --from/--to/--threads or filtering make it smaller.
 */
import { basename, join, resolve } from 'node:path';
import { existsSync, statSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { checkOutputPath } from '../../tracer/atomic-output.js';
import type { Command } from 'commander';
import { HTML_MAX_BYTES, HTML_WARN_BYTES, PageTooBigError } from '../../viewer/generate/html.js';
import { buildViewerPage } from '../../viewer/generate/page-builder.js';
import { openAnalysis } from './analysis.js';
import { SALVAGE_HELP } from './open-trace.js';
import { CliError, UsageError } from './errors.js';
import { fmtInt } from './output.js';
import { intOption } from './options.js';
import { isStdio, reportTo, writeOutput } from './stdio.js';

interface ViewOptions {
  out?: string;
  from?: string;
  to?: string;
  threads?: string;
  db?: string;
  force?: boolean;
  maxSize?: string;
  salvage?: boolean;
  json?: boolean;
}

/** Bytes in MB with the digits that matter: 0.05 MB stays 0.05 MB, 312.4 MB keeps one decimal. */
export function mb(n: number): string {
  const v = n / 2 ** 20;
  return `${v >= 10 ? v.toFixed(1) : String(+v.toPrecision(3))} MB`;
}

/** --threads: names or utids, comma-separated; a list with none in it is a usage error. */
function threadList(v: string | undefined): string[] | undefined {
  if (v === undefined) return undefined;
  const list = v.split(',').map((t) => t.trim()).filter(Boolean);
  if (list.length === 0) throw new UsageError(`--threads ${JSON.stringify(v)}: no thread names (give names or utids, comma-separated)`);
  return list;
}

function maxBytes(v: string | undefined): number {
  const n = Number(v ?? HTML_MAX_BYTES >> 20);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`--max-size ${JSON.stringify(v)}: expected a size in MB greater than 0`);
  return n * 2 ** 20;
}

export function register(program: Command): void {
  program
    .command('view')
    .description('write a self-contained HTML timeline (CPU tracks, call stacks, IRQs, IPC arrows, signals, summaries) that opens offline')
    .argument('<input>', 'trace file (.l4t) or database (.duckdb); - reads a trace from stdin (then give -o)')
    .option('-o, --out <file>', 'HTML file to write (default: the input name with .html); - writes the page to stdout (the summary then goes to stderr)')
    .option('--from <cycles>', 'start of the time window')
    .option('--to <cycles>', 'end of the time window')
    .option('--threads <names>', 'only these threads (names or utids, comma-separated)')
    .option('--db <file>', 'keep the loaded database in this file')
    .option('--max-size <MB>', 'refuse pages bigger than this (browsers fail on huge pages)', String(HTML_MAX_BYTES >> 20))
    .option('--force', 'write the page whatever its size')
    .option('--salvage', SALVAGE_HELP)
    .option('--json', 'print one JSON object: out, bytes, slices, threads, cpuIntervals, payloadBytes, gzipBytes, url')
    .addHelpText('after', `
Examples:
  l4trace view race.l4t                      # writes race.html
  l4trace view big.l4t --from 0 --to 2000000 --threads sigrace -o part.html
  l4trace record signal-race --seed 1 -o - | l4trace view - -o race.html`)
    .action(async (input: string, opts: ViewOptions) => {
      if (isStdio(input) && opts.out === undefined) throw new UsageError('view -: the trace comes from stdin, so there is no name to derive the page\'s from; give -o FILE.html (or -o - for stdout)');
      const out = opts.out ?? `${basename(input).replace(/\.(l4t|duckdb)$/, '')}.html`;
      const toStdout = isStdio(out);
      // Everything the command line can get wrong is checked before the (long) work starts.
      if (!toStdout && existsSync(out) && statSync(out).isDirectory()) throw new CliError(`-o ${out}: is a folder; give the HTML file's name (e.g. ${join(out, `${basename(input).replace(/\.(l4t|duckdb)$/, '')}.html`)})`);
      if (!toStdout) checkOutputPath(out, { inputs: [input, ...(opts.db ? [opts.db] : [])].filter((i) => !isStdio(i)) });
      const from = opts.from !== undefined ? intOption('from', opts.from) : undefined;
      const to = opts.to !== undefined ? intOption('to', opts.to) : undefined;
      if (from !== undefined && to !== undefined && to <= from) throw new UsageError(`--from ${from} --to ${to}: the window must end after it starts`);
      const threads = threadList(opts.threads);
      const max = maxBytes(opts.maxSize);
      const smaller = 'make it smaller with --from/--to, --threads, or l4trace filter';
      const a = await openAnalysis(input, { ...(opts.db ? { db: opts.db } : {}), salvage: opts.salvage ?? false });
      try {
        let html;
        try {
          html = await buildViewerPage(a, basename(input), { ...(from !== undefined ? { from } : {}), ...(to !== undefined ? { to } : {}), ...(threads ? { threads } : {}) }, opts.force ? Infinity : max);
        } catch (e) {
          if (e instanceof PageTooBigError) {
            throw new CliError(`view ${input}: the page would be ${mb(e.bytes)}, more than --max-size ${mb(max)} (browsers fail on pages much above ${mb(HTML_MAX_BYTES)}); ${smaller}, or --force`);
          }
          throw e;
        }
        if (html.bytes > Math.min(HTML_WARN_BYTES, max)) process.stderr.write(`l4trace: warning: ${out} is ${mb(html.bytes)}; browsers may be slow or fail to open pages this big; ${smaller}\n`);
        await writeOutput(out, (write) => {
          for (const c of html.chunks) write(c);
        });
        const slices = html.header.rows.reduce((s, r) => s + r.count, 0);
        const cpuIntervals = html.header.cpus.reduce((s, c) => s + c.count, 0);
        // With -o -, stdout carries the page: what view says about it goes to stderr.
        const say = reportTo(toStdout);
        const url = toStdout ? null : pathToFileURL(resolve(out)).href;
        if (opts.json) {
          say(JSON.stringify({ input, out, bytes: html.bytes, slices, threads: html.header.threads.length, cpuIntervals, payloadBytes: html.payloadBytes, gzipBytes: html.gzipBytes, url }));
          return;
        }
        say(`wrote ${out}: ${mb(html.bytes)} (${fmtInt(slices)} slices, ${fmtInt(html.header.threads.length)} threads, ${fmtInt(cpuIntervals)} CPU intervals; data ${mb(html.payloadBytes)} -> ${mb(html.gzipBytes)} gzipped)`);
        if (url) say(`open ${url}`);
      } finally {
        a.close();
      }
    });
}
