import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIASCO_V2, PISTACHIO_X2, type CostProfile } from '../../src/l4/costs.js';
import { Kind, kindName } from '../../tracer/catalogue.js';
import { summarize } from '../../tracer/summary.js';
import { loadScenario, resolveScenario } from '../../src/scenarios/resolve.js';
import { ScenarioError } from '../../src/scenarios/spec.js';
import { runCli, tempDir } from '../support/cli.js';
import { metric, recordInMemory } from '../support/record.js';

describe('determinism', () => {
  for (const name of ['pingpong', 'irq', 'clients-server']) {
    it(`${name}: the same scenario and seed give byte-identical traces`, () => {
      const o = { seed: 7, sets: name === 'pingpong' ? ['rounds=200'] : [] };
      const a = recordInMemory(name, o);
      const b = recordInMemory(name, o);
      expect(a.result.run.stop.outcome).toBe('ok');
      expect(Buffer.from(a.bytes).equals(Buffer.from(b.bytes))).toBe(true);
    });
  }

  it('different seeds give different tie orders where the scenario has ties (clients-server)', () => {
    const dispatchOrder = (seed: number) => {
      const r = recordInMemory('clients-server', { seed, sets: ['calls=5'] });
      const reader = r.reader();
      const order: string[] = [];
      for (const ev of reader.events({ kinds: new Set([10]) })) {
        const name = reader.string(reader.threads.find((t) => t.l4Id === ev.args[1])?.name ?? 0);
        if (name.startsWith('client')) order.push(name);
      }
      return { order: order.join(' '), tape: reader.tape() };
    };
    const runs = [0, 1, 2, 3, 4, 5].map(dispatchOrder);
    expect(runs[0]!.tape.sites.length).toBeGreaterThan(0);
    expect(new Set(runs.map((r) => r.order)).size).toBeGreaterThan(1);
    expect(new Set(runs.map((r) => r.tape.values.join(','))).size).toBeGreaterThan(1);
  });
});

describe('several CPUs', () => {
  for (const cpus of [2, 3]) {
    it(`clients-server on ${cpus} CPUs: the server on CPU 0, the clients on the others, all of them busy; byte-identical twice`, () => {
      const o = { cpus, sets: ['calls=20'] };
      const r = recordInMemory('clients-server', o);
      expect(r.result.run.stop.outcome).toBe('ok');
      const reader = r.reader();
      const cpuOf = new Map(reader.threads.map((t) => [reader.string(t.name), t.cpu]));
      expect(cpuOf.get('server')).toBe(0);
      for (let i = 0; i < 4; i++) expect(cpuOf.get(`client${i}`)).toBe(1 + (i % (cpus - 1)));
      const switchedOn = new Set([...reader.events({ kinds: new Set([Kind.CONTEXT_SWITCH]) })].map((e) => e.args[0]));
      expect([...switchedOn].sort()).toEqual(Array.from({ length: cpus }, (_, i) => i));
      expect(Buffer.from(recordInMemory('clients-server', o).bytes).equals(Buffer.from(r.bytes))).toBe(true);
    });
  }

  it('placement cpu0 keeps every thread on CPU 0: the run is the one-CPU run', () => {
    const one = recordInMemory('clients-server', { sets: ['calls=20'] });
    const two = recordInMemory('clients-server', { cpus: 2, sets: ['calls=20', 'placement=cpu0'] });
    expect(metric(two, 'calls.ok')).toBe(metric(one, 'calls.ok'));
    expect(two.result.run.endTime).toBe(one.result.run.endTime);
  });

  it('irq on 2 CPUs: the background thread computes on CPU 1 and no longer delays the handler', () => {
    const one = recordInMemory('irq', { sets: ['hits=100'] });
    const two = recordInMemory('irq', { cpus: 2, sets: ['hits=100'] });
    const reader = two.reader();
    expect(reader.threads.find((t) => reader.string(t.name) === 'background')!.cpu).toBe(1);
    expect(metric(two, 'irq.raised')).toBe(100);
    expect(metric(two, 'irq.latency_avg')).toBeLessThanOrEqual(metric(one, 'irq.latency_avg'));
  });
});

describe('pingpong figures come from the cost profile', () => {
  const base = recordInMemory('pingpong', { sets: ['rounds=100'] });
  const v2 = FIASCO_V2;
  const x2 = PISTACHIO_X2;

  it('V2: 2 x (entry/exit + IPC path) intra, plus 2 address-space switches inter; X.2 from its own profile', () => {
    const intra = (c: CostProfile): number => 2 * (c.syscallEntryExit + c.ipcPath);
    expect(metric(base, 'v2.intra.cycles_per_roundtrip')).toBe(intra(v2));
    expect(metric(base, 'v2.inter.cycles_per_roundtrip')).toBe(intra(v2) + 2 * v2.asSwitch);
    expect(metric(base, 'x2.intra.cycles_per_roundtrip')).toBe(intra(x2));
    expect(metric(base, 'x2.inter.cycles_per_roundtrip')).toBe(intra(x2) + 2 * x2.asSwitch);
  });

  it('cross-CPU: 2 x (entry/exit + IPC path) + 2 wakeups across CPUs (send, IPI latency, receive) + 2 dispatches out of idle, no address-space switch', () => {
    const cross = (c: CostProfile): number => 2 * (c.syscallEntryExit + c.ipcPath) + 2 * (c.xcpuSend + c.xcpuLatency + c.xcpuReceive) + 2 * c.dispatch;
    expect(metric(base, 'v2.cross.cycles_per_roundtrip')).toBe(cross(v2));
    expect(metric(base, 'x2.cross.cycles_per_roundtrip')).toBe(cross(x2));
    // Each part moves the figure by twice its change; the IPI's latency is no CPU's work but still on the path.
    const r = recordInMemory('pingpong', { sets: ['rounds=100', 'compare=[]', `costs.xcpuLatency=${v2.xcpuLatency + 7}`, `costs.xcpuReceive=${v2.xcpuReceive + 3}`] });
    expect(metric(r, 'v2.cross.cycles_per_roundtrip') - metric(base, 'v2.cross.cycles_per_roundtrip')).toBe(20);
    expect(metric(r, 'v2.inter.cycles_per_roundtrip')).toBe(metric(base, 'v2.inter.cycles_per_roundtrip'));
    const reader = base.reader();
    expect(reader.threads.filter((t) => reader.string(t.name) === 'pong').map((t) => t.cpu)).toEqual([0, 0, 1]); // intra, inter, cross
  });

  it('bench pingpong prints intra, inter and cross for both flavours, each cost with its source', () => {
    const r = runCli(['bench', 'pingpong', '--json', '--set', 'rounds=50']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { section: string; variant?: string; cycles?: Record<string, number>; cost?: string; sources?: Record<string, string> | null });
    const cross = lines.find((l) => l.variant === 'cross')!;
    expect(cross.cycles).toEqual({ 'fiasco-v2': metric(base, 'v2.cross.cycles_per_roundtrip'), 'pistachio-x2': metric(base, 'x2.cross.cycles_per_roundtrip') });
    expect(lines.filter((l) => l.section === 'pingpong').map((l) => l.variant)).toEqual(['intra', 'inter', 'cross']);
    const costs = lines.filter((l) => l.section === 'cost');
    expect(costs.map((l) => l.cost)).toContain('xcpuLatency');
    for (const c of costs) expect(c.sources?.['fiasco-v2'], c.cost).toMatch(/\[(INF|EST|CAL)\]|D2/);
  });

  it('the cross variant needs a second CPU and says so', () => {
    expect(() => recordInMemory('pingpong', { cpus: 1, sets: ['rounds=10'] })).toThrow(/cross variant needs a second CPU/);
  });

  it('raising the address-space switch cost by 13 moves only the inter figure, by 26 per round trip', () => {
    const r = recordInMemory('pingpong', { sets: ['rounds=100', `costs.asSwitch=${v2.asSwitch + 13}`] });
    expect(metric(r, 'v2.intra.cycles_per_roundtrip')).toBe(metric(base, 'v2.intra.cycles_per_roundtrip'));
    expect(metric(r, 'v2.inter.cycles_per_roundtrip') - metric(base, 'v2.inter.cycles_per_roundtrip')).toBe(26);
  });

  it('raising the IPC path cost by 5 moves both figures by 10', () => {
    const r = recordInMemory('pingpong', { sets: ['rounds=100', `costs.ipcPath=${v2.ipcPath + 5}`] });
    expect(metric(r, 'v2.intra.cycles_per_roundtrip') - metric(base, 'v2.intra.cycles_per_roundtrip')).toBe(10);
    expect(metric(r, 'v2.inter.cycles_per_roundtrip') - metric(base, 'v2.inter.cycles_per_roundtrip')).toBe(10);
    // The X.2 comparison run keeps its own profile: the override is a V2 value.
    expect(metric(r, 'x2.intra.cycles_per_roundtrip')).toBe(metric(base, 'x2.intra.cycles_per_roundtrip'));
  });

  it('X.2 small address spaces make the inter-space switch cheap', () => {
    const r = recordInMemory('pingpong', { flavour: 'x2', sets: ['rounds=100', 'smallSpaces=true', 'compare=[]'] });
    expect(metric(r, 'x2.inter.cycles_per_roundtrip')).toBe(2 * (x2.syscallEntryExit + x2.ipcPath) + 2 * x2.smallSpaceSwitch);
  });
});

describe('outcomes', () => {
  it('a deadlock ends the run with outcome deadlock, naming who waits for whom', () => {
    const r = recordInMemory('clients-server', { sets: ['deadlock=true', 'calls=3'] });
    expect(r.result.run.stop.outcome).toBe('deadlock');
    expect(r.result.run.stop.detail).toMatch(/a sending to b; b sending to a/);
    const s = summarize(r.reader());
    expect(s.outcome).toBe('deadlock');
  });

  it('a cycle limit ends the run with outcome limit', () => {
    const r = recordInMemory('clients-server', { sets: ['limit=1000000'] });
    expect(r.result.run.stop.outcome).toBe('limit');
    expect(r.result.run.endTime).toBeLessThanOrEqual(1_000_000 + 200_000);
  });

  it('the irq scenario delivers every hit or coalesces it, and records one IRQ_INSTANT choice per hit', () => {
    const r = recordInMemory('irq', { sets: ['hits=100'] });
    const raised = metric(r, 'irq.raised');
    const delivered = metric(r, 'irq.delivered');
    expect(raised).toBe(100);
    expect(delivered).toBeLessThanOrEqual(100);
    const reader = r.reader();
    const kinds = new Map<string, number>();
    for (const e of reader.events()) kinds.set(kindName(e.kind), (kinds.get(kindName(e.kind)) ?? 0) + 1);
    expect(kinds.get('IRQ_RAISE')).toBe(100);
    expect(kinds.get('IRQ_DELIVER')).toBe(delivered);
    expect(reader.tape().sites.filter((s) => s === 2)).toHaveLength(100);
  });

  it('the irq scenario\'s latency figures are the trace\'s: raise to the handler\'s IPC result, per delivered hit', () => {
    // Hits close together (a gap of 100..2100 cycles) land between a delivery and the handler running.
    const r = recordInMemory('irq', { sets: ['hits=300', 'minGap=100', 'spread=2000', 'handlerWork=500'] });
    const events = [...r.reader().events()];
    const bySeq = new Map(events.map((e) => [e.seq, e]));
    const latencies: number[] = [];
    let raisedBeforeHandlerRan = 0; // the case that once made the average NaN
    for (const res of events) {
      if (res.kind !== Kind.IPC_RES) continue;
      const deliver = bySeq.get(res.args[1]!);
      if (deliver?.kind !== Kind.IRQ_DELIVER) continue;
      latencies.push(res.time - bySeq.get(deliver.args[2]!)!.time);
      if (events.some((e) => e.kind === Kind.IRQ_RAISE && e.seq > deliver.seq && e.seq < res.seq)) raisedBeforeHandlerRan++;
    }
    expect(latencies).toHaveLength(metric(r, 'irq.delivered'));
    expect(raisedBeforeHandlerRan).toBeGreaterThan(0);
    expect(Math.max(...latencies)).toBe(metric(r, 'irq.latency_max'));
    expect(Math.floor(latencies.reduce((a, b) => a + b, 0) / latencies.length)).toBe(metric(r, 'irq.latency_avg'));
  });
});

describe('scenario files', () => {
  const dir = tempDir();
  const file = (name: string, content: unknown) => {
    const p = join(dir, name);
    writeFileSync(p, typeof content === 'string' ? content : JSON.stringify(content));
    return p;
  };
  const errorOf = (f: () => unknown): string => {
    try {
      f();
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
      return (e as Error).message;
    }
    throw new Error('expected an error');
  };

  it('a valid file resolves with defaults filled in', () => {
    const spec = loadScenario(file('ok.json', { scenario: 'pingpong', params: { rounds: 5 }, costs: { asSwitch: 300 } }));
    expect(spec.params).toMatchObject({ rounds: 5, warmup: 10 });
    expect(spec.costs).toEqual({ asSwitch: 300 });
    expect(spec.flavour).toBe('v2');
  });

  it('each bad field gets one error naming its path', () => {
    expect(errorOf(() => loadScenario(file('a.json', { scenario: 'pingpong', params: { rounds: 'many' } })))).toMatch(/a\.json: params\.rounds: .*expected number/);
    expect(errorOf(() => loadScenario(file('b.json', { scenario: 'pingpong', cpus: 0 })))).toMatch(/b\.json: cpus: /);
    expect(errorOf(() => loadScenario(file('c.json', { scenario: 'pingpong', costs: { warpDrive: 1 } })))).toMatch(/c\.json: costs\.warpDrive: unknown field/);
    expect(errorOf(() => loadScenario(file('d.json', { scenario: 'pingpong', flavour: 'v4' })))).toMatch(/d\.json: flavour: /);
    expect(errorOf(() => loadScenario(file('e.json', { scenario: 'warp' })))).toMatch(/e\.json: scenario: unknown scenario "warp"/);
    expect(errorOf(() => loadScenario(file('f.json', '{ "scenario": ')))).toMatch(/f\.json: not valid JSON/);
    expect(errorOf(() => loadScenario(file('g.json', { scenario: 'irq', params: { hits: 10, bogus: true } })))).toMatch(/g\.json: params\.bogus: unknown field/);
    expect(errorOf(() => loadScenario(file('h.json', { scenario: 'irq', seeed: 3 })))).toMatch(/h\.json: seeed: unknown field$/);
    expect(errorOf(() => loadScenario(join(dir, 'missing.json')))).toMatch(/missing\.json: no such file/);
  });

  it('--set overrides any field and is validated the same way', () => {
    expect(resolveScenario({ scenario: 'irq' }, 'x', { sets: ['hits=7', 'trace.policy=overwrite', 'seed=9'] })).toMatchObject({ seed: 9, params: { hits: 7 }, trace: { policy: 'overwrite' } });
    expect(errorOf(() => resolveScenario({ scenario: 'irq' }, 'scenario irq', { sets: ['hits=-3'] }))).toMatch(/params\.hits/);
    expect(errorOf(() => resolveScenario({ scenario: 'irq' }, 'scenario irq', { sets: ['noequals'] }))).toMatch(/expected path=value/);
  });

  it('--set on one field of an object keeps the object\'s other defaults', () => {
    const base = resolveScenario({ scenario: 'signal-race' }, 'x').params.prio as Record<string, number>;
    const one = resolveScenario({ scenario: 'signal-race' }, 'x', { sets: ['prio.irq=230'] }).params.prio as Record<string, number>;
    expect(one).toEqual({ ...base, irq: 230 });
    expect(resolveScenario({ scenario: 'irq' }, 'x', { sets: ['trace.chunkEvents=100'] }).trace).toMatchObject({ chunkEvents: 100, policy: 'flush' });
    expect(resolveScenario({ scenario: 'irq' }, 'x', { sets: ['costs.asSwitch=7'] }).costs).toEqual({ asSwitch: 7 });
    // A value that breaks the object's own rule names the object.
    expect(errorOf(() => resolveScenario({ scenario: 'signal-race' }, 'scenario signal-race', { sets: ['prio.irq=10'] }))).toMatch(/params\.prio: priorities must be ordered/);
  });
});
