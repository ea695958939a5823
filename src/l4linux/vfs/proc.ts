/**
 * A minimal /proc: self, and for each process exe, cwd, fd/, cmdline, comm, stat, status, maps;
 * meminfo, uptime, mounts, version, cpuinfo. Entries are made when looked up, so they always show the
 * current state; file contents are made when the file is opened (as Linux's seq_files, a read sees
 * one snapshot).
 */
import type { Linux } from '../linux.js';
import type { Process } from '../process.js';
import type { FileSystem } from './filesystem.js';
import { pathOf } from './namei.js';
import type { Inode } from './inode.js';
import { UTSNAME } from '../sys/system.js';

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

export function mountProc(fs: FileSystem, lx: Linux): void {
  const proc = fs.mkdirs('/proc');
  proc.mode = 0o555;
  const entries: Record<string, () => Inode> = {
    self: () => link(fs, proc, 'self', (r) => String(r?.pid ?? 1)),
    meminfo: () => file(fs, proc, 'meminfo', () => text(meminfo(lx))),
    uptime: () => file(fs, proc, 'uptime', () => text(`${(lx.now() / lx.costs.cyclesPerUs / 1e6).toFixed(2)} 0.00\n`)),
    mounts: () => file(fs, proc, 'mounts', () => text('rootfs / rootfs rw 0 0\nproc /proc proc rw 0 0\n')),
    version: () => file(fs, proc, 'version', () => text(`${UTSNAME.sysname} version ${UTSNAME.release} (l4trace) ${UTSNAME.version}\n`)),
    cpuinfo: () => file(fs, proc, 'cpuinfo', () => text(CPUINFO)),
  };
  proc.dynamic = {
    list: () => [...Object.keys(entries), ...[...lx.processes.values()].filter((p) => p.alive && p.isLeader).map((p) => String(p.pid))],
    lookup: (_reader, name) => {
      const make = entries[name];
      if (make) return make();
      const target = /^[1-9][0-9]*$/.test(name) ? lx.byPid(Number(name)) : undefined;
      return target ? processDir(fs, proc, target) : null;
    },
  };
}

function node(fs: FileSystem, parent: Inode, name: string, kind: 'dir' | 'file' | 'symlink', mode: number): Inode {
  const n = fs.newInode(kind, mode, 0, 0, fs.clock());
  n.parent = parent;
  n.name = name;
  if (kind === 'file') n.data = null;
  return n;
}

function link(fs: FileSystem, parent: Inode, name: string, target: (reader: Process | null) => string): Inode {
  const n = node(fs, parent, name, 'symlink', 0o777);
  n.targetFn = target;
  return n;
}

function file(fs: FileSystem, parent: Inode, name: string, make: (reader: Process) => Uint8Array): Inode {
  const n = node(fs, parent, name, 'file', 0o444);
  n.generate = make;
  return n;
}

function processDir(fs: FileSystem, parent: Inode, p: Process): Inode {
  const dir = node(fs, parent, String(p.pid), 'dir', 0o555);
  dir.children = null;
  const entries: Record<string, () => Inode> = {
    exe: () => link(fs, dir, 'exe', () => p.exe),
    cwd: () => link(fs, dir, 'cwd', () => pathOf(fs, p.fs.cwd) ?? '/'),
    fd: () => fdDir(fs, dir, p),
    cmdline: () => file(fs, dir, 'cmdline', () => text(p.cmdline.map((a) => a + '\0').join(''))),
    comm: () => file(fs, dir, 'comm', () => text(p.commName() + '\n')),
    stat: () => file(fs, dir, 'stat', () => text(statLine(p))),
    status: () => file(fs, dir, 'status', () => text(statusText(p))),
    maps: () => file(fs, dir, 'maps', () => text(p.mm.maps())),
  };
  dir.dynamic = {
    list: () => Object.keys(entries),
    lookup: (_r, name) => entries[name]?.() ?? null,
  };
  return dir;
}

function fdDir(fs: FileSystem, parent: Inode, p: Process): Inode {
  const dir = node(fs, parent, 'fd', 'dir', 0o500);
  dir.children = null;
  const open = (): number[] => p.files.fds.flatMap((f, fd) => (f ? [fd] : []));
  dir.dynamic = {
    list: () => open().map(String),
    lookup: (_r, name) => {
      const fd = /^[0-9]+$/.test(name) ? Number(name) : -1;
      const f = p.files.get(fd);
      if (!f) return null;
      const what = f.kind === 'console' ? '/dev/console' : f.kind === 'inode' ? f.path : `pipe:[${f.pipe ? 1 : 0}]`;
      return link(fs, dir, name, () => what);
    },
  };
  return dir;
}

/** /proc/PID/stat's first fields (pid, comm, state, ppid, pgrp, session); the rest zeros. */
function statLine(p: Process): string {
  const state = p.state === 'zombie' ? 'Z' : p.state === 'stopped' ? 'T' : p.coroutine ? 'S' : 'R';
  const rest = new Array(44).fill(0);
  return `${p.pid} (${p.commName()}) ${state} ${p.ppid} ${p.group.pgrp} ${p.group.sid} ${rest.join(' ')}\n`;
}

/** /proc/PID/status: the first lines tools read (name, state, ids). */
function statusText(p: Process): string {
  const state = p.state === 'zombie' ? 'Z (zombie)' : p.state === 'stopped' ? 'T (stopped)' : p.coroutine ? 'S (sleeping)' : 'R (running)';
  const u = p.cred.user;
  const g = p.cred.group;
  return `Name:\t${p.commName()}\nState:\t${state}\nTgid:\t${p.pid}\nPid:\t${p.pid}\nPPid:\t${p.ppid}\nUid:\t${u.r}\t${u.e}\t${u.s}\t${u.fs}\nGid:\t${g.r}\t${g.e}\t${g.s}\t${g.fs}\nThreads:\t1\n`;
}

/** One i686 with the features the CPU reports (CPUID: FPU, TSC, CX8, CMOV). */
const CPUINFO = 'processor\t: 0\nvendor_id\t: GenuineIntel\nmodel name\t: l4trace simulated i686\nflags\t\t: fpu tsc cx8 cmov\nbogomips\t: 100.00\n\n';

function meminfo(lx: Linux): string {
  const kb = (pages: number): string => `${String(pages * 4).padStart(8)} kB`;
  const total = lx.config.limits.fsPages * 2;
  return `MemTotal:       ${kb(total)}\nMemFree:        ${kb(Math.max(0, total - lx.fs.usedPages))}\nBuffers:        ${kb(0)}\nCached:         ${kb(lx.fs.usedPages)}\nSwapTotal:      ${kb(0)}\nSwapFree:       ${kb(0)}\n`;
}
