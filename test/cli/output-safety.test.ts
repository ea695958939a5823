/**
 * Outputs never destroy data (issue 12): an output that is one of the command's inputs, a FIFO, a
 * device or a folder where a file is meant is refused before any work, for every command that writes;
 * Ctrl-C while an output is unfinished removes it (or keeps a cut recording) and says so in one line.
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { MemorySink } from '../../tracer/sink.js';
import { emptyHeader, Outcome } from '../../tracer/packets.js';
import { generateSynthetic } from '../../tracer/synthetic.js';
import { Tracer } from '../../tracer/tracer.js';
import { BIN, runCli, tempDir } from '../support/cli.js';

const dir = tempDir();
const trace = join(dir, 'race.l4t');
const scenario = join(dir, 'scenario.json');
const elf = join(dir, 'hello.elf');

function oneLine(stderr: string, ...mentions: string[]): void {
  expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
  expect(stderr).not.toMatch(/internal error|^\s+at /m);
  for (const m of mentions) expect(stderr).toContain(m);
}

describe('an output that is an input is refused, and the input stays as it was', () => {
  it('inputs to work on', () => {
    expect(runCli(['record', 'signal-race', '--seed', '1', '-o', trace]).code).toBe(0);
    writeFileSync(scenario, JSON.stringify({ scenario: 'irq', params: { hits: 5 } }));
    writeFileSync(elf, readFileSync(new URL('../../src/guests/bin/hello', import.meta.url)));
  });

  const cases: [string, () => string[], () => string][] = [
    ['record', () => ['record', scenario, '-o', scenario], () => scenario],
    ['run --trace', () => ['run', elf, '--trace', elf, '--no-stdin'], () => elf],
    ['filter', () => ['filter', trace, '-o', trace, '--drop-kind', 'IPC'], () => trace],
    ['shrink', () => ['shrink', trace, '-o', trace], () => trace],
    ['export perfetto', () => ['export', trace, '--format', 'perfetto', '-o', trace], () => trace],
    ['export chrome-json', () => ['export', trace, '--format', 'chrome-json', '-o', trace], () => trace],
    ['view', () => ['view', trace, '-o', trace], () => trace],
    ['load --db', () => ['load', trace, '--db', trace], () => trace],
    ['query --db', () => ['query', trace, 'select 1', '--db', trace], () => trace],
    ['report --db', () => ['report', trace, '--db', trace], () => trace],
    ['score -g', () => ['score', trace, '-g', trace], () => trace],
    ['export -o the --db', () => ['export', trace, '--format', 'perfetto', '--db', join(dir, 'k.duckdb'), '-o', join(dir, 'k.duckdb')], () => trace],
  ];
  for (const [what, args, input] of cases) {
    it(what, () => {
      const before = readFileSync(input());
      const files = readdirSync(dir).sort();
      const r = runCli(args());
      expect(r.code, r.stderr).toBe(1);
      oneLine(r.stderr, 'is the input');
      expect(Buffer.from(readFileSync(input())).equals(before)).toBe(true);
      expect(readdirSync(dir).sort()).toEqual(files);
    });
  }
});

describe('a --db path holding something l4trace did not write is never replaced', () => {
  it('a text file and a plain DuckDB database stay as they were; a stale l4trace database is loaded again', async () => {
    const notes = join(dir, 'notes.txt');
    writeFileSync(notes, 'my notes\n');
    const r = runCli(['query', trace, 'select 1', '--db', notes]);
    expect(r.code).toBe(1);
    oneLine(r.stderr, 'exists and is not a database l4trace wrote');
    expect(readFileSync(notes, 'utf8')).toBe('my notes\n');
    const { DuckDBInstance } = await import('@duckdb/node-api');
    const plain = join(dir, 'plain.duckdb');
    const inst = await DuckDBInstance.create(plain);
    const con = await inst.connect();
    await con.run('CREATE TABLE mine AS SELECT 42 AS answer');
    con.closeSync();
    inst.closeSync();
    const before = readFileSync(plain);
    const p = runCli(['load', trace, '--db', plain]);
    expect(p.code).toBe(1);
    oneLine(p.stderr, 'exists and is not a database l4trace wrote');
    expect(Buffer.from(readFileSync(plain)).equals(before)).toBe(true);
    const kept = join(dir, 'kept-stale.duckdb');
    expect(runCli(['load', trace, '--db', kept]).code).toBe(0);
    const other = join(dir, 'other.l4t');
    expect(runCli(['record', 'irq', '--set', 'hits=5', '-o', other]).code).toBe(0);
    const again = runCli(['load', other, '--db', kept]);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toMatch(/^loaded /);
  });
});

describe('FIFOs, devices and folders are not outputs', () => {
  const fifo = join(dir, 'a-fifo');
  const folder = join(dir, 'a-folder');
  it('setup', () => {
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    mkdirSync(folder);
  });

  const cases: [string, () => string[], string][] = [
    ['view to a FIFO', () => ['view', trace, '-o', fifo], 'not a regular file'],
    ['view to /dev/null', () => ['view', trace, '-o', '/dev/null'], 'not a regular file'],
    ['filter to /dev/null', () => ['filter', trace, '-o', '/dev/null', '--drop-kind', 'IPC'], 'not a regular file'],
    ['export to a FIFO', () => ['export', trace, '--format', 'chrome-json', '-o', fifo], 'not a regular file'],
    ['query --db a folder', () => ['query', trace, 'select 1', '--db', folder], 'is a folder'],
    ['load --db a FIFO', () => ['load', trace, '--db', fifo], 'not a regular file'],
    ['record to a FIFO', () => ['record', 'irq', '-o', fifo], 'not a regular file'],
  ];
  for (const [what, args, why] of cases) {
    it(what, () => {
      const files = readdirSync(dir).sort();
      const r = runCli(args());
      expect(r.code, r.stderr).toBe(1);
      oneLine(r.stderr, why);
      expect(readdirSync(dir).sort()).toEqual(files); // no .partial left behind
      expect(statSync(fifo).isFIFO()).toBe(true);
      expect(statSync('/dev/null').isCharacterDevice()).toBe(true);
      expect(readdirSync(folder)).toEqual([]);
    });
  }
});

/** Start a command, wait until its temporary output exists (and has `minBytes`), then send `signal`. */
async function interrupt(args: string[], folder: string, prefix: string, signal: NodeJS.Signals, minBytes = 0): Promise<{ code: number | null; stderr: string; partial: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  let partial: string | undefined;
  for (let i = 0; i < 900 && !partial; i++) {
    await new Promise((r) => setTimeout(r, 20));
    partial = readdirSync(folder)
      .filter((f) => f.startsWith(prefix) && f.endsWith('.partial'))
      .map((f) => join(folder, f))
      .find((f) => statSync(f).isDirectory() || statSync(f).size >= minBytes);
  }
  expect(partial, `no ${prefix}*.partial appeared`).toBeDefined();
  child.kill(signal);
  return { code: await exited, stderr, partial: partial! };
}

describe('Ctrl-C (SIGINT) and SIGTERM while an output is unfinished', () => {
  const big = join(dir, 'big.l4t');
  it('a big trace to work on', () => {
    const sink = new MemorySink();
    const tracer = new Tracer(sink, { ...emptyHeader(), toolVersion: 'test', scenarioName: 'big', synthetic: true }, {});
    const end = generateSynthetic(tracer, { profile: 'mixed', events: 4_000_000, threads: 8, seed: 3 });
    tracer.finish({ outcome: Outcome.OK, endTime: end });
    writeFileSync(big, sink.bytes());
  });

  it('record: the cut recording is kept under its temporary name, named in one line, exit 130; it replays as a prefix', async () => {
    const out = join(dir, 'long.l4t');
    const r = await interrupt(['record', 'pingpong', '--set', 'rounds=3000000', '--set', 'compare=[]', '-o', out], dir, 'long.l4t.', 'SIGINT', 1 << 20);
    expect(r.code).toBe(130);
    oneLine(r.stderr, 'interrupted (SIGINT)', `kept the unfinished ${r.partial}`);
    expect(existsSync(out)).toBe(false);
    const replay = runCli(['replay', r.partial]);
    expect(replay.code, replay.stdout + replay.stderr).toBe(3);
    expect(replay.stdout).toMatch(/cut short after event #\d+: the prefix is identical/);
  }, 120_000);

  it('load --db: the unfinished database is removed, the old one kept, one line, exit 130', async () => {
    // What the user had: a database l4trace wrote of another trace (anything else is never replaced).
    const db = join(dir, 'kept.duckdb');
    expect(runCli(['load', trace, '--db', db]).code).toBe(0);
    const before = readFileSync(db);
    const r = await interrupt(['load', big, '--db', db], dir, 'kept.duckdb.', 'SIGINT');
    expect(r.code).toBe(130);
    oneLine(r.stderr, 'interrupted (SIGINT)', `removed the unfinished ${r.partial}`);
    expect(Buffer.from(readFileSync(db)).equals(before)).toBe(true);
    expect(readdirSync(dir).filter((f) => f.startsWith('kept.duckdb.'))).toEqual([]);
  }, 120_000);

  it('export: SIGTERM removes the unfinished file, exit 143', async () => {
    const out = join(dir, 'big.json');
    const r = await interrupt(['export', big, '--format', 'perfetto', '-o', out], dir, 'big.json.', 'SIGTERM');
    expect(r.code, r.stderr).toBe(143);
    oneLine(r.stderr, 'interrupted (SIGTERM)', 'removed the unfinished');
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir).filter((f) => f.startsWith('big.json.'))).toEqual([]);
  }, 120_000);
});
