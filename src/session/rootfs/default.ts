/**
 * The built-in root file system, which `l4trace run` uses when no --rootfs is given: /bin with every
 * committed guest program (src/guests/bin), /bin/busybox and its applet links when `npm run rootfs` has
 * made .cache/rootfs/busybox-rootfs.tar (its members go in last, so busybox's applets win over guests of
 * the same name: /bin/sh, /bin/echo, /bin/wc), /dev (empty: the machine provides the device nodes),
 * /etc/passwd, /etc/group and /etc/hosts with the fixed contents below, /root, /home and /tmp (1777).
 * Everything is owned by root with mtime 0, so the same checkout always gives the same tree (the busybox
 * tar's own members keep the metadata it gives them).
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { committedGuests, loadCommittedGuest } from '../../guests/catalog.js';
import { ImageBuilder, type EntryMeta, type RootFsRead } from './builder.js';
import { readTarInto } from './tar.js';

/** Where `npm run rootfs` leaves the busybox tree, relative to the project root. */
export const BUSYBOX_TAR = join('.cache', 'rootfs', 'busybox-rootfs.tar');

const text = (s: string): Uint8Array => new TextEncoder().encode(s);

const DIRS: [string, number][] = [
  ['/bin', 0o755],
  ['/dev', 0o755],
  ['/etc', 0o755],
  ['/home', 0o755],
  ['/root', 0o700],
  ['/tmp', 0o1777],
];

const ETC: [string, string][] = [
  ['/etc/group', 'root:x:0:\n'],
  ['/etc/hosts', '127.0.0.1\tlocalhost\n'],
  ['/etc/passwd', 'root:x:0:0:root:/root:/bin/sh\n'],
];

const owned = (mode: number): EntryMeta => ({ mode, uid: 0, gid: 0, mtime: 0 });

export function defaultRootFs(root = projectRoot()): RootFsRead {
  const b = new ImageBuilder('the built-in root file system');
  for (const [path, mode] of DIRS) b.dir(path, owned(mode));
  for (const name of committedGuests()) b.file(`/bin/${name}`, owned(0o755), loadCommittedGuest(name));
  for (const [path, content] of ETC) b.file(path, owned(0o644), text(content));
  const tar = root ? join(root, BUSYBOX_TAR) : null;
  if (tar && existsSync(tar)) {
    b.source = `${tar} (busybox for the built-in root file system)`;
    readTarInto(tar, b);
  }
  return b.finish();
}

/** Whether the built-in root file system has busybox (`npm run rootfs` was run). */
export function hasBusybox(root = projectRoot()): boolean {
  return root !== null && existsSync(join(root, BUSYBOX_TAR));
}

/** The directory holding package.json, from the sources (src/session/rootfs) or the build (dist/src/session/rootfs). */
function projectRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'src', 'guests'))) return dir;
    dir = dirname(dir);
  }
  return null;
}
