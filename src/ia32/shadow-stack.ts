/**
 * Function tracing without recompiling: a per-thread shadow stack that follows CALL, RET and tail jumps,
 * for programs built without -finstrument-functions (glibc, musl, busybox). The interpreter calls it from
 * the operations of those instructions when call tracing is on (DecodeContext.calls), after the
 * instruction has completed, so it never faults and costs the guest no cycles: it is the tracer, not the
 * program.
 *
 * A frame is (function, return address, return slot): the slot is the stack address the CALL stored the
 * return address at. The rules (docs/ia32.md, "Call tracing"):
 *
 * - CALL pushes a frame and emits FUNC_ENTER when its target is a function (`idOf` says so: a symbol of
 *   .symtab, or in a stripped binary any call target). A call to anything else (a PLT or IFUNC stub, a
 *   local label) pushes a silent frame: no events, but a tail jump out of it becomes a real frame.
 * - Before a push, frames whose return slot lies below the caller's stack pointer are stale (a longjmp or
 *   a signal handler's siglongjmp went past them): they are popped with FUNC_EXIT.
 * - A signal handler (entered by the kernel setting EIP, not by CALL) gets a frame when its address is a
 *   function symbol (`kernelCall`, with the sigreturn trampoline as its return address), so it ends
 *   with its RET; in a stripped binary it has none (its address cannot be told from any other).
 * - RET looks for the frame with its return address at its slot, from the top: that frame and every frame
 *   above it end (FUNC_EXIT, innermost first). A RET with no such frame (a handler in a stripped binary
 *   returning to the sigreturn trampoline, a thread's start routine, a frame dropped at the bound) emits
 *   nothing. The search stops at the first frame whose slot lies above the RET's, so it costs nothing
 *   when nothing matches.
 * - A jump to a function's first instruction with the stack pointer on the top frame's return slot is a
 *   tail call: the frame now belongs to the jumped-to function (FUNC_EXIT of the old one, FUNC_ENTER of the
 *   new one), and the new function's RET ends it.
 * - The depth is bounded (MAX_SHADOW_DEPTH). A call at the bound is not traced (no FUNC_ENTER, and its RET
 *   finds no frame, so no FUNC_EXIT either) and is counted in `dropped`; `onDrop` runs at the first one.
 *
 * Allocation-free on the hot path: typed arrays, grown by doubling up to the bound.
 */

/** Deepest traced call nesting per thread. */
export const MAX_SHADOW_DEPTH = 16384;

const INITIAL = 64;
/** Direct-mapped cache of function ids by address (the lookup behind `idOf` is a Map and a string). */
const CACHE = 256;

export interface CallSink {
  /** Trace string id of the function starting at `addr`, or -1 when a call there is no function call. */
  idOf(addr: number): number;
  /** Same for a jump target: -1 unless `addr` is known to be a function's first instruction. */
  jumpIdOf(addr: number): number;
  enter(time: number, id: number): void;
  exit(time: number, id: number): void;
  /** The first call that did not fit under MAX_SHADOW_DEPTH. */
  onDrop(time: number): void;
}

/** Frames copied out of a shadow stack (ShadowStack.snapshot). */
export interface ShadowFrames {
  readonly rets: Int32Array;
  readonly slots: Float64Array;
  readonly ids: Int32Array;
}

export class ShadowStack {
  private rets = new Int32Array(INITIAL);
  /** Return slots (unsigned stack addresses). */
  private slots = new Float64Array(INITIAL);
  /** Function ids, -1 for a silent frame. */
  private ids = new Int32Array(INITIAL);
  private readonly tags = new Int32Array(CACHE).fill(-1);
  private readonly cached = new Int32Array(CACHE).fill(-1);
  private readonly jumpTags = new Int32Array(CACHE).fill(-1);
  private readonly jumpCached = new Int32Array(CACHE).fill(-1);
  /** Frames on the stack. */
  depth = 0;
  /** Calls not traced because the stack was at MAX_SHADOW_DEPTH. */
  dropped = 0;

  constructor(private readonly sink: CallSink) {}

  private id(addr: number): number {
    const slot = (addr ^ (addr >>> 8)) & (CACHE - 1);
    if (this.tags[slot] === (addr | 0)) return this.cached[slot]!;
    const id = this.sink.idOf(addr >>> 0);
    this.tags[slot] = addr | 0;
    this.cached[slot] = id;
    return id;
  }

  private jumpId(addr: number): number {
    const slot = (addr ^ (addr >>> 8)) & (CACHE - 1);
    if (this.jumpTags[slot] === (addr | 0)) return this.jumpCached[slot]!;
    const id = this.sink.jumpIdOf(addr >>> 0);
    this.jumpTags[slot] = addr | 0;
    this.jumpCached[slot] = id;
    return id;
  }

  /** Pop the frames whose return slot lies below the stack pointer `sp` (stale), with FUNC_EXIT. */
  private dropStale(sp: number, time: number): number {
    let d = this.depth;
    while (d > 0 && this.slots[d - 1]! < sp) {
      d--;
      const id = this.ids[d]!;
      if (id >= 0) this.sink.exit(time, id);
    }
    return (this.depth = d);
  }

  /** A CALL to `target` stored return address `ret` at `slot` (the stack pointer after the push). */
  call(target: number, ret: number, slot: number, time: number): void {
    this.push(this.id(target), ret, slot, time);
  }

  /**
   * The kernel started the function at `target` with return address `ret` at `slot` (a signal handler,
   * whose return address is the sigreturn trampoline): traced as a call when `target` is a known function
   * start and no frame has that slot yet (a thread resumed at a function's first instruction).
   */
  kernelCall(target: number, ret: number, slot: number, time: number): void {
    const d = this.depth;
    if (d > 0 && this.slots[d - 1] === slot) return;
    const id = this.jumpId(target);
    if (id >= 0) this.push(id, ret, slot, time);
  }

  private push(id: number, ret: number, slot: number, time: number): void {
    // Stale frames: their return slot lies below the caller's stack pointer (slot + 4).
    let d = this.depth;
    if (d > 0 && this.slots[d - 1]! < slot + 4) d = this.dropStale(slot + 4, time);
    if (d === this.rets.length && !this.grow()) {
      if (this.dropped++ === 0) this.sink.onDrop(time);
      return;
    }
    this.rets[d] = ret | 0;
    this.slots[d] = slot;
    this.ids[d] = id;
    this.depth = d + 1;
    if (id >= 0) this.sink.enter(time, id);
  }

  /** A RET took return address `target` from `slot` (the stack pointer before it). */
  ret(target: number, slot: number, time: number): void {
    const d = this.depth;
    if (d === 0) return;
    const t = target | 0;
    let i = d - 1;
    if (this.slots[i] !== slot || this.rets[i] !== t) {
      // Frames below the slot were left by a longjmp and end with this one; a frame above it ends the search.
      while (i >= 0 && this.slots[i]! <= slot && !(this.slots[i] === slot && this.rets[i] === t)) i--;
      if (i < 0 || this.slots[i] !== slot) return;
    }
    for (let k = d - 1; k >= i; k--) {
      const id = this.ids[k]!;
      if (id >= 0) this.sink.exit(time, id);
    }
    this.depth = i;
  }

  /**
   * A jump to `target` with the stack pointer at `sp`: a tail call when `sp` is the top frame's return
   * slot. Stale frames end first (a function that popped its return address and jumps back).
   */
  jump(target: number, sp: number, time: number): void {
    let d = this.depth;
    if (d > 0 && this.slots[d - 1]! < sp) d = this.dropStale(sp, time);
    if (d === 0 || this.slots[d - 1] !== sp) return;
    const id = this.jumpId(target);
    if (id < 0) return;
    const old = this.ids[d - 1]!;
    if (old >= 0) this.sink.exit(time, old);
    this.ids[d - 1] = id;
    this.sink.enter(time, id);
  }

  /** Double the arrays, or false at MAX_SHADOW_DEPTH. */
  private grow(): boolean {
    const n = this.rets.length;
    if (n >= MAX_SHADOW_DEPTH) return false;
    const m = Math.min(n * 2, MAX_SHADOW_DEPTH);
    const rets = new Int32Array(m);
    const slots = new Float64Array(m);
    const ids = new Int32Array(m);
    rets.set(this.rets);
    slots.set(this.slots);
    ids.set(this.ids);
    this.rets = rets;
    this.slots = slots;
    this.ids = ids;
    return true;
  }

  /** A copy of the frames (a forked child continues its parent's calls: see restore). */
  snapshot(): ShadowFrames {
    const n = this.depth;
    return { rets: this.rets.slice(0, n), slots: this.slots.slice(0, n), ids: this.ids.slice(0, n) };
  }

  /**
   * Continue with frames a snapshot copied (a fork child: its RETs then end its parent's frames). No
   * events: the frames were entered in the other thread. Function ids are trace string ids, so the
   * snapshot must come from the same trace.
   */
  restore(f: ShadowFrames): void {
    const n = Math.min(f.rets.length, f.slots.length, f.ids.length, MAX_SHADOW_DEPTH);
    while (this.rets.length < n) this.grow();
    this.rets.set(f.rets.subarray(0, n));
    this.slots.set(f.slots.subarray(0, n));
    this.ids.set(f.ids.subarray(0, n));
    this.depth = n;
  }

  /** The frames, outermost first (tests, inspection). */
  frames(): { id: number; ret: number; slot: number }[] {
    const out: { id: number; ret: number; slot: number }[] = [];
    for (let i = 0; i < this.depth; i++) out.push({ id: this.ids[i]!, ret: this.rets[i]! >>> 0, slot: this.slots[i]! });
    return out;
  }
}

/**
 * Where function events come from (`--trace-functions`, the scenario's `trace.functions`):
 * - `instrumented`: the -finstrument-functions hooks only (a program without them has no function
 *   events; what a trace whose scenario does not say means, as traces made before the option);
 * - `calls`: the shadow stack (the hooks of an instrumented program still cost nothing but are silent);
 * - `auto`: per program, the hooks when it has `__cyg_profile_func_enter`, else the shadow stack;
 * - `off`: no function events.
 * The machine does the same in every mode (same cycles, same state): only the events differ.
 */
export const FUNCTION_TRACING = ['auto', 'instrumented', 'calls', 'off'] as const;
export type FunctionTracing = (typeof FUNCTION_TRACING)[number];
