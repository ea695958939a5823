/**
 * Outputs are written atomically and nothing a user had is lost: a bad output path fails before any
 * work with one line, a failed or killed run leaves the earlier file as it was, and what a killed run
 * had recorded is kept readable beside it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSink } from '../../tracer/file-writer.js';
import { emptyHeader, Outcome } from '../../tracer/packets.js';
import { TraceReader } from '../../tracer/reader.js';
import { generateSynthetic } from '../../tracer/synthetic.js';
import { Tracer } from '../../tracer/tracer.js';
import { BIN, runCli, tempDir } from '../support/cli.js';

const OLD = 'what the user had before\n';

/** Writes a synthetic trace through a FileSink up to its footer; the returned function finishes it. */
function writeThrough(sink: FileSink): () => void {
  const tracer = new Tracer(sink, { ...emptyHeader(), toolVersion: 'test', scenarioName: 'sample', synthetic: true }, { chunkEvents: 100 });
  const end = generateSynthetic(tracer, { profile: 'mixed', events: 20_000, threads: 3, seed: 1 });
  return () => tracer.finish({ outcome: Outcome.OK, endTime: end });
}

describe('the trace file writer', () => {
  it('replaces an existing file only when the trace is complete', () => {
    const dir = tempDir();
    const out = join(dir, 'run.l4t');
    writeFileSync(out, OLD);
    const sink = new FileSink(out);
    const finish = writeThrough(sink);
    expect(readFileSync(out, 'utf8')).toBe(OLD); // still the old file while the new one is written
    expect(existsSync(sink.partialPath)).toBe(true);
    finish(); // writes the footer and closes the sink
    expect(existsSync(sink.partialPath)).toBe(false);
    expect(TraceReader.open(out).truncated).toBeUndefined();
  });

  it('a failed run keeps the old file and leaves what it recorded readable as .partial', () => {
    const dir = tempDir();
    const out = join(dir, 'run.l4t');
    writeFileSync(out, OLD);
    const sink = new FileSink(out);
    writeThrough(sink);
    const partial = sink.abandon();
    expect(readFileSync(out, 'utf8')).toBe(OLD);
    const r = TraceReader.open(partial);
    expect(r.truncated?.reason).toMatch(/no footer/);
    let n = 0;
    for (const _ of r.events()) n++;
    expect(n).toBeGreaterThan(10_000);
  });

  it('discard removes the partial output and keeps the old file', () => {
    const dir = tempDir();
    const out = join(dir, 'run.l4t');
    writeFileSync(out, OLD);
    const sink = new FileSink(out);
    sink.discard();
    expect(readFileSync(out, 'utf8')).toBe(OLD);
    expect(readdirSync(dir)).toEqual(['run.l4t']);
  });
});

describe('output paths on the command line', () => {
  const dir = tempDir();
  const trace = join(dir, 'irq.l4t');
  const file = join(dir, 'a-file');
  const folder = join(dir, 'a-folder');
  writeFileSync(file, OLD);
  mkdirSync(folder);

  it('a trace to work on', () => {
    expect(runCli(['record', 'irq', '--set', 'hits=20', '-o', trace]).code).toBe(0);
  });

  const cases: [string, () => string[], RegExp][] = [
    ['record to a folder', () => ['record', 'irq', '-o', folder], /^l4trace: -o .*a-folder: is a folder \(give a file name\)\n$/],
    ['record into a missing folder', () => ['record', 'irq', '-o', join(dir, 'no', 'x.l4t')], /^l4trace: -o .*x\.l4t: the folder .*no does not exist\n$/],
    ['record under a file', () => ['record', 'irq', '-o', join(file, 'x.l4t')], /^l4trace: -o .*x\.l4t: .*a-file is not a folder\n$/],
    ['demo into a file', () => ['demo', '-o', file], /^l4trace: -o .*a-file: exists and is not a folder\n$/],
    ['sweep into a file', () => ['sweep', 'signal-race', '--seeds', '1..2', '-o', file], /^l4trace: -o .*a-file: exists and is not a folder\n$/],
    ['filter to a folder', () => ['filter', trace, '-o', folder, '--drop-kind', 'IPC'], /^l4trace: -o .*a-folder: is a folder/],
    ['export to a folder', () => ['export', trace, '--format', 'perfetto', '-o', folder], /^l4trace: -o .*a-folder: is a folder/],
    ['parquet export over a file', () => ['export', trace, '--format', 'parquet', '-o', file], /^l4trace: -o .*a-file: exists and is not a folder\n$/],
    ['run --trace to a folder', () => ['run', 'hello', '--trace', folder], /^l4trace: --trace .*a-folder: is a folder/],
  ];
  for (const [what, args, message] of cases) {
    it(`${what}: exit 1, one line, nothing written`, () => {
      const before = readdirSync(dir).sort();
      const r = runCli(args());
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(message);
      expect(r.stderr.split('\n').filter(Boolean)).toHaveLength(1);
      expect(readdirSync(dir).sort()).toEqual(before);
      expect(readFileSync(file, 'utf8')).toBe(OLD);
      expect(readdirSync(folder)).toEqual([]);
    });
  }

  it('a record killed halfway keeps the old file; what it had recorded is readable beside it', async () => {
    const out = join(dir, 'long.l4t');
    writeFileSync(out, OLD);
    const child = spawn(process.execPath, [BIN, 'record', 'pingpong', '--set', 'params.rounds=3000000', '-o', out], { stdio: 'ignore' });
    const exited = new Promise<void>((done) => child.on('exit', () => done()));
    // Wait until the recorder has flushed at least one megabyte to its .partial file, then interrupt it.
    let partial: string | undefined;
    for (let i = 0; i < 600 && !partial; i++) {
      await new Promise((r) => setTimeout(r, 100));
      partial = readdirSync(dir)
        .filter((f) => f.startsWith('long.l4t.') && f.endsWith('.partial'))
        .map((f) => join(dir, f))
        .find((f) => statSync(f).size > 1 << 20);
    }
    expect(partial).toBeDefined();
    child.kill('SIGINT');
    await exited;
    expect(readFileSync(out, 'utf8')).toBe(OLD);
    const r = runCli(['info', partial!, '--json']);
    expect(r.code, r.stderr).toBe(0);
    const info = JSON.parse(r.stdout) as { events: number; truncated: unknown };
    expect(info.truncated).not.toBe(false);
    expect(info.events).toBeGreaterThan(10_000);
  }, 90_000);
});
