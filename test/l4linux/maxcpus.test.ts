import { describe, expect, it } from 'vitest';
import { runUntraced } from '../support/record.js';

describe('maxcpus-deadlock: more virtual CPUs than physical ones', () => {
  it('with maxcpus 2 on 1 CPU the timer thread spins on the kernel lock above its holder: deadlock', () => {
    const r = runUntraced('maxcpus-deadlock', { sets: ['maxcpus=2'] });
    expect(r.outcome).toBe('deadlock');
    expect(r.detail).toMatch(/linux-timer \(prio 201\) spins on kernel_flag held by linux-vcpu1 \(prio 180\) on the same CPU/);
  });

  it('it deadlocks under other seeds too (eventually, as D0 says)', () => {
    for (const seed of [1, 2, 3]) expect(runUntraced('maxcpus-deadlock', { seed, sets: ['maxcpus=2'] }).outcome).toBe('deadlock');
  });

  it('with maxcpus 1 there is no spinlock, only the blocking cli lock, and the workload completes', () => {
    const r = runUntraced('maxcpus-deadlock', { sets: ['maxcpus=1'] });
    expect(r.outcome).toBe('ok');
    expect(r.metrics.find((m) => m.name === 'init.exit_status')?.value).toBe(0);
  });
});
