#!/usr/bin/env node
/**
 * `npm run rootfs`: builds the busybox root file system the busybox tests use, from Debian's
 * busybox-static package (i386). Busybox is GPL and third-party: it is downloaded here, never
 * committed.
 *
 *   1. `apt-get download busybox-static:i386=<PINNED.version>` in a temporary directory (needs
 *      `dpkg --add-architecture i386 && apt-get update` first), or `--deb FILE` for a .deb at hand;
 *   2. checks the .deb's SHA-256 against the pinned value;
 *   3. `dpkg-deb -x` it, lists the applets (`busybox --list`, run natively, else under qemu-i386);
 *   4. writes .cache/rootfs/busybox-rootfs.tar, a deterministic ustar archive (names sorted, mtime
 *      0, uid/gid 0, no owner names): /bin/busybox, /bin/<applet> -> busybox for every applet,
 *      /etc/passwd, /etc/group, /etc/hosts, /tmp (1777), /dev, /root, /home; and
 *      .cache/rootfs/busybox, the same binary, for native comparison runs;
 *   5. records what it made in .cache/rootfs/busybox-rootfs.json. When that record matches the pinned
 *      package and the files on disk, a later run does nothing (`--force` rebuilds).
 *
 * On a terminal it prints one line per step; otherwise it is quiet unless something fails. Errors are
 * one line on stderr and exit 1. Files are written to a temporary name and renamed.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package this rootfs is built from. Change all three together (apt-get download it once and sha256sum it). */
const PINNED = {
  package: 'busybox-static:i386',
  version: '1:1.35.0-4+deb12u1+b1',
  sha256: '725ef9e6fbac4ab79b353165b05005e8c140d6e42177ebbc202ff1e13ded8b7c',
};
/** Bump when the archive's layout or contents (other than busybox) change. */
const LAYOUT = 1;

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT_DIR = path.join(ROOT, '.cache', 'rootfs');
const TAR = path.join(OUT_DIR, 'busybox-rootfs.tar');
const BUSYBOX = path.join(OUT_DIR, 'busybox');
const RECORD = path.join(OUT_DIR, 'busybox-rootfs.json');

const ETC = {
  passwd: 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n',
  group: 'root:x:0:\nnogroup:x:65534:\n',
  hosts: '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n',
};

const tty = Boolean(process.stdout.isTTY);
const step = (line) => {
  if (tty) process.stdout.write(`rootfs: ${line}\n`);
};

class UserError extends Error {}
const die = (message) => {
  throw new UserError(message);
};

const sha256 = (data) => createHash('sha256').update(data).digest('hex');
const rel = (p) => path.relative(process.cwd(), p) || '.';

function parseArgs(argv) {
  const opts = { force: false, deb: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--force') opts.force = true;
    else if (a === '--deb') {
      if (i + 1 >= argv.length) die('--deb needs a file name');
      opts.deb = path.resolve(argv[++i]);
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(
        'usage: npm run rootfs [-- --force] [-- --deb FILE.deb]\n' +
          `builds ${rel(TAR)} from Debian's ${PINNED.package} ${PINNED.version} (see scripts/rootfs.mjs)\n`,
      );
      process.exit(0);
    } else die(`unknown argument ${JSON.stringify(a)} (try --help)`);
  }
  return opts;
}

function readRecord() {
  try {
    return JSON.parse(fs.readFileSync(RECORD, 'utf8'));
  } catch {
    return null;
  }
}

/** True when the archive and the binary on disk are what the record says, for the pinned package. */
function upToDate() {
  const r = readRecord();
  if (!r || r.layout !== LAYOUT || r.package !== PINNED.package || r.version !== PINNED.version || r.debSha256 !== PINNED.sha256) return false;
  try {
    return sha256(fs.readFileSync(TAR)) === r.tarSha256 && sha256(fs.readFileSync(BUSYBOX)) === r.busyboxSha256;
  } catch {
    return false;
  }
}

function run(cmd, args, opts = {}) {
  return spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
}

function lastLine(text) {
  const lines = String(text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^W: Download is performed unsandboxed/.test(l));
  return lines.at(-1) ?? '';
}

/** Downloads the pinned .deb into dir; returns its path. */
function download(dir) {
  const spec = `${PINNED.package}=${PINNED.version}`;
  step(`downloading ${PINNED.package} ${PINNED.version} (apt-get download)`);
  const r = run('apt-get', ['download', '-q', spec], { cwd: dir });
  if (r.error) die(`apt-get not found (${r.error.code ?? r.error.message}): this script needs Debian's apt-get and dpkg-deb, or --deb FILE`);
  if (r.status !== 0) {
    const why = lastLine(r.stderr) || lastLine(r.stdout) || `exit ${r.status}`;
    if (/Unable to locate|Can't find|Version .* was not found|not found|has no installation candidate/i.test(`${r.stderr}${r.stdout}`))
      die(`${spec} is not available from apt (${why}); run \`dpkg --add-architecture i386 && apt-get update\` as root first (if Debian has replaced this version, update PINNED in scripts/rootfs.mjs)`);
    die(`apt-get download ${spec} failed: ${why}`);
  }
  const debs = fs.readdirSync(dir).filter((f) => f.endsWith('.deb'));
  if (debs.length !== 1) die(`apt-get download ${spec} left ${debs.length} .deb files, expected one`);
  return path.join(dir, debs[0]);
}

/** Runs busybox --list natively, else under qemu-i386. */
function applets(busybox) {
  const tries = [
    [busybox, ['--list']],
    ['qemu-i386', [busybox, '--list']],
  ];
  const errors = [];
  for (const [cmd, args] of tries) {
    const r = run(cmd, args, { env: { PATH: '/usr/bin:/bin' } });
    if (!r.error && r.status === 0 && r.stdout.trim()) {
      const names = [...new Set(r.stdout.split('\n').map((l) => l.trim()))].filter((n) => n && n !== 'busybox');
      for (const n of names) if (!/^[A-Za-z0-9_.[\]-]+$/.test(n)) die(`busybox --list gave an odd applet name ${JSON.stringify(n)}`);
      if (cmd !== busybox) step('busybox does not run natively here: listed its applets under qemu-i386');
      return names.sort();
    }
    errors.push(`${cmd}: ${r.error ? (r.error.code ?? r.error.message) : lastLine(r.stderr) || `exit ${r.status}`}`);
  }
  die(`cannot run the i386 busybox to list its applets (${errors.join('; ')}); install qemu-user`);
}

// ---- a deterministic ustar writer ----

function octal(value, width) {
  // width bytes: digits, then NUL
  const s = value.toString(8);
  if (s.length > width - 1) throw new Error(`tar: ${value} does not fit in ${width - 1} octal digits`);
  return s.padStart(width - 1, '0') + '\0';
}

function header({ name, mode, size, type, link }) {
  const h = Buffer.alloc(512);
  if (Buffer.byteLength(name) > 100 || Buffer.byteLength(link) > 100) throw new Error(`tar: name too long: ${name}`);
  h.write(name, 0, 'utf8');
  h.write(octal(mode, 8), 100, 'ascii');
  h.write(octal(0, 8), 108, 'ascii'); // uid
  h.write(octal(0, 8), 116, 'ascii'); // gid
  h.write(octal(size, 12), 124, 'ascii');
  h.write(octal(0, 12), 136, 'ascii'); // mtime
  h.write('        ', 148, 'ascii'); // checksum, counted as spaces
  h.write(type, 156, 'ascii');
  h.write(link, 157, 'utf8');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  // uname, gname: empty (numeric owner); devmajor, devminor: zero
  h.write(octal(0, 8), 329, 'ascii');
  h.write(octal(0, 8), 337, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/**
 * entries: { path (absolute, no trailing slash), kind: 'dir'|'file'|'symlink', mode, data?, target? }.
 * Sorted by path here; names are written relative ('bin/busybox', directories with a trailing slash).
 */
function makeTar(entries) {
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const parts = [];
  for (const e of sorted) {
    const name = e.path.slice(1) + (e.kind === 'dir' ? '/' : '');
    if (e.kind === 'dir') parts.push(header({ name, mode: e.mode, size: 0, type: '5', link: '' }));
    else if (e.kind === 'symlink') parts.push(header({ name, mode: e.mode, size: 0, type: '2', link: e.target }));
    else {
      parts.push(header({ name, mode: e.mode, size: e.data.length, type: '0', link: '' }));
      parts.push(e.data);
      const pad = (512 - (e.data.length % 512)) % 512;
      if (pad) parts.push(Buffer.alloc(pad));
    }
  }
  parts.push(Buffer.alloc(1024)); // two zero blocks end the archive
  let tar = Buffer.concat(parts);
  const record = 10240; // GNU tar's default record size
  if (tar.length % record) tar = Buffer.concat([tar, Buffer.alloc(record - (tar.length % record))]);
  return tar;
}

function writeAtomic(file, data, mode) {
  const tmp = `${file}.partial`;
  fs.writeFileSync(tmp, data, { mode });
  fs.chmodSync(tmp, mode);
  fs.renameSync(tmp, file);
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  if (!opts.force && upToDate()) {
    step(`${rel(TAR)} is up to date (${PINNED.package} ${PINNED.version})`);
    return;
  }
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'l4trace-rootfs-'));
  try {
    const deb = opts.deb ?? download(work);
    if (!fs.existsSync(deb)) die(`${deb}: no such file`);
    const debSha = sha256(fs.readFileSync(deb));
    if (debSha !== PINNED.sha256)
      die(`${path.basename(deb)}: SHA-256 ${debSha} is not the pinned ${PINNED.sha256} of ${PINNED.package} ${PINNED.version}`);
    step(`${path.basename(deb)}: SHA-256 matches the pinned value`);

    const tree = path.join(work, 'tree');
    fs.mkdirSync(tree);
    const x = run('dpkg-deb', ['-x', deb, tree]);
    if (x.error) die(`dpkg-deb not found (${x.error.code ?? x.error.message}): install dpkg`);
    if (x.status !== 0) die(`dpkg-deb -x ${path.basename(deb)} failed: ${lastLine(x.stderr) || `exit ${x.status}`}`);
    const bbPath = path.join(tree, 'bin', 'busybox');
    if (!fs.existsSync(bbPath)) die(`${path.basename(deb)} has no bin/busybox`);
    const busybox = fs.readFileSync(bbPath);
    step(`extracted bin/busybox (${busybox.length} bytes)`);

    const names = applets(bbPath);
    step(`${names.length} applets`);

    const entries = [
      ...['/bin', '/dev', '/etc', '/home'].map((p) => ({ path: p, kind: 'dir', mode: 0o755 })),
      { path: '/root', kind: 'dir', mode: 0o700 },
      { path: '/tmp', kind: 'dir', mode: 0o1777 },
      { path: '/bin/busybox', kind: 'file', mode: 0o755, data: busybox },
      ...names.map((n) => ({ path: `/bin/${n}`, kind: 'symlink', mode: 0o777, target: 'busybox' })),
      ...Object.entries(ETC).map(([n, text]) => ({ path: `/etc/${n}`, kind: 'file', mode: 0o644, data: Buffer.from(text) })),
    ];
    const tar = makeTar(entries);

    fs.mkdirSync(OUT_DIR, { recursive: true });
    writeAtomic(BUSYBOX, busybox, 0o755);
    writeAtomic(TAR, tar, 0o644);
    const record = {
      layout: LAYOUT,
      package: PINNED.package,
      version: PINNED.version,
      debSha256: debSha,
      busyboxSha256: sha256(busybox),
      tarSha256: sha256(tar),
      applets: names.length,
    };
    writeAtomic(RECORD, `${JSON.stringify(record, null, 2)}\n`, 0o644);
    step(`wrote ${rel(TAR)} (${entries.length} entries, ${Math.round(tar.length / 1024)} KiB) and ${rel(BUSYBOX)}`);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

try {
  main();
} catch (e) {
  if (e instanceof UserError) process.stderr.write(`rootfs: ${e.message}\n`);
  else process.stderr.write(`rootfs: ${e?.stack ?? e}\n`);
  process.exit(1);
}
