import { describe, expect, it } from 'vitest';
import { Kind } from '../../tracer/catalogue.js';
import type { TraceReader } from '../../tracer/reader.js';
import { metric, recordInMemory } from '../support/record.js';

/**
 * Each partner's IPC, in order: (op, to whom) for every IPC event of ping and of pong, page faults
 * excluded. Compared per thread: how two independent threads interleave at startup is not part of it.
 */
function pattern(reader: TraceReader): Record<string, string[]> {
  const role = new Map<number, string>();
  for (const t of reader.threads) {
    const name = reader.string(t.name);
    role.set(t.l4Id, /^ping/.test(name) ? 'ping' : /^pong/.test(name) ? 'pong' : name === 'roottask' ? 'root' : 'other');
  }
  const byIndex = reader.threads.map((t) => role.get(t.l4Id)!);
  const out: Record<string, string[]> = { ping: [], pong: [] };
  for (const e of reader.events({ kinds: new Set([Kind.IPC]) })) {
    const who = byIndex[e.thread]!;
    const op = e.args[0]!;
    if (op === 7 || (who !== 'ping' && who !== 'pong')) continue; // page-fault IPC
    out[who]!.push(`op${op} -> ${e.args[1] ? (role.get(e.args[1]) ?? '?') : '-'}`);
  }
  return out;
}

describe('pingpong with both partners as IA32 guests', () => {
  const sets = ['rounds=30', 'warmup=3', 'compare=[]'];
  const model = recordInMemory('pingpong', { sets });
  const guest = recordInMemory('pingpong', { sets: [...sets, 'engine=ia32'] });

  it('runs to completion and embeds the guest image in the trace', () => {
    expect(guest.result.run.stop.outcome).toBe('ok');
    const h = guest.reader().header;
    expect(h.images.map((i) => i.name)).toEqual(['pingpong']);
  });

  it('gives the same IPC pattern as the model version', () => {
    const a = pattern(model.reader());
    const b = pattern(guest.reader());
    expect(a.ping!.length).toBeGreaterThan(2 * 33);
    expect(a.pong!.length).toBeGreaterThan(2 * 33);
    expect(b).toEqual(a);
  });

  it('costs the model figure plus the guest instructions of one round trip', () => {
    const extraIntra = metric(guest, 'v2.intra.cycles_per_roundtrip') - metric(model, 'v2.intra.cycles_per_roundtrip');
    const extraInter = metric(guest, 'v2.inter.cycles_per_roundtrip') - metric(model, 'v2.inter.cycles_per_roundtrip');
    expect(extraIntra).toBeGreaterThan(10);
    expect(extraIntra).toBeLessThan(100);
    expect(extraInter).toBeCloseTo(extraIntra, 6);
  });
});
