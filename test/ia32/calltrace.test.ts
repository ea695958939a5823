/**
 * Call tracing without recompiling (src/ia32/shadow-stack.ts): the interpreter's shadow stack, following
 * CALL / RET / tail jumps, must report the calls -finstrument-functions reports. The guest pair
 * calltrace (instrumented) / calltrace-plain (the same source without hooks, both -O2 with every function
 * noipa: nothing inlined, cloned or split, so both have the same functions) has recursion, mutual
 * recursion by tail calls, calls through pointers (an indirect tail call too), tail calls, longjmp out of
 * nested calls, and signal handlers calling functions (one longjmps out of its handler).
 */
import { describe, expect, it } from 'vitest';
import { Kind } from '../../tracer/catalogue.js';
import type { TraceReader } from '../../tracer/reader.js';
import { MAX_SHADOW_DEPTH } from '../../src/ia32/shadow-stack.js';
import { SHADOW_FULL } from '../../src/l4/ia32-engine.js';
import { expectedGuests, runGuest } from '../support/guests.js';

/**
 * Enters and exits per function name in the threads of pid 1 (an exit counts for the function it
 * closes), or with `allPids` per "pid:function".
 */
function perFunction(reader: TraceReader, allPids = false): Map<string, { enter: number; exit: number }> {
  const init = new Set(reader.threads.map((t, i) => (t.linuxPid === 1 || allPids ? i : -1)).filter((i) => i >= 0));
  const out = new Map<string, { enter: number; exit: number }>();
  const at = (name: string) => {
    let c = out.get(name);
    if (!c) out.set(name, (c = { enter: 0, exit: 0 }));
    return c;
  };
  for (const e of reader.events()) {
    if (!init.has(e.thread)) continue;
    const name = reader.string(e.args[0]!);
    const key = allPids ? `${reader.threads[e.thread]!.linuxPid}:${name}` : name;
    if (e.kind === Kind.FUNC_ENTER) at(key).enter++;
    else if (e.kind === Kind.FUNC_EXIT) at(key).exit++;
  }
  return out;
}

const run = (name: string, functions: string) => runGuest(name, [], ['signalFix=handshake', `trace.functions=${functions}`]);


describe('call tracing: the shadow stack reports what the -finstrument-functions hooks report', () => {
  const expected = expectedGuests().find((g) => g.name === 'calltrace')! as ReturnType<typeof expectedGuests>[number] & { hookCalls: { enter: number; exit: number } };
  const instrumented = run('calltrace', 'instrumented');
  const hooks = perFunction(instrumented.reader());

  it('the instrumented build runs as natively, with as many FUNC_ENTER events as gdb counted enter hooks', () => {
    expect(instrumented.stdout).toBe(expected.stdout);
    const enters = [...hooks.values()].reduce((a, c) => a + c.enter, 0);
    expect(enters).toBe(expected.hookCalls.enter);
    // longjmp skipped exit hooks (gdb counted fewer exits); the tracer closed those frames itself
    expect(expected.hookCalls.exit).toBeLessThan(expected.hookCalls.enter);
    expect([...hooks.values()].reduce((a, c) => a + c.exit, 0)).toBe(enters);
  });

  it('calltrace-plain (no hooks; auto = calls): every function of the program entered and left as often', () => {
    const plain = run('calltrace-plain', 'auto');
    expect(plain.stdout).toBe(expected.stdout);
    const calls = perFunction(plain.reader());
    const program = [...hooks.keys()].sort();
    expect(program).toEqual(
      expect.arrayContaining(['fib', 'is_even', 'is_odd', 'ackermann', 'apply', 'apply_all', 'twice', 'plus_fib', 'leaf', 'middle', 'outer', 'choose', 'thrower', 'dive', 'catch_then_call', 'catch_then_return', 'escape', 'catch_signal', 'round_of_calls', 'main']),
    );
    // the signal handlers too: the kernel enters them by setting EIP (no CALL), at a function symbol
    expect(program).toEqual(expect.arrayContaining(['on_signal', 'on_signal_jump']));
    for (const f of program) expect({ f, ...calls.get(f) }).toEqual({ f, ...hooks.get(f) });
    // functions the hooks cannot see (the C library is not instrumented) are traced as well
    for (const f of ['printf', 'raise', 'sigaction']) expect(calls.get(f)?.enter).toBeGreaterThan(0);
    // ... but not the PIC helpers
    expect([...calls.keys()].some((f) => f.includes('get_pc_thunk'))).toBe(false);
  });

  it('the instrumented build traced by calls: the same counts, and the machine runs exactly as with the hooks', () => {
    const calls = run('calltrace', 'calls');
    const counts = perFunction(calls.reader());
    for (const [f, c] of hooks) expect({ f, ...counts.get(f) }).toEqual({ f, ...c });
    // the hooks still cost nothing, the shadow stack neither: same cycles, same final state
    expect(calls.run.endTime).toBe(instrumented.run.endTime);
    expect(Buffer.from(calls.run.digest).equals(Buffer.from(instrumented.run.digest))).toBe(true);
  });

  it('off: no function events, same machine', () => {
    const off = run('calltrace-plain', 'off');
    const plain = run('calltrace-plain', 'calls');
    expect(perFunction(off.reader()).size).toBe(0);
    expect(off.run.endTime).toBe(plain.run.endTime);
    expect(Buffer.from(off.run.digest).equals(Buffer.from(plain.run.digest))).toBe(true);
  });

  it('without trace.functions (traces made before the option): the hooks only, so a plain build has no function events', () => {
    const r = runGuest('calltrace-plain', [], ['signalFix=handshake']);
    expect(JSON.parse(r.reader().header.scenarioJson).trace.functions).toBeUndefined();
    expect(perFunction(r.reader()).size).toBe(0);
  });
});

/**
 * The committed instrumented guests whose hooked functions are all real calls (-O0, or -O2 with nothing
 * inlined: an inlined function still runs its hooks, but makes no CALL): traced by calls instead of their
 * hooks, every process (forked children included) enters and leaves every function as often. The others
 * differ only by inlined functions, and recurse and faults-div0 by where the fault falls (the last call of
 * the endless recursion faults after its CALL, before its enter hook; divide's exit hook runs before its
 * division faults).
 */
describe('call tracing on instrumented guests reports what their hooks report, per process', () => {
  const SAME = ['rec-O0', 'strings-O0', 'sort-O0', 'int64-O0', 'switch-O0', 'fnptr-O0', 'float-O0', 'signals', 'sigrace', 'zombies', 'cowfault', 'faults-null', 'faults-writetext'];
  for (const g of expectedGuests().filter((x) => SAME.includes(x.name))) {
    it(g.name, () => {
      const sets = (mode: string) => ['signalFix=handshake', `trace.functions=${mode}`];
      const hooks = runGuest(g.name, g.args, sets('instrumented'), g.stdin ?? null);
      const calls = runGuest(g.name, g.args, sets('calls'), g.stdin ?? null);
      expect(calls.stdout).toBe(hooks.stdout);
      const a = perFunction(hooks.reader(), true);
      const b = perFunction(calls.reader(), true);
      expect(a.size).toBeGreaterThan(0);
      for (const [f, c] of a) expect({ f, ...b.get(f) }).toEqual({ f, ...c });
    });
  }

  it('fpsignal: a handler that ends in `jmp __cyg_profile_func_exit` (the hook returns for it) ends there', () => {
    const g = expectedGuests().find((x) => x.name === 'fpsignal')!;
    const sets = (mode: string) => ['signalFix=handshake', `trace.functions=${mode}`];
    const hooks = perFunction(runGuest(g.name, g.args, sets('instrumented')).reader());
    const calls = perFunction(runGuest(g.name, g.args, sets('calls')).reader());
    expect(hooks.get('on_usr1')!.enter).toBeGreaterThan(3);
    expect(calls.get('on_usr1')).toEqual(hooks.get('on_usr1'));
    expect(calls.get('main')).toEqual(hooks.get('main'));
  });
});

describe('call tracing at its bound', () => {
  it(`recursion deeper than ${MAX_SHADOW_DEPTH} frames: the calls below the bound are traced and balanced, the rest counted once in a MARKER`, () => {
    const n = MAX_SHADOW_DEPTH + 3000;
    const r = runGuest('calltrace-plain', ['deep', String(n)], ['trace.functions=calls']);
    expect(r.stdout).toBe(`deep(${n}) = ${n}\n`);
    const reader = r.reader();
    const counts = perFunction(reader);
    const deep = counts.get('deep')!;
    // main and the C library's start-up frames hold the first few slots
    const below = MAX_SHADOW_DEPTH - deep.enter;
    expect(below).toBeGreaterThan(0);
    expect(below).toBeLessThan(8);
    expect(deep.exit).toBe(deep.enter);
    const markers = [...reader.events()].filter((e) => e.kind === Kind.MARKER && reader.string(e.args[0]!) === SHADOW_FULL);
    expect(markers).toHaveLength(1);
    expect(markers[0]!.args[1]).toBe(MAX_SHADOW_DEPTH);
    // the hooks see every level
    const hooks = perFunction(runGuest('calltrace', ['deep', String(n)], ['trace.functions=instrumented']).reader());
    expect(hooks.get('deep')).toEqual({ enter: n + 1, exit: n + 1 });
    expect(counts.get('main')).toEqual(hooks.get('main'));
  });
});
