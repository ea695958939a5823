/**
 * i386 signal frames as Linux 2.4 builds them on the user stack (arch/i386/kernel/signal.c layout):
 *
 *   rt frame (SA_SIGINFO)               old frame
 *   +0   pretcode                       +0   pretcode
 *   +4   sig                            +4   sig
 *   +8   pinfo  -> info                 +8   struct sigcontext (88 bytes)
 *   +12  puc    -> uc                   +96  struct _fpstate (112 bytes)
 *   +16  siginfo (128 bytes)            +208 extramask (signals 33..64)
 *   +144 ucontext: flags, link, stack (12) at +152, sigcontext (88) at +164, sigmask (8) at +252
 *   +260 struct _fpstate (112 bytes)    +212 retcode (8 bytes)
 *   +372 retcode (8 bytes)
 *
 * struct _fpstate is the FSAVE image of the interrupted FPU state (cw sw tag ipoff cssel dataoff datasel,
 * 8 registers of 10 bytes: 108 bytes), then `status` (the status word) and `magic` 0xffff ("FSAVE data
 * only": the CPU has no FXSR). sigcontext.fpstate points at it; sigreturn restores from wherever it
 * points (0: the FPU is left as the handler left it). The handler starts with a fresh FPU (FNINIT), as
 * Linux gives it, so floating point in a handler does not disturb the interrupted computation.
 *
 * struct sigcontext: gs fs es ds edi esi ebp esp ebx edx ecx eax trapno err eip cs eflags esp_at_signal
 * ss fpstate oldmask cr2 (22 words). The handler returns through pretcode: the restorer the C library
 * passed with SA_RESTORER, or the retcode in the frame.
 *
 * The frame goes below the interrupted stack pointer, or below the top of the alternate signal stack for
 * an SA_ONSTACK handler (altstack.ts); the rt frame's uc_stack shows the alternate stack as sigaltstack
 * would report it at the interrupted stack pointer.
 */
import { USER_CS, USER_DS } from '../ia32/segments.js';
import { EXC } from '../l4/ia32-engine.js';
import { NR, SA_RESTORER, SI_KERNEL, SI_USER } from './abi.js';
import type { UserFpu } from './platform.js';
import type { FaultSiginfo, SigAction } from './process.js';

export const RT_FRAME = { INFO: 16, UC: 144, STACK: 152, SC: 164, MASK: 252, FPSTATE: 260, RETCODE: 372, SIZE: 380 } as const;
export const OLD_FRAME = { SC: 8, FPSTATE: 96, EXTRAMASK: 208, RETCODE: 212, SIZE: 220 } as const;
/** struct _fpstate without FXSR: the 108-byte FSAVE image, status, magic. */
export const FPSTATE_SIZE = 112;
const FSAVE_BYTES = 108;
/** sigcontext word of the fpstate pointer. */
const SC_FPSTATE = 19;

/** EFLAGS bits a handler may change through sigreturn (AC OF DF TF SF ZF AF PF CF; Linux FIX_EFLAGS). */
const FIX_EFLAGS = 0x40dd5;

/** sigcontext word index -> register index in the exception layout. */
const SC_REGS: [number, number][] = [
  [4, EXC.EDI],
  [5, EXC.ESI],
  [6, EXC.EBP],
  [7, EXC.ESP],
  [8, EXC.EBX],
  [9, EXC.EDX],
  [10, EXC.ECX],
  [11, EXC.EAX],
  [14, EXC.EIP],
];

export interface Frame {
  at: number;
  bytes: Uint8Array;
}

/** The thread state a frame shows (Linux's thread.trap_no, error_code, cr2). */
export interface TrapState {
  trapNo: number;
  errorCode: number;
  cr2: number;
}

/**
 * Who sent a signal: si_pid (0 = the kernel), si_uid, si_code (default SI_USER or SI_KERNEL by the pid);
 * for SIGCHLD (si_code CLD_*) the child's si_status.
 */
export interface SenderSiginfo {
  sender: number;
  uid?: number;
  code?: number;
  status?: number;
}

/** siginfo_t: 128 bytes. */
export const SIGINFO_SIZE = 128;

/** Write the siginfo of `sig` at `off` (the part of the 128 bytes that is not zero). */
export function writeSiginfo(dv: DataView, off: number, sig: number, info: FaultSiginfo | SenderSiginfo): void {
  const put = (at: number, v: number): void => dv.setUint32(off + at, v >>> 0, true);
  put(0, sig); // si_signo
  if ('sender' in info) {
    put(8, info.code ?? (info.sender ? SI_USER : SI_KERNEL)); // si_code
    put(12, info.sender); // si_pid
    put(16, info.uid ?? 0); // si_uid
    if (info.status !== undefined) put(20, info.status); // si_status (SIGCHLD)
  } else {
    put(8, info.code); // si_code: ILL_ILLOPN, FPE_INTDIV, SEGV_MAPERR, SEGV_ACCERR, SI_KERNEL
    put(12, info.addr); // si_addr
  }
}

/** The alternate signal stack as uc_stack shows it, and the stack pointer the frame goes below. */
export interface FrameStack {
  sp: number;
  flags: number;
  size: number;
  top: number;
}

/** What a frame holds beyond the registers: the high word of the mask to restore, the stack. */
export interface FrameExtras {
  maskHi?: number;
  stack?: FrameStack;
}

/**
 * Build the frame for `sig` below `extras.stack.top` (default the interrupted stack pointer). `info`: the
 * fault that raised the signal (si_code, si_addr), or who sent it. `oldMask` (and `extras.maskHi`): the
 * mask sigreturn restores. `sel`: the gs fs es ds selectors.
 */
export function buildFrame(rt: boolean, sig: number, act: SigAction, regs: number[], oldMask: number, info: FaultSiginfo | SenderSiginfo, thread: TrapState, sel: readonly number[] = [0, 0, USER_DS, USER_DS], fpu: UserFpu | null = null, extras: FrameExtras = {}): Frame {
  const size = rt ? RT_FRAME.SIZE : OLD_FRAME.SIZE;
  const top = extras.stack?.top ?? regs[EXC.ESP]!;
  const at = ((top - size) & ~7) >>> 0;
  const bytes = new Uint8Array(size);
  const dv = new DataView(bytes.buffer);
  const put = (off: number, v: number): void => dv.setUint32(off, v >>> 0, true);
  const retcode = at + (rt ? RT_FRAME.RETCODE : OLD_FRAME.RETCODE);
  put(0, act.flags & SA_RESTORER ? act.restorer : retcode);
  put(4, sig);
  const sc = rt ? RT_FRAME.SC : OLD_FRAME.SC;
  if (rt) {
    put(8, at + RT_FRAME.INFO);
    put(12, at + RT_FRAME.UC);
    writeSiginfo(dv, RT_FRAME.INFO, sig, info);
    put(RT_FRAME.MASK, oldMask);
    put(RT_FRAME.MASK + 4, extras.maskHi ?? 0);
    if (extras.stack) {
      put(RT_FRAME.STACK, extras.stack.sp);
      put(RT_FRAME.STACK + 4, extras.stack.flags);
      put(RT_FRAME.STACK + 8, extras.stack.size);
    }
    // movl $__NR_rt_sigreturn, %eax ; int $0x80
    bytes.set([0xb8, NR.rt_sigreturn & 0xff, NR.rt_sigreturn >> 8, 0, 0, 0xcd, 0x80, 0x90], RT_FRAME.RETCODE);
  } else {
    put(sc + 20 * 4, oldMask); // sc.oldmask
    put(OLD_FRAME.EXTRAMASK, extras.maskHi ?? 0);
    // popl %eax ; movl $__NR_sigreturn, %eax ; int $0x80
    bytes.set([0x58, 0xb8, NR.sigreturn & 0xff, NR.sigreturn >> 8, 0, 0, 0xcd, 0x80], OLD_FRAME.RETCODE);
  }
  for (let i = 0; i < 4; i++) put(sc + i * 4, sel[i]! & 0xffff); // gs fs es ds
  for (const [w, r] of SC_REGS) put(sc + w * 4, regs[r]!);
  put(sc + 12 * 4, thread.trapNo);
  put(sc + 13 * 4, thread.errorCode);
  put(sc + 21 * 4, thread.cr2);
  put(sc + 15 * 4, USER_CS);
  put(sc + 16 * 4, regs[EXC.EFLAGS]!);
  put(sc + 17 * 4, regs[EXC.ESP]!);
  put(sc + 18 * 4, USER_DS);
  if (fpu) {
    const fp = rt ? RT_FRAME.FPSTATE : OLD_FRAME.FPSTATE;
    fpu.save(bytes, fp);
    dv.setUint16(fp + FSAVE_BYTES, dv.getUint16(fp + 4, true), true); // status: the status word
    dv.setUint16(fp + FSAVE_BYTES + 2, 0xffff, true); // magic: FSAVE data only
    put(sc + SC_FPSTATE * 4, at + fp);
  }
  return { at, bytes };
}

/**
 * The registers (exception-layout index, value), EFLAGS and signal mask saved in a frame. Of EFLAGS
 * only the FIX_EFLAGS bits come from the frame; the caller keeps the others (e.g. ID) as they are, as
 * Linux's restore_sigcontext does.
 */
export function readSigcontext(bytes: Uint8Array, rt: boolean): { regs: [number, number][]; eflags: number; mask: number; maskHi: number; sel: number[]; fpstate: number; stack: { sp: number; flags: number; size: number } | null } {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const sc = rt ? RT_FRAME.SC : OLD_FRAME.SC;
  const get = (off: number): number => dv.getUint32(off, true);
  const regs: [number, number][] = SC_REGS.map(([w, r]) => [r, get(sc + w * 4)]);
  const mask = rt ? get(RT_FRAME.MASK) : get(sc + 20 * 4);
  const maskHi = rt ? get(RT_FRAME.MASK + 4) : get(OLD_FRAME.EXTRAMASK);
  const sel = [0, 1, 2, 3].map((i) => get(sc + i * 4) & 0xffff); // gs fs es ds
  const stack = rt ? { sp: get(RT_FRAME.STACK), flags: get(RT_FRAME.STACK + 4), size: get(RT_FRAME.STACK + 8) } : null;
  return { regs, eflags: get(sc + 16 * 4), mask, maskHi, sel, fpstate: get(sc + SC_FPSTATE * 4), stack };
}

/** EFLAGS after sigreturn: the FIX_EFLAGS bits from the frame, the rest as they are now. */
export function restoredEflags(current: number, saved: number): number {
  return (((current & ~FIX_EFLAGS) | (saved & FIX_EFLAGS)) | 0x202) >>> 0;
}
