/**
 * /dev: the character devices every process finds, whatever the root file system holds there. The
 * console and /dev/tty are the machine's console; /dev/urandom and /dev/random give bytes drawn
 * through the decision tape (so a replay reads the same ones).
 */
import type { FileSystem } from './filesystem.js';
import type { DeviceName } from './inode.js';

/** Linux's device numbers (Documentation/devices.txt). */
const DEVICES: readonly (readonly [DeviceName, number, number])[] = [
  ['null', 1, 3],
  ['zero', 1, 5],
  ['full', 1, 7],
  ['random', 1, 8],
  ['urandom', 1, 9],
  ['tty', 5, 0],
  ['console', 5, 1],
];

export function makeDevices(fs: FileSystem): void {
  const dev = fs.mkdirs('/dev');
  for (const [name, major, minor] of DEVICES) {
    const inode = fs.newInode('chr', name === 'console' ? 0o600 : 0o666, 0, 0, 0);
    inode.device = name;
    inode.rdev = (major << 8) | minor;
    dev.children!.set(name, inode);
  }
  fs.mkdirs('/tmp').mode = 0o1777;
}
