import { describe, expect, it } from 'vitest';
import { runTable2, runTable2Predictions } from '../../src/session/table2.js';
import { FIASCO_V2, PISTACHIO_X2 } from '../../src/l4/costs.js';
import { LINUX22_COSTS, PAPER_TABLE2, SYSENTER_COSTS, type Table2Cell, type Table2Prediction } from '../../src/scenarios/table2.js';
import { runCli } from '../support/cli.js';

const cell = (cells: Table2Cell[], row: string, op: string): Table2Cell => {
  const c = cells.find((x) => x.row === row && x.op === op);
  if (!c) throw new Error(`no ${row} ${op} cell`);
  return c;
};
const prediction = (preds: Table2Prediction[], variant: string, op: string): Table2Prediction => {
  const p = preds.find((x) => x.variant === variant && x.op === op);
  if (!p) throw new Error(`no ${variant} ${op} prediction`);
  return p;
};

describe('Table 2 of the seed thesis: getpid and fork on Linux 2.2 and 2.4, L4Linux 2.2, L4Linux 2.4 V2 and L4Env', () => {
  const cells = runTable2();

  it('has the ten cells of the five seed rows in the paper\'s order, each within 15% of the seed figure', () => {
    expect(cells.map((c) => `${c.row}.${c.op}`)).toEqual([
      'native22.getpid', 'native22.fork', 'native.getpid', 'native.fork', 'l4linux22.getpid', 'l4linux22.fork',
      'l4linux.getpid', 'l4linux.fork', 'l4env.getpid', 'l4env.fork',
    ]);
    expect(cells.map((c) => c.paper)).toEqual([370, 91_145, 377, 102_123, 2_049, 994_508, 2_078, 1_022_591, 2_133, 1_084_195]);
    for (const c of cells) {
      expect(c.paper).toBe(PAPER_TABLE2[c.row][c.op]);
      expect(Math.abs(c.simulated / c.paper - 1), `${c.label} ${c.op}: ${c.simulated} vs ${c.paper}`).toBeLessThan(0.15);
    }
  });

  it('marks the calibrated cells with the cost fitted to each; the L4Linux 2.2 and L4Env cells are predictions', () => {
    expect(Object.fromEntries(cells.map((c) => [`${c.row}.${c.op}`, c.calibrated]))).toEqual({
      'native22.getpid': 'linuxSyscall',
      'native22.fork': 'linuxFork',
      'native.getpid': 'linuxSyscall',
      'native.fork': 'linuxFork',
      'l4linux22.getpid': null,
      'l4linux22.fork': null,
      'l4linux.getpid': 'ipcPath',
      'l4linux.fork': 'unmap',
      'l4env.getpid': null,
      'l4env.fork': null,
    });
    // A calibrated cell lands on the paper (the fit); nothing makes a prediction do so.
    for (const c of cells.filter((x) => x.calibrated)) expect(Math.abs(c.simulated / c.paper - 1), `${c.label} ${c.op}`).toBeLessThan(0.01);
  });

  it('the 2.2 rows run the same mechanisms with Linux 2.2\'s own costs: L4Linux 2.2 is predicted from 2.4 V2 by the native difference', () => {
    expect(Object.keys(LINUX22_COSTS).sort()).toEqual(['linuxFork', 'linuxSyscall']);
    for (const op of ['getpid', 'fork'] as const) {
      expect(cell(cells, 'native22', op).counts).toEqual(cell(cells, 'native', op).counts);
      expect(cell(cells, 'native22', op).linux).toBe('2.2.22');
      const nativeDiff = cell(cells, 'native', op).simulated - cell(cells, 'native22', op).simulated;
      const l4Diff = cell(cells, 'l4linux', op).simulated - cell(cells, 'l4linux22', op).simulated;
      expect(nativeDiff).toBeGreaterThan(0);
      // getpid: exactly linuxSyscall's difference; fork: the same Linux work, up to timing jitter of the
      // L4 side (a tick landing elsewhere), within 2% of the difference.
      expect(Math.abs(l4Diff - nativeDiff), `${op}: ${l4Diff} vs ${nativeDiff}`).toBeLessThan(op === 'getpid' ? 1 : 0.02 * nativeDiff);
    }
    expect(cell(cells, 'native', 'getpid').simulated - cell(cells, 'native22', 'getpid').simulated).toBeCloseTo(FIASCO_V2.linuxSyscall - LINUX22_COSTS.linuxSyscall, 0);
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

  describe('§5.4 of the thesis: predictions for L4Linux 2.4 V2 with one mechanism changed', () => {
    const preds = runTable2Predictions(cells);
    const base = (op: string): Table2Cell => cell(cells, 'l4linux', op);

    it('has a getpid and a fork prediction per variant, each next to the V2 cell of the table', () => {
      expect(preds.map((p) => `${p.variant}.${p.op}`)).toEqual([
        'direct.getpid', 'direct.fork', 'sysenter.getpid', 'sysenter.fork', 'direct+sysenter.getpid', 'direct+sysenter.fork', 'x2.getpid', 'x2.fork',
      ]);
      for (const p of preds) {
        expect(p.baseline).toBe(base(p.op).simulated);
        expect(p.change).toBeCloseTo(p.simulated - p.baseline, 1);
      }
    });

    it('the modified C library removes the reflected int $0x80 trap: getpid saves exceptionReflect, fork one per system call', () => {
      expect(base('getpid').reflected).toBe(1);
      expect(base('fork').reflected).toBe(3);
      const g = prediction(preds, 'direct', 'getpid');
      const f = prediction(preds, 'direct', 'fork');
      expect(g.reflected).toBe(0);
      expect(f.reflected).toBe(0);
      expect(base('getpid').simulated - g.simulated).toBeCloseTo(FIASCO_V2.exceptionReflect, 0);
      expect(f.simulated).toBeLessThan(base('fork').simulated);
      // The same IPCs still carry the call: only the trap's reflection goes.
      expect(g.counts).toMatchObject({ ipc: 2, as_switches: 2, linux_syscalls: 1 });
    });

    it('sysenter/sysexit is cheaper than int/iret: each L4 system call saves the entry difference, exceptions stay', () => {
      const saving = FIASCO_V2.syscallEntryExit - SYSENTER_COSTS.syscallEntryExit;
      expect(saving).toBeGreaterThan(0);
      const g = prediction(preds, 'sysenter', 'getpid');
      const f = prediction(preds, 'sysenter', 'fork');
      expect(g.reflected).toBe(1); // the int $0x80 trap is an exception: sysenter does not remove it
      // Within 2 cycles: timer ticks fall on a slightly different share of the calls when they run faster.
      expect(Math.abs(base('getpid').simulated - g.simulated - g.counts.l4_syscalls * saving)).toBeLessThan(2);
      expect(f.simulated).toBeLessThan(base('fork').simulated);
      expect(Math.abs(base('fork').simulated - f.simulated - f.counts.l4_syscalls * saving)).toBeLessThan(0.01 * f.counts.l4_syscalls * saving);
      const both = prediction(preds, 'direct+sysenter', 'getpid');
      expect(both.simulated).toBeLessThan(Math.min(g.simulated, prediction(preds, 'direct', 'getpid').simulated));
      expect(Math.abs(base('getpid').simulated - both.simulated - (FIASCO_V2.exceptionReflect + both.counts.l4_syscalls * saving))).toBeLessThan(2);
    });

    it('the X.2 flavour runs the same mechanisms on the Pistachio profile: cheaper IPC and unmap make both calls cheaper', () => {
      const g = prediction(preds, 'x2', 'getpid');
      const f = prediction(preds, 'x2', 'fork');
      expect(g.counts).toMatchObject({ ipc: 2, as_switches: 2, linux_syscalls: 1 });
      expect(f.counts.unmaps).toBeCloseTo(base('fork').counts.unmaps, 0);
      const perIpc = (c: typeof FIASCO_V2): number => c.syscallEntryExit + c.ipcPath + c.asSwitch;
      expect(Math.abs(base('getpid').simulated - g.simulated - 2 * (perIpc(FIASCO_V2) - perIpc(PISTACHIO_X2)))).toBeLessThan(2);
      expect(f.simulated).toBeLessThan(base('fork').simulated / 2); // ~209 unmaps at 440 instead of 4,300 cycles
    });
  });

  it('`l4trace bench table2 --json` prints one object per cell, then one per §5.4 prediction', () => {
    const r = runCli(['bench', 'table2', '--json', '--set', 'forks=5', '--set', 'getpids=200']);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(18);
    const table = lines.filter((l) => l.section === 'table2');
    const preds = lines.filter((l) => l.section === '5.4');
    expect(table).toHaveLength(10);
    expect(preds).toHaveLength(8);
    for (const l of table) {
      expect(Object.keys(l)).toEqual(['section', 'row', 'label', 'personality', 'linux', 'op', 'simulated', 'paper', 'ratio', 'calibrated', 'prediction', 'counts', 'reflected']);
      expect(l.prediction).toBe(l.calibrated === null);
      expect(l.counts).toHaveProperty('ipc');
      expect(l.counts).toHaveProperty('pages_copied');
    }
    expect(table.filter((l) => l.prediction).map((l) => `${l.row}.${l.op}`)).toEqual(['l4linux22.getpid', 'l4linux22.fork', 'l4env.getpid', 'l4env.fork']);
    for (const l of preds) {
      expect(Object.keys(l)).toEqual(['section', 'variant', 'label', 'op', 'simulated', 'baseline', 'change', 'prediction', 'mechanism', 'sets', 'counts', 'reflected']);
      expect(l.prediction).toBe(true);
      expect(l.counts).toHaveProperty('unmaps');
    }
    expect(preds.find((l) => l.variant === 'x2').sets).toEqual(['flavour=x2']);
  });

  it('`l4trace bench table2` prints the five rows with their marks and the §5.4 predictions; a bad --set is one clear error', () => {
    const r = runCli(['bench', 'table2', '--set', 'forks=5', '--set', 'getpids=200']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Linux 2\.2\.22\s+getpid\(\).*\[CAL\] linuxSyscall \(2\.2\)/);
    expect(r.stdout).toMatch(/L4Linux 2\.2\.22\s+fork\(\).*predicted/);
    expect(r.stdout).toMatch(/L4Linux 2\.4\.19 V2\s+fork\(\).*\[CAL\] unmap/);
    expect(r.stdout).toMatch(/L4Linux 2\.4\.19 L4Env\s+fork\(\).*predicted/);
    expect(r.stdout).toMatch(/§5\.4 .*PREDICTIONS/);
    expect(r.stdout).toMatch(/modified C library\s+getpid\(\)/);
    expect(r.stdout).toMatch(/X\.2 flavour \(Pistachio\)\s+fork\(\)/);
    const bad = runCli(['bench', 'table2', '--set', 'forks=-1']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/^l4trace: .*forks/);
    expect(bad.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  });
});
