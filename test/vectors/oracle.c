/*
 * Host-CPU oracle for IA-32 instruction test vectors.
 *
 * Build: gcc -m32 -O2 -static -no-pie -fno-pie -Wl,-Ttext-segment=0x08048000 -o oracle oracle.c
 * (generate.mjs does this for you).
 *
 * A child process (this same binary, after fork) maps
 *   0x00400000 .. 0x00400fff  RWX  code page (filled with 0xCC / int3)
 *   0x00500000 .. 0x00500fff  RW   scratch page (the first 256 bytes are test data)
 * and stops itself. The parent then runs each test case under ptrace: it writes the instruction bytes
 * and the scratch bytes into the child, sets the registers (EIP = 0x00400000), single-steps once and
 * reads everything back.
 *
 * Protocol (little endian, fixed-size binary records, no header):
 *   stdin, one 424-byte record per case:
 *     u32 code_len (1..16) | u32 opts (bit 0: REP-prefixed string instruction; bit 1: PUSHF, see below;
 *                                      bit 2: x87 case, set the FPU state from fpu[] and read it back)
 *     u8  code[16]                                    (unused bytes are ignored; 0xCC is written after the code)
 *     u32 regs[8]  eax ecx edx ebx esp ebp esi edi
 *     u32 eflags   (only 0xCD5 is used; 0x202 is always set)
 *     u8  scratch[256]
 *     u8  fpu[108] the FSAVE image (struct user_i387_struct: cwd swd twd fip fcs foo fos, st_space[20]),
 *                  only used with opts bit 2
 *     -> 4+4+16+32+4+256+108 = 424 bytes
 *   stdout, one 412-byte record per case:
 *     u32 status   0 = normal single-step stop, 1 = DE (SIGFPE, integer si_code), 2 = UD (SIGILL), 3 = GP
 *                  (SIGSEGV, si_code SI_KERNEL), 4 = other (see detail), 5 = MF (SIGFPE with a floating-point
 *                  si_code: an x87 instruction found an unmasked exception pending)
 *     u32 detail   status 0: number of single steps taken; status 4: signal | si_code << 8; status 1/5: si_code
 *     u32 regs[8], u32 eip, u32 eflags   (for a fault: the registers at the fault, i.e. unchanged)
 *     u8  scratch[256]
 *     u8  fpu[108] the FSAVE image after the step (PTRACE_GETFPREGS; zeros without opts bit 2)
 *
 * The FPU image: Linux keeps the FXSAVE format internally. PTRACE_SETFPREGS reduces the tag word to
 * empty / not empty per register, and PTRACE_GETFPREGS recomputes the full tag of every non-empty
 * register from its contents (valid / zero / special), as FSTENV does on a CPU with FXSR. cwd and swd
 * pass through unchanged (swd including ES and B: the generator keeps them consistent with the masks,
 * see x87-forms.mjs), fop comes from the upper half of fcs.
 *
 * PUSHF fix-up: while a tracee is single-stepped, Linux keeps TF (0x100) set in its EFLAGS, and the
 * kernel only hides it from PTRACE_GETREGS. A PUSHF therefore pushes an image with TF = 1 that an
 * unobserved run would not push. With opts bit 1 the oracle clears bit 8 of the value at the new ESP
 * (when it lies in the scratch bytes), so the recorded memory is what the instruction pushes natively.
 *
 * Written from scratch for l4trace (MIT).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#ifndef MAP_FIXED_NOREPLACE
#define MAP_FIXED_NOREPLACE 0x100000
#endif
#ifndef SI_KERNEL
#define SI_KERNEL 0x80
#endif

#define CODE_ADDR 0x00400000u
#define SCRATCH_ADDR 0x00500000u
#define PAGE 4096u
#define CODE_WRITE 64u /* bytes of the code page rewritten per case (code + 0xCC filler) */
#define IN_SIZE 424u
#define OUT_SIZE 412u
#define FPU_SIZE 108u
#define MAX_STEPS 256

static pid_t child;
static int memfd = -1; /* /proc/<child>/mem fallback */
static int use_vm = 1;

static void die(const char *msg) {
    fprintf(stderr, "oracle: %s (errno %d: %s)\n", msg, errno, strerror(errno));
    if (child > 0) kill(child, SIGKILL);
    exit(2);
}

static void child_main(void) {
    if (ptrace(PTRACE_TRACEME, 0, 0, 0) != 0) _exit(10);
    void *code = mmap((void *)CODE_ADDR, PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
                      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (code != (void *)CODE_ADDR) _exit(11);
    void *scr = mmap((void *)SCRATCH_ADDR, PAGE, PROT_READ | PROT_WRITE,
                     MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (scr != (void *)SCRATCH_ADDR) _exit(12);
    memset(code, 0xCC, PAGE);
    raise(SIGSTOP);
    /* The tracer never lets us get here: it takes over the registers. */
    for (;;) pause();
}

static void write_child(const uint8_t *code, const uint8_t *scratch) {
    if (use_vm) {
        struct iovec local[2] = {{(void *)code, CODE_WRITE}, {(void *)scratch, 256}};
        struct iovec remote[2] = {{(void *)CODE_ADDR, CODE_WRITE}, {(void *)SCRATCH_ADDR, 256}};
        ssize_t n = process_vm_writev(child, local, 2, remote, 2, 0);
        if (n == (ssize_t)(CODE_WRITE + 256)) return;
        use_vm = 0; /* fall back to /proc/<pid>/mem */
    }
    if (pwrite(memfd, code, CODE_WRITE, CODE_ADDR) != (ssize_t)CODE_WRITE) die("write code");
    if (pwrite(memfd, scratch, 256, SCRATCH_ADDR) != 256) die("write scratch");
}

static void read_scratch(uint8_t *scratch) {
    if (use_vm) {
        struct iovec local = {scratch, 256};
        struct iovec remote = {(void *)SCRATCH_ADDR, 256};
        if (process_vm_readv(child, &local, 1, &remote, 1, 0) == 256) return;
        use_vm = 0;
    }
    if (pread(memfd, scratch, 256, SCRATCH_ADDR) != 256) die("read scratch");
}

static int wait_stop(int *sig) {
    int status;
    for (;;) {
        pid_t w = waitpid(child, &status, __WALL);
        if (w < 0) {
            if (errno == EINTR) continue;
            die("waitpid");
        }
        break;
    }
    if (WIFEXITED(status)) {
        int st = WEXITSTATUS(status);
        fprintf(stderr, "oracle: child exited with status %d%s\n", st,
                st == 10 ? " (PTRACE_TRACEME failed)"
                : st == 11 ? " (cannot map the code page at 0x00400000)"
                : st == 12 ? " (cannot map the scratch page at 0x00500000)" : "");
        exit(2);
    }
    if (WIFSIGNALED(status)) {
        fprintf(stderr, "oracle: child killed by signal %d\n", WTERMSIG(status));
        exit(2);
    }
    if (!WIFSTOPPED(status)) die("unexpected wait status");
    *sig = WSTOPSIG(status);
    return 0;
}

/* An x87 case whose unmasked-exception state makes the CPU loop (a spurious #MF the kernel retries
 * forever) would hang the oracle: give up loudly instead. */
static void on_alarm(int sig) {
    (void)sig;
    static const char msg[] = "oracle: the tracee did not stop within 5 s (an x87 exception loop?)\n";
    if (write(2, msg, sizeof msg - 1) < 0) {}
    if (child > 0) kill(child, SIGKILL);
    _exit(3);
}

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static uint32_t get32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }

int main(void) {
    setvbuf(stdout, NULL, _IOFBF, 1 << 20);
    signal(SIGALRM, on_alarm);
    child = fork();
    if (child < 0) die("fork");
    if (child == 0) child_main();

    int sig;
    wait_stop(&sig);
    if (sig != SIGSTOP) {
        fprintf(stderr, "oracle: child stopped with signal %d instead of SIGSTOP\n", sig);
        kill(child, SIGKILL);
        return 2;
    }
    char path[64];
    snprintf(path, sizeof path, "/proc/%d/mem", (int)child);
    memfd = open(path, O_RDWR);
    if (memfd < 0) die("open /proc/<pid>/mem");

    struct user_regs_struct base;
    if (ptrace(PTRACE_GETREGS, child, 0, &base) != 0) die("PTRACE_GETREGS");

    uint8_t in[IN_SIZE], out[OUT_SIZE];
    uint8_t code[CODE_WRITE], scratch[256], fpu[FPU_SIZE];
    for (;;) {
        size_t got = fread(in, 1, IN_SIZE, stdin);
        if (got == 0) break;
        if (got != IN_SIZE) {
            fprintf(stderr, "oracle: truncated input record\n");
            kill(child, SIGKILL);
            return 2;
        }
        uint32_t len = get32(in), opts = get32(in + 4);
        if (len < 1 || len > 16) {
            fprintf(stderr, "oracle: bad code length %u\n", len);
            kill(child, SIGKILL);
            return 2;
        }
        memset(code, 0xCC, sizeof code);
        memcpy(code, in + 8, len);
        memcpy(scratch, in + 60, 256);
        write_child(code, scratch);

        struct user_regs_struct r = base;
        r.eax = get32(in + 24);
        r.ecx = get32(in + 28);
        r.edx = get32(in + 32);
        r.ebx = get32(in + 36);
        r.esp = get32(in + 40);
        r.ebp = get32(in + 44);
        r.esi = get32(in + 48);
        r.edi = get32(in + 52);
        r.eip = CODE_ADDR;
        r.eflags = (get32(in + 56) & 0xCD5u) | 0x202u;
        r.orig_eax = -1; /* never let the kernel think we are inside a system call */
        if (ptrace(PTRACE_SETREGS, child, 0, &r) != 0) die("PTRACE_SETREGS");
        if (opts & 4) {
            memcpy(fpu, in + 316, FPU_SIZE);
            if (ptrace(PTRACE_SETFPREGS, child, 0, fpu) != 0) die("PTRACE_SETFPREGS");
        }

        uint32_t status = 0, detail = 0, steps = 0;
        uint32_t ecx = r.ecx;
        for (;;) {
            if (ptrace(PTRACE_SINGLESTEP, child, 0, 0) != 0) die("PTRACE_SINGLESTEP");
            steps++;
            alarm(5);
            wait_stop(&sig);
            alarm(0);
            if (ptrace(PTRACE_GETREGS, child, 0, &r) != 0) die("PTRACE_GETREGS");
            if (sig != SIGTRAP) {
                siginfo_t si;
                memset(&si, 0, sizeof si);
                ptrace(PTRACE_GETSIGINFO, child, 0, &si);
                if (sig == SIGFPE && si.si_code >= 3 && si.si_code <= 8) status = 5, detail = (uint32_t)si.si_code;
                else if (sig == SIGFPE) status = 1, detail = (uint32_t)si.si_code;
                else if (sig == SIGILL) status = 2;
                else if (sig == SIGSEGV && si.si_code == SI_KERNEL) status = 3;
                else status = 4, detail = (uint32_t)sig | ((uint32_t)si.si_code & 0xffffff) << 8;
                break;
            }
            /* A REP string instruction traps after every iteration: EIP stays put while ECX counts down. */
            if ((opts & 1) && r.eip == CODE_ADDR && (uint32_t)r.ecx != ecx && steps < MAX_STEPS) {
                ecx = r.ecx;
                continue;
            }
            break;
        }
        if (status == 0) detail = steps;
        read_scratch(scratch);
        memset(fpu, 0, FPU_SIZE);
        if ((opts & 4) && ptrace(PTRACE_GETFPREGS, child, 0, fpu) != 0) die("PTRACE_GETFPREGS");
        if ((opts & 2) && status == 0) {
            uint32_t sp = (uint32_t)r.esp;
            if (sp >= SCRATCH_ADDR && sp + 1 < SCRATCH_ADDR + 256) scratch[sp - SCRATCH_ADDR + 1] &= 0xfe;
        }

        put32(out, status);
        put32(out + 4, detail);
        put32(out + 8, r.eax);
        put32(out + 12, r.ecx);
        put32(out + 16, r.edx);
        put32(out + 20, r.ebx);
        put32(out + 24, r.esp);
        put32(out + 28, r.ebp);
        put32(out + 32, r.esi);
        put32(out + 36, r.edi);
        put32(out + 40, r.eip);
        put32(out + 44, r.eflags);
        memcpy(out + 48, scratch, 256);
        memcpy(out + 304, fpu, FPU_SIZE);
        if (fwrite(out, 1, OUT_SIZE, stdout) != OUT_SIZE) die("write stdout");
    }
    fflush(stdout);
    kill(child, SIGKILL);
    waitpid(child, NULL, __WALL);
    return 0;
}
