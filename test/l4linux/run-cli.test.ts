/**
 * `l4trace run`: the guest's console output goes to stdout, what it writes to fd 2 to stderr; the
 * host's stdin (when it is not a terminal) is the guest's console input, recorded with the scenario so
 * that the trace replays by itself; --no-stdin and --set stdin=... instead.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, tempDir } from '../support/cli.js';
import { expectedGuests } from '../support/guests.js';

describe('l4trace run', () => {
  it("routes the guest's fd 2 to stderr and fd 1 to stdout", () => {
    const auxv = expectedGuests().find((g) => g.name === 'auxv')!;
    const r = runCli(['run', 'auxv', 'stderr']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(auxv.stdout + 'auxv: this line goes to fd 1\n');
    expect(r.stderr).toBe('auxv: this line goes to fd 2\n');
  });

  it("feeds the host's stdin to the guest; --no-stdin and --set stdin=... instead", () => {
    const text = 'one two  three\nfour\nfive six';
    expect(runCli(['run', 'wc'], { input: text }).stdout).toBe('2 6 28\n');
    expect(runCli(['run', 'wc', '--no-stdin'], { input: text }).stdout).toBe('0 0 0\n');
    expect(runCli(['run', 'wc', '--set', 'stdin=a b'], { input: text }).stdout).toBe('0 2 3\n');
    expect(runCli(['run', 'wc']).stdout).toBe('0 0 0\n'); // stdin at its end at once
  });

  it('records the input with the scenario: the trace replays without it', () => {
    const dir = tempDir();
    const file = join(dir, 'wc.l4t');
    const rec = runCli(['run', 'wc', '--trace', file], { input: 'alpha beta\ngamma\n' });
    expect(rec.code).toBe(0);
    expect(rec.stdout).toBe('2 3 17\n');
    const replay = runCli(['replay', file]);
    expect(replay.code, replay.stdout + replay.stderr).toBe(0);
  });
});
