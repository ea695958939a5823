/**
 * `--rootfs DIR|FILE.tar`: the root file system a recording runs on, read from the host once, before the
 * run (the run never reads the host; the trace embeds what it read). A directory is walked
 * (directory.ts), a tar archive parsed (tar.ts); anything else is refused, a compressed archive with the
 * command that unpacks it. Every error is one line naming the argument (RootFsError).
 */
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { RootFsError, type RootFsRead } from './builder.js';
import { readDirectoryRootFs } from './directory.js';
import { looksLikeTar, readTarRootFs } from './tar.js';

/** Compressed formats, by their magic bytes, and what unpacks them. */
const COMPRESSED: [number[], string, string][] = [
  [[0x1f, 0x8b], 'gzip', 'gunzip'],
  [[0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00], 'xz', 'unxz'],
  [[0x42, 0x5a, 0x68], 'bzip2', 'bunzip2'],
  [[0x28, 0xb5, 0x2f, 0xfd], 'zstd', 'unzstd'],
];

export function readRootFs(arg: string): RootFsRead {
  const source = `--rootfs ${arg}`;
  let st;
  try {
    st = statSync(arg);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    throw new RootFsError(`${source}: ${code === 'ENOENT' || code === 'ENOTDIR' ? 'no such file or directory' : `cannot be read (${code ?? (e as Error).message})`}`);
  }
  if (st.isDirectory()) return readDirectoryRootFs(arg, source);
  if (!st.isFile()) throw new RootFsError(`${source}: neither a directory nor a tar archive (a device, FIFO or socket)`);
  const head = readHead(arg, source);
  const packed = COMPRESSED.find(([magic]) => magic.every((b, i) => head[i] === b));
  if (packed) throw new RootFsError(`${source}: a ${packed[1]}-compressed file; l4trace reads plain tar archives: unpack it first (${packed[2]} -k ${arg})`);
  if (!looksLikeTar(head)) throw new RootFsError(`${source}: neither a directory nor a tar archive (${head.length < 512 ? `${head.length} bytes, shorter than a tar header` : 'its first 512 bytes are not a tar header'})`);
  return readTarRootFs(arg, source);
}

function readHead(file: string, source: string): Buffer {
  try {
    const fd = openSync(file, 'r');
    try {
      const buf = Buffer.alloc(512);
      return buf.subarray(0, readSync(fd, buf, 0, 512, 0));
    } finally {
      closeSync(fd);
    }
  } catch (e) {
    throw new RootFsError(`${source}: cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}
