/**
 * Signals as Linux 2.4 handles them: sending marks the signal pending and wakes the target; delivery
 * happens on the target's way back to user mode (do_signal), where a handler gets a signal frame on the
 * user stack and the default actions terminate, stop or ignore.
 *
 * How a signal reaches a process that runs in user mode is the platform's business: native Linux
 * interrupts it; L4Linux 2.4 sends a kick IPC to the process's signal thread (l4-semantics.md §7), which
 * is where the fresh-process race lives (§8).
 */
import { traced } from './kfunc.js';
import { Kind } from '../../tracer/catalogue.js';
import { EXC } from '../l4/ia32-engine.js';
import { defaultAction, EINTR, ERESTARTNOINTR, ERESTARTSYS, SA_NODEFER, SA_RESTART, SA_RESETHAND, SA_SIGINFO, SI_KERNEL, SI_USER, SIG, SIG_DFL, SIG_IGN, sigbit } from './abi.js';
import { SA_ONSTACK } from './abi-calls.js';
import { sleepOn, work, type LxGen } from './coroutine.js';
import type { Linux } from './linux.js';
import { SIG_PATH } from './platform.js';
import { signaledStatus, type FaultSiginfo, type Process } from './process.js';
import { buildFrame, FPSTATE_SIZE, readSigcontext, restoredEflags, RT_FRAME, OLD_FRAME, type SenderSiginfo } from './sigframe.js';
import { add, blockedOf, has, or, ownPendingOf, rtbit, setBlocked, validSignal } from './sigset.js';
import { handlerSelectors, sigcontextSelectors, sigreturnSelectors } from './tls.js';
import type { SharedSigInfo } from './thread-group.js';
import { copyFromUser, copyToUser } from './uaccess.js';

/** trace.proto SigAction values for SIG_DELIVER. */
export const SIG_ACTION = { HANDLER: 1, TERMINATE: 2, IGNORE: 3, STOP: 4, CONTINUE: 5 } as const;

const STOP_SIGNALS = sigbit(SIG.STOP) | sigbit(SIG.TSTP) | sigbit(SIG.TTIN) | sigbit(SIG.TTOU);

/** The lowest pending signal that is not blocked, or 0 (the real-time signals 33..64 after the others). */
export function deliverableSignal(proc: Process): number {
  const g = proc.group;
  const ready = ((proc.pending | g.sharedPending) & ~proc.blocked) >>> 0;
  const rt = ((proc.pendingRt | g.sharedPendingRt) & ~proc.blockedRt) >>> 0;
  const sig = ready !== 0 ? 32 - Math.clz32(ready & -ready) : rt === 0 ? 0 : 64 - Math.clz32(rt & -rt);
  if (sig !== 0) claimShared(proc, sig);
  return sig;
}

/**
 * A thread takes a signal of its process's shared queue (dequeue_signal's second queue): it becomes
 * the thread's own, with who sent it. A no-op when the thread has it already or nobody queued it.
 */
export function claimShared(proc: Process, sig: number): void {
  const g = proc.group;
  const own = has(ownPendingOf(proc), sig);
  if (own || !has([g.sharedPending, g.sharedPendingRt], sig)) return;
  g.sharedPending = (g.sharedPending & ~sigbit(sig)) >>> 0;
  g.sharedPendingRt = (g.sharedPendingRt & ~rtbit(sig)) >>> 0;
  const info = g.sharedInfo.get(sig) ?? { sender: 0, uid: 0, code: 0, status: -1 };
  g.sharedInfo.delete(sig);
  [proc.pending, proc.pendingRt] = add(ownPendingOf(proc), sig);
  recordSender(proc, sig, info);
}

/** Who sent pending `sig` (siginfo si_pid, si_uid, si_code, si_status) stays with the thread that holds it. */
function recordSender(proc: Process, sig: number, info: SharedSigInfo): void {
  proc.sender[sig] = info.sender;
  proc.senderUid[sig] = info.uid;
  proc.sendCode[sig] = info.code;
  proc.sendStatus[sig] = info.status;
  proc.faultInfo[sig] = null; // sent, not raised by a fault
}

/** Clear `sig` from the pending signals. */
export function clearPending(proc: Process, sig: number): void {
  proc.pending = (proc.pending & ~sigbit(sig)) >>> 0;
  proc.pendingRt = (proc.pendingRt & ~rtbit(sig)) >>> 0;
}

/**
 * A blocked signal is never ignored (it stays pending until unblocked or waited for); neither is one
 * rt_sigtimedwait waits for, which it unblocked for the wait (Linux's real_blocked).
 */
function isIgnored(proc: Process, sig: number): boolean {
  if (has(blockedOf(proc), sig) || (proc.realBlocked && has(proc.realBlocked, sig))) return false;
  const h = proc.actions[sig]!.handler;
  return h === SIG_IGN || (h === SIG_DFL && defaultAction(sig) === 'ignore');
}

/**
 * send_sig_info: `from` (a pid, 0 for the kernel) sends `sig` to `target`; `code` is the siginfo si_code
 * (SI_USER from kill, SI_TKILL from tkill, SI_KERNEL from the kernel). The SIG_SEND event records how it
 * went: ignored, blocked, woke the target inside the kernel, or a kick and its IPC result. Real-time
 * signals are not queued: one instance is pending at most, as for the others.
 */
export function* sendSignal(lx: Linux, to: Process, sig: number, from: number, code = from ? SI_USER : SI_KERNEL, status = -1, toThread = false): LxGen {
  if (!to.alive || !validSignal(sig)) return;
  yield* traced(lx.kf, 'send_sig_info', sendSigInfo(lx, to, sig, from, code, status, toThread));
}

function* sendSigInfo(lx: Linux, to: Process, sig: number, from: number, code: number, status: number, toThread: boolean): LxGen {
  const picked = toThread ? to : pickThread(to, sig);
  const target = picked ?? to;
  if (!target.runsUser && sig !== SIG.KILL && picked !== null) return;
  lx.stats.signalsSent++;
  const bit = sigbit(sig);
  if (sig === SIG.KILL) {
    // SIGKILL is carried out by the kernel (the Linux server) itself: nothing has to run in the task.
    lx.ev(Kind.SIG_SEND, from, target.pid, sig, SIG_PATH.SERVER, 0);
    lx.ev(Kind.SIG_DELIVER, target.pid, sig, 0, SIG_ACTION.TERMINATE);
    lx.stats.signalsDelivered++;
    yield* lx.exit(target, signaledStatus(sig));
    return;
  }
  if (sig === SIG.CONT) {
    target.pending &= ~STOP_SIGNALS;
    if (target.state === 'stopped') {
      target.state = 'running';
      lx.wakeAll(target.stopWait);
    }
  } else if (bit & STOP_SIGNALS) {
    target.pending &= ~sigbit(SIG.CONT);
  }
  if (isIgnored(target, sig)) {
    lx.ev(Kind.SIG_SEND, from, target.pid, sig, SIG_PATH.IGNORED, 0);
    return;
  }
  const info: SharedSigInfo = { sender: from, uid: from ? (lx.processes.get(from)?.cred.user.r ?? 0) : 0, code, status };
  if (picked === null && sig !== SIG.KILL && sig !== SIG.CONT) {
    // Every thread blocks it: the process's shared queue keeps it for the first thread that can take it.
    const g = to.group;
    [g.sharedPending, g.sharedPendingRt] = add([g.sharedPending, g.sharedPendingRt], sig);
    g.sharedInfo.set(sig, info);
    lx.ev(Kind.SIG_SEND, from, to.pid, sig, SIG_PATH.BLOCKED, 0);
    return;
  }
  [target.pending, target.pendingRt] = add(ownPendingOf(target), sig);
  recordSender(target, sig, info);
  if (has(blockedOf(target), sig)) {
    lx.ev(Kind.SIG_SEND, from, target.pid, sig, SIG_PATH.BLOCKED, 0);
    return;
  }
  const co = target.coroutine;
  if (co) {
    // Inside the kernel: an interruptible sleep ends now; the way out delivers the signal.
    lx.kf.enter('signal_wake_up');
    if (co.state === 'sleeping' && co.sleep?.interruptible) lx.wakeCo(co, 'signal');
    lx.kf.exit();
    lx.ev(Kind.SIG_SEND, from, target.pid, sig, SIG_PATH.IN_KERNEL, 0);
    return;
  }
  yield* work(lx.ctx.machine.chaosDelay()); // chaos point: a signal for a process in user mode
  // L4Linux's signal_wake_up: the kick IPC to the process's signal thread.
  const k = yield* traced(lx.kf, 'signal_wake_up', lx.platform.kick(target));
  lx.ev(Kind.SIG_SEND, from, target.pid, sig, k.path, k.error);
}

/**
 * A signal for a process goes to one of its threads (complete_signal): the one named if it does not
 * block the signal (or waits for it in rt_sigtimedwait), else the first thread that does not; null when
 * every thread blocks it (the process's shared queue keeps it then). Linux queues every process signal
 * in the shared queue and wakes such a thread; giving it to that thread at once is the same unless the
 * thread blocks it again before it returns to user mode.
 */
function pickThread(to: Process, sig: number): Process | null {
  const threads = to.group.threads;
  if (threads.length <= 1 && to.runsUser) return to;
  const wants = (t: Process): boolean => t.runsUser && (!has(blockedOf(t), sig) || (t.realBlocked !== null && has(t.realBlocked, sig)));
  if (wants(to)) return to;
  return threads.find(wants) ?? null;
}

/** SIGCHLD's si_code and si_status for a child that ended with wait status `status` (CLD_EXITED, CLD_KILLED). */
export function chldSiginfo(status: number): [number, number] {
  return status & 0x7f ? [CLD_KILLED, status & 0x7f] : [CLD_EXITED, (status >> 8) & 0xff];
}
const CLD_EXITED = 1;
const CLD_KILLED = 2;

/** The siginfo of pending `sig`: the fault that raised it, or who sent it and how. */
export function siginfoOf(proc: Process, sig: number): FaultSiginfo | SenderSiginfo {
  const fault = proc.faultInfo[sig];
  if (fault) return fault;
  const status = proc.sendStatus[sig] ?? -1;
  return { sender: proc.sender[sig] ?? 0, uid: proc.senderUid[sig] ?? 0, code: proc.sendCode[sig] ?? SI_USER, ...(status >= 0 ? { status } : {}) };
}

/** Send to every live process of a process group. Returns how many got it. */
export function* sendToGroup(lx: Linux, pgrp: number, sig: number, from: number, except: Process | null = null): LxGen<number> {
  let n = 0;
  for (const p of [...lx.processes.values()]) {
    if (p.alive && p.isLeader && p.group.pgrp === pgrp && p !== except) {
      n++;
      if (sig !== 0) yield* sendSignal(lx, p, sig, from);
    }
  }
  return n;
}

/** The default action "terminate" for `sig`, carried out at once. */
export function* terminateBySignal(lx: Linux, proc: Process, sig: number): LxGen {
  clearPending(proc, sig);
  lx.stats.signalsDelivered++;
  lx.ev(Kind.SIG_DELIVER, proc.pid, sig, 0, SIG_ACTION.TERMINATE);
  yield* lx.exit(proc, signaledStatus(sig));
}

/**
 * do_signal for one signal on the way to user mode. `restart` describes an interrupted system call whose
 * restart depends on the handler. Returns what happened.
 */
export function* deliverSignal(
  lx: Linux,
  proc: Process,
  sig: number,
  regs: number[],
  restart: { ret: number; nr: number } | null,
): LxGen<'handler' | 'ignored' | 'terminated'> {
  return yield* traced(lx.kf, 'do_signal', doSignal(lx, proc, sig, regs, restart));
}

function* doSignal(lx: Linux, proc: Process, sig: number, regs: number[], restart: { ret: number; nr: number } | null): LxGen<'handler' | 'ignored' | 'terminated'> {
  clearPending(proc, sig);
  proc.kickLost = false;
  const act = proc.actions[sig]!;
  lx.stats.signalsDelivered++;
  if (act.handler === SIG_IGN) {
    lx.ev(Kind.SIG_DELIVER, proc.pid, sig, SIG_IGN, SIG_ACTION.IGNORE);
    return 'ignored';
  }
  if (act.handler === SIG_DFL) {
    const what = defaultAction(sig);
    if (what === 'ignore' || what === 'continue') {
      lx.ev(Kind.SIG_DELIVER, proc.pid, sig, 0, what === 'ignore' ? SIG_ACTION.IGNORE : SIG_ACTION.CONTINUE);
      return 'ignored';
    }
    if (what === 'stop') {
      lx.ev(Kind.SIG_DELIVER, proc.pid, sig, 0, SIG_ACTION.STOP);
      proc.state = 'stopped';
      while (proc.state === 'stopped') yield* sleepOn(proc.stopWait, false);
      return proc.alive ? 'ignored' : 'terminated';
    }
    lx.ev(Kind.SIG_DELIVER, proc.pid, sig, 0, SIG_ACTION.TERMINATE);
    yield* lx.exit(proc, signaledStatus(sig));
    return 'terminated';
  }
  lx.ev(Kind.SIG_DELIVER, proc.pid, sig, act.handler, SIG_ACTION.HANDLER);
  yield* work(lx.costs.linuxSignal);
  if (restart) {
    if (restartForHandler(restart.ret, act.flags) === 'restart') {
      regs[EXC.EAX] = restart.nr;
      regs[EXC.EIP] = (regs[EXC.EIP]! - 2) >>> 0;
    } else {
      regs[EXC.EAX] = -EINTR >>> 0;
    }
  }
  const rt = (act.flags & SA_SIGINFO) !== 0;
  const info = siginfoOf(proc, sig);
  proc.faultInfo[sig] = null;
  const fpu = lx.platform.userFpu(proc);
  // The frame keeps the mask to return to: sigsuspend's saved one, if the handler interrupts sigsuspend.
  const oldMask = proc.savedMask ?? blockedOf(proc);
  proc.savedMask = null;
  const esp = regs[EXC.ESP]! >>> 0;
  const stack = { sp: proc.altstack.sp, flags: proc.altstack.flags(esp), size: proc.altstack.size, top: proc.altstack.frameTop(esp, (act.flags & SA_ONSTACK) !== 0) };
  if (stack.top !== esp && proc.altstack.autodisarm) proc.altstack.reset(); // SS_AUTODISARM
  const frame = buildFrame(rt, sig, act, regs, oldMask[0], info, proc, sigcontextSelectors(lx, proc), fpu, { maskHi: oldMask[1], stack });
  if (!(yield* copyToUser(lx, proc, frame.at, frame.bytes))) {
    // No room for the frame: the process dies of SIGSEGV, as Linux's force_sigsegv ends it.
    yield* lx.exit(proc, signaledStatus(SIG.SEGV));
    return 'terminated';
  }
  fpu?.init(); // the handler starts with a clean FPU; sigreturn brings the saved one back
  yield* work(frame.bytes.length * lx.costs.copyPerByte);
  regs[EXC.ESP] = frame.at;
  regs[EXC.EIP] = act.handler >>> 0;
  regs[EXC.EAX] = sig;
  regs[EXC.EDX] = rt ? frame.at + RT_FRAME.INFO : 0;
  regs[EXC.ECX] = rt ? frame.at + RT_FRAME.UC : 0;
  regs[EXC.EFLAGS] = (regs[EXC.EFLAGS]! & ~0x100) >>> 0; // no single-stepping into the handler
  handlerSelectors(lx, proc);
  const during = or(blockedOf(proc), [act.mask, act.maskHi ?? 0]);
  setBlocked(proc, act.flags & SA_NODEFER ? during : add(during, sig));
  if (act.flags & SA_RESETHAND) act.handler = SIG_DFL;
  return 'handler';
}

/** sigreturn / rt_sigreturn: restore the registers and mask saved in the frame. Returns the new EAX. */
export function* sigreturn(lx: Linux, proc: Process, regs: number[], rt: boolean): LxGen<number | null> {
  // The handler's `ret` popped pretcode; the old-style trampoline also popped the signal number.
  const frameAt = (regs[EXC.ESP]! - (rt ? 4 : 8)) >>> 0;
  const size = rt ? RT_FRAME.SIZE : OLD_FRAME.SIZE;
  const bytes = yield* copyFromUser(lx, proc, frameAt, size);
  if (!bytes) {
    yield* lx.exit(proc, signaledStatus(SIG.SEGV));
    return null;
  }
  const saved = readSigcontext(bytes, rt);
  if (saved.fpstate !== 0) {
    // restore_i387: the FPU state from wherever sigcontext.fpstate points (a bad pointer: SIGSEGV)
    const image = yield* copyFromUser(lx, proc, saved.fpstate, FPSTATE_SIZE);
    if (!image) {
      yield* lx.exit(proc, signaledStatus(SIG.SEGV));
      return null;
    }
    lx.platform.userFpu(proc)?.restore(image, 0);
  }
  setBlocked(proc, [saved.mask, saved.maskHi]);
  proc.restartBlock = null; // a handler ran: nothing is left to restart (restore_sigcontext)
  for (const [i, v] of saved.regs) regs[i] = v;
  // rt_sigreturn then sets the alternate stack from uc_stack (restore_altstack, at the restored stack
  // pointer; its errors, EPERM when that is on the alternate stack, are ignored as Linux ignores them).
  if (saved.stack) proc.altstack.set(saved.stack.sp, saved.stack.flags, saved.stack.size, regs[EXC.ESP]! >>> 0);
  regs[EXC.EFLAGS] = restoredEflags(regs[EXC.EFLAGS]!, saved.eflags);
  sigreturnSelectors(lx, proc, saved.sel);
  return regs[EXC.EAX]! | 0;
}

/** On the way back to user mode without a handler: sigsuspend's mask gives way to the one it saved. */
export function restoreSavedMask(proc: Process): void {
  if (proc.savedMask === null) return;
  setBlocked(proc, proc.savedMask);
  proc.savedMask = null;
}

/** Settle an interrupted system call's result when a handler runs (handle_signal's restart logic). */
export function restartForHandler(ret: number, flags: number): 'restart' | 'eintr' {
  if (ret === -ERESTARTNOINTR) return 'restart';
  if (ret === -ERESTARTSYS && flags & SA_RESTART) return 'restart';
  return 'eintr';
}
