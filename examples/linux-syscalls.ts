/**
 * Seed 003's LKL use: the Linux server as a library, traced. The host lists a process's system calls
 * through a typed wrapper (LinuxProgram), boots the L4Linux personality with that process as init,
 * and reads the trace to print what each call caused: the SYSCALL_ENTER/EXIT pair, the IPCs to the
 * Linux server, page faults, the new task of a fork, context switches.
 *
 *   node dist/examples/linux-syscalls.js                         (after npm run examples)
 */
import { LinuxProgram, O, programMachine, record, replay } from 'l4trace';

const p = new LinuxProgram();
p.write(1, 'hello from the host\n');
p.getpid();
const fd = p.open('/etc/passwd');
p.read(fd, 32);
p.close(fd);
const out = p.open('/tmp/note', O.WRONLY | O.CREAT);
p.write(out, 'written by the host\n');
p.close(out);
p.fork((child) => {
  child.write(1, 'hello from the child\n');
  child.getpid();
  child.exit(7);
});
p.waitpid(-1);
p.exit(0);

let console_ = '';
const rec = await record(programMachine(p.elf(), { name: 'host-calls', console: (_fd, data) => (console_ += Buffer.from(data).toString()) }));
console.log(`run: ${rec.outcome} (${rec.detail}) at cycle ${rec.endTime}; console: ${JSON.stringify(console_)}`);

// What each call caused: every event from the end of the process's previous call (or its start) to
// the end of this one, the exception IPC that carries the call to the Linux server included; the Linux
// kernel functions the server ran for it by name, the rest counted by kind. (A call that blocks, as
// waitpid does, also collects what other processes did meanwhile.)
const trace = rec.open();
interface Window {
  funcs: string[];
  kinds: Map<string, number>;
}
const windows = new Map<number, Window>();
const fresh = (): Window => ({ funcs: [], kinds: new Map() });
for (const e of trace.events()) {
  const pid = trace.threads[e.thread]!.pid;
  if (pid > 0 && trace.threads[e.thread]!.name !== 'linux-server' && !windows.has(pid)) windows.set(pid, fresh());
  if (e.kind === 'SYSCALL_EXIT') {
    const callPid = Number(e.fields.pid);
    const w = windows.get(callPid) ?? fresh();
    windows.set(callPid, fresh());
    const kinds = [...w.kinds].map(([k, n]) => `${k}×${n}`).join(' ');
    console.log(`pid ${callPid} ${String(e.fields.nr).padEnd(8)} = ${String(e.fields.ret).padEnd(3)} kernel: ${w.funcs.slice(0, 4).join(', ') || '-'}${w.funcs.length > 4 ? ', …' : ''}; events: ${kinds}`);
    continue;
  }
  for (const w of windows.values()) {
    if (e.kind === 'FUNC_ENTER') {
      if (!w.funcs.includes(String(e.fields.func))) w.funcs.push(String(e.fields.func));
    } else if (e.kind !== 'FUNC_EXIT' && e.kind !== 'SYSCALL_ENTER') w.kinds.set(e.kind, (w.kinds.get(e.kind) ?? 0) + 1);
  }
}
trace.close();

const r = replay(rec.bytes!);
console.log(`replay: ${r.verdict}`);
if (!r.identical) process.exit(1);
