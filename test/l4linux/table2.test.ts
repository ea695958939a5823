import { describe, expect, it } from 'vitest';
import { runTable2 } from '../../src/session/table2.js';
import { FIASCO_V2 } from '../../src/l4/costs.js';
import { PAPER_TABLE2, type Table2Cell } from '../../src/scenarios/table2.js';
import { runCli } from '../support/cli.js';

const cell = (cells: Table2Cell[], personality: string, op: string): Table2Cell => cells.find((c) => c.personality === personality && c.op === op)!;

describe('Table 2 of the seed thesis: getpid and fork on native Linux, L4Linux V2 and L4Linux L4Env', () => {
  const cells = runTable2();

  it('has the six cells, each within 15% of the seed figure', () => {
    expect(cells.map((c) => `${c.personality}.${c.op}`)).toEqual(['native.getpid', 'native.fork', 'l4linux.getpid', 'l4linux.fork', 'l4env.getpid', 'l4env.fork']);
    for (const c of cells) {
      expect(c.paper).toBe(PAPER_TABLE2[c.personality][c.op]);
      expect(Math.abs(c.simulated / c.paper - 1), `${c.label} ${c.op}: ${c.simulated} vs ${c.paper}`).toBeLessThan(0.15);
    }
  });

  it('the counts explain getpid: native traps once, L4Linux makes two IPCs with two address-space switches', () => {
    expect(cell(cells, 'native', 'getpid').counts).toMatchObject({ ipc: 0, as_switches: 0, linux_syscalls: 1 });
    for (const p of ['l4linux', 'l4env']) expect(cell(cells, p, 'getpid').counts).toMatchObject({ ipc: 2, as_switches: 2, page_faults: 0, linux_syscalls: 1 });
  });

  it('the counts explain fork: L4Linux creates and deletes a task, unmaps pages one by one and takes more faults; L4Env adds IPC', () => {
    const native = cell(cells, 'native', 'fork').counts;
    const v2 = cell(cells, 'l4linux', 'fork').counts;
    const env = cell(cells, 'l4env', 'fork').counts;
    expect(native).toMatchObject({ ipc: 0, unmaps: 0, task_news: 0, linux_syscalls: 3 });
    expect(v2.task_news).toBe(2);
    expect(v2.unmaps).toBeGreaterThan(100);
    expect(v2.page_faults).toBeGreaterThan(native.page_faults);
    expect(env.ipc).toBeGreaterThan(v2.ipc + 10); // the task server and the dataspace manager
    expect(cell(cells, 'l4env', 'fork').simulated).toBeGreaterThan(cell(cells, 'l4linux', 'fork').simulated);
  });

  it('figures follow from per-primitive costs: 10 more cycles of IPC path add 20 per L4Linux getpid and nothing natively', () => {
    const more = runTable2([`costs.ipcPath=${FIASCO_V2.ipcPath + 10}`]);
    expect(cell(more, 'l4linux', 'getpid').simulated - cell(cells, 'l4linux', 'getpid').simulated).toBeCloseTo(20, 0);
    expect(cell(more, 'native', 'getpid').simulated).toBe(cell(cells, 'native', 'getpid').simulated);
  });

  it('the modified C library (syscalls=direct) saves exactly the exception reflection per L4Linux getpid', () => {
    const direct = runTable2(['syscalls=direct', 'forks=2']);
    const saved = cell(cells, 'l4linux', 'getpid').simulated - cell(direct, 'l4linux', 'getpid').simulated;
    expect(saved).toBeCloseTo(FIASCO_V2.exceptionReflect, 0);
    expect(cell(direct, 'native', 'getpid').simulated).toBe(cell(cells, 'native', 'getpid').simulated);
  });

  it('`l4trace bench table2 --json` prints one object per cell', () => {
    const r = runCli(['bench', 'table2', '--json', '--set', 'forks=5', '--set', 'getpids=200']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(6);
    for (const l of lines) {
      expect(Object.keys(l)).toEqual(['personality', 'op', 'simulated', 'paper', 'ratio', 'counts']);
      expect(l.counts).toHaveProperty('ipc');
      expect(l.counts).toHaveProperty('pages_copied');
    }
  });

  it('`l4trace bench table2` prints the table; a bad --set is one clear error', () => {
    const r = runCli(['bench', 'table2', '--set', 'forks=5', '--set', 'getpids=200']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/L4Linux 2\.4\.19 L4Env\s+fork\(\)/);
    const bad = runCli(['bench', 'table2', '--set', 'forks=-1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^l4trace: .*forks/);
    expect(bad.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});
