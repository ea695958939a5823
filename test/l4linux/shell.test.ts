import { describe, expect, it } from 'vitest';
import { Kind } from '../../tracer/catalogue.js';
import { metric, recordInMemory, runUntraced } from '../support/record.js';

describe('shell: a pipeline of guests typed at through keyboard IRQs', () => {
  const r = recordInMemory('shell');

  it('the shell runs the two- and three-stage pipelines and exits; the console transcript is the expected one', () => {
    expect(r.result.run.stop.outcome).toBe('ok');
    expect(metric(r, 'shell.console_matches')).toBe(1);
    expect(metric(r, 'linux.forks')).toBe(5); // 2 + 3 pipeline stages
    expect(metric(r, 'linux.execs')).toBe(5);
  });

  it('keystrokes arrive as IRQ 1 hits handled by the Linux server interrupt thread', () => {
    const reader = r.reader();
    const irqThread = reader.threads.findIndex((t) => reader.string(t.name) === 'linux-irq1');
    expect(irqThread).toBeGreaterThan(0);
    const raises = [...reader.events()].filter((e) => e.kind === Kind.IRQ_RAISE && e.args[0] === 1);
    const typed = 'echo hello world | upcase\necho one two three | upcase | wc\nexit\n'.length;
    expect(raises.length).toBe(typed);
  });

  it('other seeds move the keystrokes but not the transcript', () => {
    for (const seed of [1, 2]) {
      const s = runUntraced('shell', { seed });
      expect(s.outcome).toBe('ok');
      expect(s.metrics.find((m) => m.name === 'shell.console_matches')?.value).toBe(1);
    }
  });

  it('a wrong expectation is reported as a mismatch, not as a pass', () => {
    const s = runUntraced('shell', { sets: ['expect="$ nothing like this\\n"'] });
    expect(s.outcome).toBe('ok');
    expect(s.metrics.find((m) => m.name === 'shell.console_matches')?.value).toBe(0);
  });
});
