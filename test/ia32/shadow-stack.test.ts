/**
 * The shadow stack's rules (src/ia32/shadow-stack.ts) on hand-made CALL / RET / jump sequences: matching
 * returns, longjmp (stale frames), signal handlers, tail calls, silent frames, the depth bound.
 */
import { describe, expect, it } from 'vitest';
import { MAX_SHADOW_DEPTH, ShadowStack } from '../../src/ia32/shadow-stack.js';

/** Functions at 0x1000 + k (ids k); 0x9000 is no function (a PLT stub); events as strings. */
function stack() {
  const log: string[] = [];
  let drops = 0;
  const fn = (a: number) => (a >= 0x1000 && a < 0x2000 ? a - 0x1000 : -1);
  const s = new ShadowStack({
    idOf: fn,
    jumpIdOf: fn,
    enter: (t, id) => void log.push(`+${id}@${t}`),
    exit: (t, id) => void log.push(`-${id}@${t}`),
    onDrop: () => void drops++,
  });
  return { s, log, drops: () => drops };
}

/** A call from a caller whose stack pointer is `sp`: the return slot is sp - 4. */
const call = (s: ShadowStack, fn: number, sp: number, t: number, ret = 0x8000 + sp) => s.call(0x1000 + fn, ret, sp - 4, t);
/** The matching return: the return address at sp - 4. */
const ret = (s: ShadowStack, sp: number, t: number, addr = 0x8000 + sp) => s.ret(addr, sp - 4, t);

describe('shadow stack', () => {
  it('CALL and RET pair up, recursion included', () => {
    const { s, log } = stack();
    call(s, 1, 1000, 1);
    call(s, 2, 980, 2);
    call(s, 2, 960, 3);
    ret(s, 960, 4);
    ret(s, 980, 5);
    ret(s, 1000, 6);
    expect(log).toEqual(['+1@1', '+2@2', '+2@3', '-2@4', '-2@5', '-1@6']);
    expect(s.depth).toBe(0);
  });

  it('a RET with no frame (a handler returning to the sigreturn trampoline, a thread start) emits nothing', () => {
    const { s, log } = stack();
    call(s, 1, 1000, 1);
    s.ret(0x7777, 900, 2); // below the frame, another return address
    s.ret(0x7777, 2000, 3); // above it
    expect(log).toEqual(['+1@1']);
    expect(s.depth).toBe(1);
  });

  it('longjmp: frames below the stack pointer end before the next call, or with the frame that returns', () => {
    const { s, log } = stack();
    call(s, 1, 1000, 1); // setjmp's caller
    call(s, 2, 980, 2);
    call(s, 3, 960, 3);
    // longjmp back into function 1 (its stack pointer 990): a call from there
    call(s, 4, 990, 4);
    expect(log.slice(3)).toEqual(['-3@4', '-2@4', '+4@4']);
    ret(s, 990, 5);
    // again, and this time function 1 returns at once
    call(s, 2, 980, 6);
    call(s, 3, 960, 7);
    ret(s, 1000, 8);
    expect(log.slice(7)).toEqual(['+2@6', '+3@7', '-3@8', '-2@8', '-1@8']);
    expect(s.depth).toBe(0);
  });

  it('a signal handler: its calls nest on the interrupted frames; a handler entered by the kernel has a frame', () => {
    const { s, log } = stack();
    call(s, 1, 1000, 1);
    call(s, 2, 980, 2); // interrupted in function 2 at sp 970; the handler's frame lies below
    s.kernelCall(0x1005, 0x7777, 800, 3); // the handler, returning to the trampoline
    call(s, 6, 796, 4);
    ret(s, 796, 5);
    s.ret(0x7777, 800, 6); // the handler returns to the trampoline
    ret(s, 980, 7);
    expect(log).toEqual(['+1@1', '+2@2', '+5@3', '+6@4', '-6@5', '-5@6', '-2@7']);
    // resumed at a function's entry where a frame already is: no second frame
    call(s, 3, 990, 8);
    s.kernelCall(0x1003, 0x8000 + 990, 986, 9);
    expect(s.depth).toBe(2);
    // not a known function start: nothing
    s.kernelCall(0x9000, 0x7777, 700, 10);
    expect(s.depth).toBe(2);
  });

  it('tail calls: the frame passes to the jumped-to function, whose RET ends it', () => {
    const { s, log } = stack();
    call(s, 1, 1000, 1);
    s.jump(0x1002, 996, 2); // jmp f2 with ESP on f1's return slot
    s.jump(0x1003, 996, 3);
    s.jump(0x1003, 990, 4); // not at the return slot: a jump inside the function
    s.jump(0x1500 + 0x9000, 996, 5); // not a function
    ret(s, 1000, 6);
    expect(log).toEqual(['+1@1', '-1@2', '+2@2', '-2@3', '+3@3', '-3@6']);
  });

  it('a call to no function (a PLT stub) is a silent frame; a tail jump out of it enters the function', () => {
    const { s, log } = stack();
    s.call(0x9000, 0x8000, 996, 1);
    expect(log).toEqual([]);
    s.jump(0x1007, 996, 2);
    s.ret(0x8000, 996, 3);
    expect(log).toEqual(['+7@2', '-7@3']);
  });

  it('a function that pops its return address and jumps back ends at the jump', () => {
    const { s, log } = stack();
    call(s, 1, 1000, 1);
    s.jump(0x8000 + 1000, 1000, 2); // pop %ecx; jmp *%ecx
    expect(log).toEqual(['+1@1', '-1@2']);
  });

  it('the depth is bounded: deeper calls are not traced (neither enter nor exit), counted, the first reported', () => {
    const { s, log, drops } = stack();
    const n = MAX_SHADOW_DEPTH + 100;
    for (let i = 0; i < n; i++) call(s, 1, 1_000_000 - i * 16, i);
    expect(s.depth).toBe(MAX_SHADOW_DEPTH);
    expect(s.dropped).toBe(100);
    expect(drops()).toBe(1);
    for (let i = n - 1; i >= 0; i--) ret(s, 1_000_000 - i * 16, n + (n - 1 - i));
    expect(s.depth).toBe(0);
    expect(log.filter((e) => e.startsWith('+')).length).toBe(MAX_SHADOW_DEPTH);
    expect(log.filter((e) => e.startsWith('-')).length).toBe(MAX_SHADOW_DEPTH);
  });

  it('snapshot / restore: a forked child continues its parent\'s frames without events', () => {
    const parent = stack();
    call(parent.s, 1, 1000, 1);
    call(parent.s, 2, 980, 2);
    const frames = parent.s.snapshot();
    ret(parent.s, 980, 3); // the parent goes on: the copy keeps the frames of the fork
    const child = stack();
    child.s.restore(frames);
    expect(child.log).toEqual([]);
    ret(child.s, 980, 4);
    expect(child.log).toEqual(['-2@4']);
    expect(child.s.frames().map((f) => f.id)).toEqual([1]);
    expect(parent.s.depth).toBe(1);
  });
});
