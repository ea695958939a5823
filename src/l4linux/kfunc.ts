/**
 * The Linux kernel's own function traces (seed 001 §4.4: "the most interesting part of these tests were
 * the function call traces from L4Linux"). The Linux model is not compiled kernel code, so it says which
 * Linux 2.4 function each of its steps stands for: `traced(lx, 'do_fork', body)` writes FUNC_ENTER
 * before the body and FUNC_EXIT after it, on the server thread that runs the code. A function's
 * duration is the simulated cost of the work done inside it (work, IPC, unmaps, task_new ...).
 *
 * The server's kernel thread multiplexes the kernel paths of many processes, each with its own kernel
 * stack in real Linux. When a path sleeps it is inside `schedule()`; its open frames are closed on the
 * thread (innermost first) and reopened when it continues (outermost first), so the thread's call tree
 * stays balanced and a sleeping path's functions are split into the slices in which they ran, as a
 * CPU-centric trace shows them. Interrupt top halves run on their own threads with their own stacks.
 *
 * Only the L4Linux personalities trace kernel functions: native Linux runs its kernel paths on the
 * process's own thread, where exec and exit would cut across the user's call stack.
 */
import { Kind } from '../../tracer/catalogue.js';
import type { ModelCtx } from '../l4/model-engine.js';
import type { LxGen } from './coroutine.js';

/** A kernel path's open functions (interned names, outermost first). */
export interface FrameStack {
  readonly ids: number[];
  /** The frames are closed on the thread while the path sleeps. */
  out: boolean;
}

export function newFrameStack(): FrameStack {
  return { ids: [], out: false };
}

export class KernelFunctions {
  /** The stack of whatever Linux code runs now (the drivers set it before each step, as `Linux.ctx`). */
  frames: FrameStack | null = null;
  private readonly ids = new Map<string, number>();

  constructor(
    readonly enabled: boolean,
    private readonly ctx: () => ModelCtx,
  ) {}

  enter(name: string): void {
    const f = this.frames;
    if (!this.enabled || f === null) return;
    const ctx = this.ctx();
    let id = this.ids.get(name);
    if (id === undefined) {
      id = ctx.intern(name);
      this.ids.set(name, id);
    }
    f.ids.push(id);
    ctx.trace.emit(Kind.FUNC_ENTER, ctx.now(), id, 0, 0, 0, 0, 0);
  }

  exit(): void {
    const f = this.frames;
    if (!this.enabled || f === null || f.ids.length === 0) return;
    f.ids.pop();
    const ctx = this.ctx();
    ctx.trace.emit(Kind.FUNC_EXIT, ctx.now(), 0, 0, 0, 0, 0, 0);
  }

  /** The path sleeps: close its frames on this thread, innermost first. */
  switchOut(f: FrameStack): void {
    if (!this.enabled || f.out || f.ids.length === 0) return;
    const ctx = this.ctx();
    for (let i = 0; i < f.ids.length; i++) ctx.trace.emit(Kind.FUNC_EXIT, ctx.now(), 0, 0, 0, 0, 0, 0);
    f.out = true;
  }

  /** The path continues (on this thread): reopen its frames, outermost first. */
  switchIn(f: FrameStack): void {
    if (!f.out) return;
    f.out = false;
    const ctx = this.ctx();
    for (const id of f.ids) ctx.trace.emit(Kind.FUNC_ENTER, ctx.now(), id, 0, 0, 0, 0, 0);
  }

  /** A path ended: close what it left open (a path that ends a process may not unwind). */
  finish(f: FrameStack): void {
    if (f.out) {
      f.ids.length = 0;
      f.out = false;
      return;
    }
    while (f.ids.length > 0) {
      this.frames = f;
      this.exit();
    }
  }
}

/** Run `body` as the Linux function `name`. */
export function* traced<T>(kf: KernelFunctions, name: string, body: LxGen<T>): LxGen<T> {
  kf.enter(name);
  const value = yield* body;
  kf.exit();
  return value;
}
