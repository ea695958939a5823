/**
 * The alternate signal stack (sigaltstack): where handlers installed with SA_ONSTACK run. A fork child
 * inherits it; execve removes it (as natively). The rt signal frame shows it in uc_stack, and
 * rt_sigreturn sets it from there again (restore_altstack).
 */
import { EINVAL, ENOMEM } from './abi.js';
import { EPERM, MINSIGSTKSZ, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK } from './abi-calls.js';

export class AltStack {
  sp = 0;
  size = 0;
  /** SS_AUTODISARM: delivery onto the stack disables it until the handler returns (sigreturn restores it). */
  autodisarm = false;

  clone(): AltStack {
    return Object.assign(new AltStack(), this);
  }

  reset(): void {
    this.sp = this.size = 0;
    this.autodisarm = false;
  }

  /** Whether user stack pointer `esp` lies on the alternate stack (on_sig_stack; the stack grows down). */
  contains(esp: number): boolean {
    return this.size !== 0 && esp > this.sp && esp - this.sp <= this.size;
  }

  /** ss_flags as sigaltstack and uc_stack report them for a thread at `esp` (sas_ss_flags). */
  flags(esp: number): number {
    if (this.size === 0) return SS_DISABLE;
    return (this.contains(esp) ? SS_ONSTACK : 0) | (this.autodisarm ? SS_AUTODISARM : 0);
  }

  /**
   * The stack pointer a handler frame goes below: the top of the alternate stack when the handler asked
   * for it (SA_ONSTACK), the stack is enabled and not in use; else the interrupted one.
   */
  frameTop(esp: number, onstack: boolean): number {
    if (!onstack || this.size === 0 || this.contains(esp)) return esp;
    return (this.sp + this.size) >>> 0;
  }

  /**
   * do_sigaltstack's change for a thread at `esp`: not while running on the stack (EPERM); flags 0,
   * SS_ONSTACK (taken as 0) or SS_DISABLE, optionally with SS_AUTODISARM (else EINVAL); an enabled stack
   * needs MINSIGSTKSZ bytes (ENOMEM).
   */
  set(sp: number, flags: number, size: number, esp: number): number {
    if (this.contains(esp)) return -EPERM;
    const mode = (flags & ~SS_AUTODISARM) >>> 0;
    if (mode !== 0 && mode !== SS_ONSTACK && mode !== SS_DISABLE) return -EINVAL;
    if (mode === SS_DISABLE) {
      this.reset();
      return 0;
    }
    if (size < MINSIGSTKSZ) return -ENOMEM;
    this.sp = sp >>> 0;
    this.size = size >>> 0;
    this.autodisarm = (flags & SS_AUTODISARM) !== 0;
    return 0;
  }
}
