/**
 * `l4trace images`: the ELF programs a trace embeds, byte for byte (guest images of the header, executed
 * files of the root file system), names that stay inside the folder, and one-line errors.
 */
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { safeFileName } from '../../replay/images.js';
import { loadCommittedGuest } from '../../src/guests/catalog.js';
import { GOLDEN_DIR } from '../support/golden.js';
import { runCli, tempDir } from '../support/cli.js';

describe('l4trace images', () => {
  it('writes the guest image of a trace, identical to the committed ELF, and says how to load it in gdb', () => {
    const dir = join(tempDir(), 'images');
    const r = runCli(['images', join(GOLDEN_DIR, 'rec-O2.l4t'), '-o', dir]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(readdirSync(dir)).toEqual(['rec-O2']);
    expect(Buffer.from(readFileSync(join(dir, 'rec-O2'))).equals(Buffer.from(loadCommittedGuest('rec-O2')))).toBe(true);
    expect(r.stdout).toContain(`gdb ${join(dir, 'rec-O2')}`);
  });

  it('writes the root file system programs the run executed (and only ELF files), with --json', () => {
    const dir = join(tempDir(), 'images');
    const r = runCli(['images', join(GOLDEN_DIR, 'rootfs-sh.l4t'), '-o', dir, '--json']);
    expect(r.code).toBe(0);
    const j = JSON.parse(r.stdout) as { images: { file: string; source: string; bytes: number }[] };
    expect(j.images.map((i) => i.file)).toContain('sh');
    expect(j.images.every((i) => i.source.startsWith('root file system /bin/'))).toBe(true);
    for (const i of j.images) expect(readFileSync(join(dir, i.file)).subarray(0, 4).toString('latin1')).toBe('\x7fELF');
    expect(Buffer.from(readFileSync(join(dir, 'sh'))).equals(Buffer.from(loadCommittedGuest('sh')))).toBe(true);
  });

  it('names from a trace cannot leave the folder', () => {
    expect(safeFileName('../../etc/passwd')).toBe('.._.._etc_passwd');
    expect(safeFileName('..')).toBe('program');
    expect(safeFileName('.')).toBe('program');
    expect(safeFileName('')).toBe('program');
    expect(safeFileName('a/b\\c d')).toBe('a_b_c_d');
    expect(safeFileName('x'.repeat(300)).length).toBe(100);
  });

  it('refuses an output that is the input, a folder that is a file, and an unreadable trace, in one line', () => {
    const dir = tempDir();
    const trace = join(GOLDEN_DIR, 'rec-O2.l4t');
    const file = join(dir, 'plain');
    writeFileSync(file, 'x');
    for (const [args, pattern] of [
      [['images', trace, '-o', trace], /is the input/],
      [['images', trace, '-o', file], /not a folder/],
      [['images', join(dir, 'missing.l4t'), '-o', join(dir, 'out')], /missing\.l4t/],
    ] as const) {
      const r = runCli([...args]);
      expect(r.code).not.toBe(0);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(pattern);
    }
  });
});
