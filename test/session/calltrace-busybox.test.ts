/**
 * Debian's busybox (static, stripped: no symbols, no hooks) traced by calls (src/ia32/shadow-stack.ts):
 * `sh -c` pipelines give every process a call tree of `sub_<hex>` functions, which `score` reports
 * (Score-P style), the analyzer's slice / call_tree tables nest, and the viewer page shows as function
 * slices; the recording replays as identical.
 *
 * busybox comes from `.cache/rootfs/busybox-rootfs.tar` (`npm run rootfs`; downloaded, never committed).
 * Without it the file is skipped with a one-line note.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { scoreTrace } from '../../analyze/score.js';
import { replayTrace } from '../../replay/replay.js';
import { resolveScenario } from '../../src/scenarios/resolve.js';
import { recordScenario } from '../../src/session/record-session.js';
import { DEFAULT_ENV } from '../../src/session/rootfs/environment.js';
import { readRootFs } from '../../src/session/rootfs/load.js';
import { Kind } from '../../tracer/catalogue.js';
import { ThreadKind } from '../../tracer/packets.js';
import { TraceReader } from '../../tracer/reader.js';
import { MemorySink } from '../../tracer/sink.js';
import { buildViewerPage } from '../../viewer/generate/page-builder.js';
import { withAnalysis } from '../support/analysis.js';
import { runCli, tempDir } from '../support/cli.js';

const REPO = fileURLToPath(new URL('../../', import.meta.url));
const ROOTFS_REL = '.cache/rootfs/busybox-rootfs.tar';
const ROOTFS = join(REPO, ROOTFS_REL);
const HAVE_ROOTFS = existsSync(ROOTFS);
if (!HAVE_ROOTFS) console.log(`busybox call-tracing tests skipped: ${ROOTFS_REL} is missing (npm run rootfs builds it)`);

const SCRIPT = "printf 'pear\\napple\\nfig\\napple\\n' | sort | uniq -c | sort -rn | head -2; echo done | tr a-z A-Z";
const SLOW = 180_000;

describe.skipIf(!HAVE_ROOTFS)('busybox sh -c pipelines traced by calls', () => {
  let bytes: Uint8Array;
  let file: string;
  let stdout = '';

  beforeAll(() => {
    const rootfs = readRootFs(ROOTFS).image;
    // As `l4trace record --rootfs ... /bin/sh -c ...` makes it: trace.functions defaults to auto
    const spec = resolveScenario({ scenario: 'run', params: { program: 'sh', path: '/bin/sh', args: ['-c', SCRIPT], env: [...DEFAULT_ENV] } }, 'record /bin/sh', {
      defaultTraceFunctions: 'auto',
    });
    expect(spec.trace.functions).toBe('auto');
    const sink = new MemorySink();
    const dec = new TextDecoder();
    recordScenario(spec, sink, { entropy: 'prng', toolVersion: 'test', rootfs, console: (_fd, d) => void (stdout += dec.decode(d)) });
    bytes = sink.bytes();
    file = join(tempDir(), 'busybox-calls.l4t');
    writeFileSync(file, bytes);
  }, SLOW);

  it('runs the pipeline, and every busybox process has balanced sub_<hex> calls', () => {
    expect(stdout).toBe('      2 apple\n      1 pear\nDONE\n');
    const reader = TraceReader.fromBytes(bytes);
    const perPid = new Map<number, { enters: number; exits: number; depth: number; maxDepth: number }>();
    for (const e of reader.events()) {
      if (e.kind !== Kind.FUNC_ENTER && e.kind !== Kind.FUNC_EXIT) continue;
      if (reader.threads[e.thread]!.kind !== ThreadKind.IA32) continue; // the server's kernel functions
      const pid = reader.threads[e.thread]!.linuxPid;
      let p = perPid.get(pid);
      if (!p) perPid.set(pid, (p = { enters: 0, exits: 0, depth: 0, maxDepth: 0 }));
      if (e.kind === Kind.FUNC_ENTER) {
        expect(reader.string(e.args[0]!)).toMatch(/^sub_[0-9a-f]+$/);
        p.enters++;
        p.maxDepth = Math.max(p.maxDepth, ++p.depth);
      } else {
        p.exits++;
        p.depth--;
        expect(p.depth).toBeGreaterThanOrEqual(0);
      }
    }
    // sh, and the children it forks for the pipeline's commands
    expect(perPid.size).toBeGreaterThanOrEqual(5);
    for (const [pid, p] of perPid) {
      expect(p.enters, `pid ${pid}`).toBeGreaterThan(50);
      expect(p.maxDepth, `pid ${pid}`).toBeGreaterThan(4);
      // what is still open at the end: the frames of calls that never return (exit, exec)
      expect(p.enters - p.exits, `pid ${pid}`).toBeLessThan(20);
    }
  });

  it('score: a Score-P style report of busybox functions, COM (on a path to a system call) and USR', () => {
    const reader = TraceReader.fromBytes(bytes);
    const s = scoreTrace(reader);
    const subs = s.rows.filter((r) => r.name.startsWith('sub_'));
    expect(subs.length).toBeGreaterThan(50);
    expect(subs.some((r) => r.type === 'COM')).toBe(true);
    expect(subs.some((r) => r.type === 'USR')).toBe(true);
    expect(s.functionBytes).toBeGreaterThan(0);
    for (const r of subs.slice(0, 10)) {
      expect(r.visits).toBeGreaterThan(0);
      expect(r.incl).toBeGreaterThanOrEqual(r.excl);
    }
  });

  it('score --tree: the call-path profile of the pipeline, nested several levels, inclusive >= its children', () => {
    const reader = TraceReader.fromBytes(bytes);
    const s = scoreTrace(reader, undefined, { limit: 200, minPercent: 0 });
    expect(s.callPaths).toBeGreaterThan(100);
    expect(s.foldedCalls).toBe(0);
    expect(Math.max(...s.tree.map((r) => r.depth))).toBeGreaterThan(4);
    // depth-first: a row's children follow it, one level deeper, and together take at most its time
    s.tree.forEach((r, i) => {
      expect(r.incl).toBeGreaterThanOrEqual(r.excl);
      const kids: number[] = [];
      for (let j = i + 1; j < s.tree.length && s.tree[j]!.depth > r.depth; j++) if (s.tree[j]!.depth === r.depth + 1) kids.push(s.tree[j]!.incl);
      expect(kids.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(r.incl);
    });
    const cli = runCli(['score', file, '--tree', '--top', '12']);
    expect(cli.code).toBe(0);
    expect(cli.stdout).toMatch(/call path\n/);
    expect(cli.stdout).toMatch(/\n +[\d,]+ +[\d,]+ +[\d,]+ +[\d.]+ {3,}sub_[0-9a-f]+\n/); // an indented row
  });

  it('the analyzer nests the calls: slices with parents, a call tree several levels deep', async () => {
    await withAnalysis(file, async (a) => {
      // The guest's calls (the Linux server's kernel functions are on model threads).
      const user = `category = 'func' AND utid IN (SELECT utid FROM thread WHERE kind = 'ia32')`;
      const funcs = Number(await a.scalar(`SELECT count(*) FROM slice WHERE ${user} AND name LIKE 'sub_%'`));
      expect(funcs).toBeGreaterThan(500);
      expect(Number(await a.scalar(`SELECT max(depth) FROM slice WHERE ${user}`))).toBeGreaterThan(4);
      const orphans = Number(await a.scalar(`SELECT count(*) FROM slice WHERE category = 'func' AND depth > 0 AND parent_id IS NULL`));
      expect(orphans).toBe(0);
      const deep = await a.query(`SELECT path, calls FROM call_tree WHERE depth >= 3 ORDER BY calls DESC LIMIT 5`);
      expect(deep.rows.length).toBeGreaterThan(0);
      for (const r of deep.rows) expect(String(r.path)).toMatch(/^sub_[0-9a-f]+( > sub_[0-9a-f]+){3,}/);
      const summary = await a.query(`SELECT name, count(*) AS calls FROM slice WHERE ${user} GROUP BY name ORDER BY calls DESC LIMIT 3`);
      expect(summary.rows.every((r) => String(r.name).startsWith('sub_') && Number(r.calls) > 10)).toBe(true);
    });
  }, SLOW);

  it('the viewer page has the function slices of every busybox process', async () => {
    await withAnalysis(file, async (a) => {
      const page = await buildViewerPage(a, file);
      const h = page.header;
      expect(h.categories).toContain('func');
      expect(h.names.filter((n) => n.startsWith('sub_')).length).toBeGreaterThan(50);
      // rows of call depth per thread: the busybox threads have function rows several levels deep
      const busybox = new Set(h.threads.filter((t) => /^(sh|exe|sort|uniq|head|tr|busybox)/.test(t.name)).map((t) => t.utid));
      expect(busybox.size).toBeGreaterThanOrEqual(5);
      const deepest = Math.max(...h.rows.filter((r) => busybox.has(r.utid)).map((r) => r.depth));
      expect(deepest).toBeGreaterThan(4);
    });
  }, SLOW);

  it('replays as identical from the trace alone', () => {
    const reader = TraceReader.fromBytes(bytes);
    const r = replayTrace(reader, 'busybox-calls.l4t');
    expect(r.difference).toBeNull();
    expect(r.verdict).toBe('identical');
  }, SLOW);
});
