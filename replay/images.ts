/**
 * The ELF programs a trace embeds, for a debugger's symbols (`l4trace images`, and the gdb stub to come):
 * the guest images of the header, and the program files of the root file system the run executed
 * (FileBlob packets whose content is an ELF). Names come from the trace, which may be a stranger's: they
 * are reduced to [A-Za-z0-9._-], never `.` or `..`, so a file written under them stays in its folder.
 */
import { RootEntryKind } from '../tracer/packets.js';
import type { TraceReader } from '../tracer/reader.js';

export interface ExtractedImage {
  /** The file name written in the folder. */
  file: string;
  /** Where it came from: a guest image of the header, or the path in the root file system. */
  source: string;
  bytes: number;
  sha256: string;
}

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const isElf = (b: Uint8Array): boolean => ELF_MAGIC.every((m, i) => b[i] === m);

/** A file name from a name in the trace: safe characters only, never empty, `.` or `..`. */
export function safeFileName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100);
  return s === '' || /^\.+$/.test(s) ? 'program' : s;
}

/** The images to write: header images first (by name), then executed ELF files of the root file system. */
export function imagesOf(reader: TraceReader): { name: string; source: string; data: Uint8Array }[] {
  const out: { name: string; source: string; data: Uint8Array }[] = [];
  for (const img of reader.header.images) out.push({ name: img.name.replace(/@[0-9a-f]+$/, ''), source: `guest image ${img.name}`, data: img.data });
  const blobs = reader.blobs();
  const pathOf = new Map<string, string>();
  for (const e of reader.header.rootfs?.entries ?? []) {
    if (e.kind !== RootEntryKind.FILE) continue;
    const hex = Buffer.from(e.sha256).toString('hex');
    if (!pathOf.has(hex)) pathOf.set(hex, e.path);
  }
  for (const [hex, data] of blobs) {
    if (!isElf(data)) continue;
    const path = pathOf.get(hex) ?? hex;
    out.push({ name: path.slice(path.lastIndexOf('/') + 1), source: `root file system ${path}`, data });
  }
  return out;
}
