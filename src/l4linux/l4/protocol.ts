/**
 * The messages between an L4Linux process and the Linux server besides system calls and page faults
 * (which arrive as 12-word exception and 2-word page-fault messages). One-word requests, so a request
 * is told apart by its length: 1 word = protocol, 2 = page fault, 12 = exception.
 */

/** Emulation-library startup (thread 0 of a new task): "give me my registers" (the fork return or exec entry). */
export const LX_GET_REGS = 0x4c580001;
/** Signal thread: "I am ready for kicks" (the handshake fix, l4-semantics.md §8 F1). */
export const LX_SIG_READY = 0x4c580002;
/** Another server thread made coroutines of this kernel thread runnable. */
export const LX_DOORBELL = 0x4c580003;
/** Server to signal thread: force the user thread into the server (lthread_ex_regs to the signal entry). */
export const LX_KICK = 0x4c58000b;

/**
 * Server to emulation library, after the 12 exception words of a reply (the shared thread model): "create
 * L4 thread `lthread` at `ip` with `pager` as its pager and startup parameter, for Linux thread `tid`" —
 * the emulation library performs the lthread_ex_regs (in V2 only a task's own threads can), then
 * continues the program.
 */
export { EMULIB_NEW_THREAD as LX_NEW_THREAD } from '../../l4/ia32-engine.js';

/** L4Env task server requests. */
export const TS_CREATE = 0x54530001;
export const TS_DELETE = 0x54530002;
/** L4Env dataspace manager requests. */
export const DM_ALLOC = 0x444d0001;
export const DM_FREE = 0x444d0002;
/** [DM_RESERVE, pages] -> [1] if that many pages are free (after growing from sigma0), else [0]. */
export const DM_RESERVE = 0x444d0003;
