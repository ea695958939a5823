import { describe, expect, it } from 'vitest';
import { GuestImage } from '../../src/l4/guest-image.js';
import { EXC } from '../../src/l4/ia32-engine.js';
import { loadCommittedGuest } from '../../src/guests/catalog.js';
import { ERESTARTNOHAND, ERESTARTNOINTR, ERESTARTSYS, NR, SA_RESTART, SA_RESTORER, SIG, sigbit } from '../../src/l4linux/abi.js';
import { Console, FileTable, OpenFile, Pipe } from '../../src/l4linux/files.js';
import { ProcessMemory } from '../../src/l4linux/memory.js';
import { Process } from '../../src/l4linux/process.js';
import { buildFrame, OLD_FRAME, readSigcontext, restoredEflags, RT_FRAME } from '../../src/l4linux/sigframe.js';
import { deliverableSignal, restartForHandler } from '../../src/l4linux/signals.js';

const image = new GuestImage('hello', loadCommittedGuest('hello'));

function regs(): number[] {
  // trapno, err, eip, eflags, edi, esi, ebp, esp, ebx, edx, ecx, eax
  return [0x80, 0, 0x08048123, 0x246, 7, 6, 0xbfffef00, 0xbffff000, 3, 4, 5, 0xfffffe00];
}

describe('i386 signal frames', () => {
  it('an rt frame sits below the stack pointer, returns through the restorer, and gives back the registers and mask', () => {
    const act = { handler: 0x08049000, flags: SA_RESTORER, restorer: 0x0804a000, mask: 0 };
    const f = buildFrame(true, SIG.USR1, act, regs(), 0x1234, { sender: 7 }, NO_TRAP);
    expect(f.at).toBeLessThanOrEqual(0xbffff000 - RT_FRAME.SIZE);
    expect(f.at % 8).toBe(0);
    const dv = new DataView(f.bytes.buffer);
    expect(dv.getUint32(0, true)).toBe(0x0804a000); // pretcode = restorer
    expect(dv.getUint32(4, true)).toBe(SIG.USR1);
    expect(dv.getUint32(8, true)).toBe(f.at + RT_FRAME.INFO); // pinfo
    expect(dv.getUint32(RT_FRAME.INFO, true)).toBe(SIG.USR1); // si_signo
    expect(dv.getUint32(RT_FRAME.INFO + 12, true)).toBe(7); // si_pid
    const back = readSigcontext(f.bytes, true);
    expect(back.mask).toBe(0x1234);
    const restored = regs().map(() => -1);
    for (const [i, v] of back.regs) restored[i] = v;
    for (const i of [EXC.EIP, EXC.ESP, EXC.EAX, EXC.EBX, EXC.ECX, EXC.EDX, EXC.ESI, EXC.EDI, EXC.EBP]) expect(restored[i]).toBe(regs()[i]);
  });

  it('without a restorer the frame returns through its own retcode: mov $rt_sigreturn, %eax; int $0x80', () => {
    const f = buildFrame(true, SIG.INT, { handler: 1, flags: 0, restorer: 0, mask: 0 }, regs(), 0, { sender: 0 }, NO_TRAP);
    const dv = new DataView(f.bytes.buffer);
    expect(dv.getUint32(0, true)).toBe(f.at + RT_FRAME.RETCODE);
    expect([...f.bytes.subarray(RT_FRAME.RETCODE, RT_FRAME.RETCODE + 7)]).toEqual([0xb8, NR.rt_sigreturn, 0, 0, 0, 0xcd, 0x80]);
  });

  it('an old-style frame keeps the mask in the sigcontext and pops the signal number before sigreturn', () => {
    const f = buildFrame(false, SIG.INT, { handler: 1, flags: 0, restorer: 0, mask: 0 }, regs(), 0x40, { sender: 0 }, NO_TRAP);
    expect(f.bytes.length).toBe(OLD_FRAME.SIZE);
    expect(f.bytes[OLD_FRAME.RETCODE]).toBe(0x58); // popl %eax
    expect(readSigcontext(f.bytes, false).mask).toBe(0x40);
  });

  it('a fault frame carries si_code and si_addr, and the sigcontext the trap number, error code and cr2', () => {
    const act = { handler: 0x08049000, flags: SA_RESTORER, restorer: 0x0804a000, mask: 0 };
    const f = buildFrame(true, SIG.SEGV, act, regs(), 0, { code: 2, addr: 0x08048000 }, { trapNo: 14, errorCode: 7, cr2: 0x08048000 });
    const dv = new DataView(f.bytes.buffer);
    expect(dv.getUint32(RT_FRAME.INFO + 8, true)).toBe(2); // SEGV_ACCERR
    expect(dv.getUint32(RT_FRAME.INFO + 12, true)).toBe(0x08048000); // si_addr
    expect(dv.getUint32(RT_FRAME.SC + 12 * 4, true)).toBe(14); // trapno
    expect(dv.getUint32(RT_FRAME.SC + 13 * 4, true)).toBe(7); // err
    expect(dv.getUint32(RT_FRAME.SC + 21 * 4, true)).toBe(0x08048000); // cr2
    // A signal from the kernel without a sender is SI_KERNEL; from a process SI_USER with its pid.
    const k = new DataView(buildFrame(true, SIG.CHLD, act, regs(), 0, { sender: 0 }, NO_TRAP).bytes.buffer);
    expect(k.getUint32(RT_FRAME.INFO + 8, true)).toBe(0x80);
  });

  it('sigreturn takes FIX_EFLAGS from the frame and keeps the rest (ID)', () => {
    expect(restoredEflags(0x200246, 0x40ad7).toString(16)).toBe((0x200202 | 0x40ad5).toString(16));
    expect(restoredEflags(0x246, 0x200ad7).toString(16)).toBe('ad7');
  });
});

const NO_TRAP = { trapNo: 0, errorCode: 0, cr2: 0 };

describe('signal state', () => {
  it('the lowest pending, unblocked signal is delivered first', () => {
    const p = new Process(1, null, 1, 'p', new ProcessMemory(image), new FileTable());
    p.pending = sigbit(SIG.TERM) | sigbit(SIG.USR1) | sigbit(SIG.INT);
    p.blocked = sigbit(SIG.INT);
    expect(deliverableSignal(p)).toBe(SIG.USR1);
    p.pending &= ~sigbit(SIG.USR1);
    expect(deliverableSignal(p)).toBe(SIG.TERM);
    p.pending = sigbit(SIG.INT);
    expect(deliverableSignal(p)).toBe(0);
  });

  it('an interrupted system call restarts after a handler only with SA_RESTART (or ERESTARTNOINTR)', () => {
    expect(restartForHandler(-ERESTARTSYS, SA_RESTART)).toBe('restart');
    expect(restartForHandler(-ERESTARTSYS, 0)).toBe('eintr');
    expect(restartForHandler(-ERESTARTNOHAND, SA_RESTART)).toBe('eintr');
    expect(restartForHandler(-ERESTARTNOINTR, 0)).toBe('restart');
  });
});

describe('process memory', () => {
  it('fork shares every page copy-on-write and reports the parent pages to write-protect', () => {
    const mm = new ProcessMemory(image);
    mm.pages.set(0x08048, { b: { at: 0x1000, refs: 1 }, writable: false, cow: false }); // text
    mm.pages.set(0xbffef, { b: { at: 0x2000, refs: 1 }, writable: true, cow: false }); // stack
    const { child, protect } = mm.fork();
    expect(protect).toEqual([{ vpn: 0xbffef, at: 0x2000 }]);
    expect(mm.pages.get(0xbffef)!.cow).toBe(true);
    expect(child.pages.get(0xbffef)!.cow).toBe(true);
    expect(child.pages.get(0x08048)!.cow).toBe(false);
    expect(mm.pages.get(0xbffef)!.b.refs).toBe(2);
    // The second fork protects nothing new: the page is already copy-on-write.
    expect(mm.fork().protect).toEqual([]);
    expect(child.release().map((b) => b.at)).toEqual([]); // still used by the parent (and the 2nd child)
  });

  it('regions: ELF segments with their rights, the heap up to brk, the stack; nothing else', () => {
    const mm = new ProcessMemory(image);
    const text = image.elf.segments.find((s) => (s.flags & 1) !== 0)!;
    expect(mm.region(text.vaddr)).toEqual({ readable: true, writable: false });
    expect(mm.region(0)).toBeNull();
    expect(mm.region(mm.brkStart)).toBeNull();
    mm.brk = mm.brkStart + 4096;
    expect(mm.region(mm.brkStart)).toEqual({ readable: true, writable: true });
    expect(mm.region(0xbffef000)).toEqual({ readable: true, writable: true }); // just below USER_STACK_TOP
    expect(mm.region(0x40000000)).toBeNull(); // nothing mapped there until mmap
  });
});

describe('files', () => {
  it('a pipe counts its ends across fork; closing the last writer wakes readers', () => {
    const p = new Pipe();
    const t = new FileTable();
    t.install(new OpenFile('pipe-read', 0, null, p));
    t.install(new OpenFile('pipe-write', 1, null, p));
    const child = t.clone();
    expect([p.readers, p.writers]).toEqual([1, 1]);
    expect(t.get(1)!.release()).toBeNull(); // the child still has the write end
    expect(child.get(1)!.release()).toBe(p.readWait);
    expect(p.writers).toBe(0);
  });

  it('the console reads whole lines from the keyboard, and everything at once from a script', () => {
    const tty = new Console();
    tty.input.push(...new TextEncoder().encode('ab'));
    expect(tty.take(10)).toBeNull(); // no newline yet
    tty.input.push(10, 99);
    expect(tty.take(10)).toEqual([97, 98, 10]);
    const script = new Console();
    script.canonical = false;
    script.input.push(...new TextEncoder().encode('a\nb\n'));
    expect(script.take(10)!.length).toBe(4);
  });
});
