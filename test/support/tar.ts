/**
 * Writing tar archives for tests, byte by byte, including the ones no tar program writes (bad checksums,
 * names that climb out, huge sizes): each member is a ustar header (or a GNU or v7 one) and its data.
 */
export interface TarMember {
  name: string;
  /** Type flag: '0' file (default), '1' hard link, '2' symlink, '5' directory, 'x' pax, 'L' GNU long name ... */
  type?: string;
  data?: Uint8Array | string;
  mode?: number;
  uid?: number;
  gid?: number;
  mtime?: number;
  linkname?: string;
  /** The size field, when it should not be the data's length. */
  size?: number;
  prefix?: string;
  /** ustar (POSIX, default), gnu ("ustar  "), v7 (no magic). */
  magic?: 'ustar' | 'gnu' | 'v7';
  /** Edit the header after it is filled (before its checksum is computed, unless `keepChecksum`). */
  edit?: (h: Uint8Array) => void;
  /** Leave the checksum as it was before `edit`. */
  keepChecksum?: boolean;
}

const enc = new TextEncoder();
const bytesOf = (d: Uint8Array | string | undefined): Uint8Array => (typeof d === 'string' ? enc.encode(d) : (d ?? new Uint8Array(0)));

function put(h: Uint8Array, at: number, len: number, value: string | Uint8Array): void {
  const b = typeof value === 'string' ? enc.encode(value) : value;
  h.set(b.subarray(0, len), at);
}

const octal = (v: number, len: number): string => v.toString(8).padStart(len - 1, '0') + '\0';

export function checksum(h: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < 512; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum;
}

export function tarHeader(m: TarMember): Uint8Array {
  const h = new Uint8Array(512);
  const data = bytesOf(m.data);
  put(h, 0, 100, m.name);
  put(h, 100, 8, octal(m.mode ?? (m.type === '5' ? 0o755 : 0o644), 8));
  put(h, 108, 8, octal(m.uid ?? 0, 8));
  put(h, 116, 8, octal(m.gid ?? 0, 8));
  put(h, 124, 12, octal(m.size ?? data.length, 12));
  put(h, 136, 12, octal(m.mtime ?? 0, 12));
  h[156] = (m.type ?? '0').charCodeAt(0);
  put(h, 157, 100, m.linkname ?? '');
  if ((m.magic ?? 'ustar') === 'ustar') {
    put(h, 257, 6, 'ustar\0');
    put(h, 263, 2, '00');
    put(h, 345, 155, m.prefix ?? '');
  } else if (m.magic === 'gnu') {
    put(h, 257, 8, 'ustar  \0');
  }
  const fill = (): void => put(h, 148, 8, octal(checksum(h), 7) + ' ');
  fill();
  if (m.edit) {
    m.edit(h);
    if (!m.keepChecksum) fill();
  }
  return h;
}

const pad = (n: number): number => Math.ceil(n / 512) * 512;

/** An archive of `members`; `end` false leaves out the end-of-archive blocks. */
export function tarArchive(members: readonly TarMember[], opts: { end?: boolean } = {}): Uint8Array {
  const parts: Uint8Array[] = [];
  for (const m of members) {
    parts.push(tarHeader(m));
    const data = bytesOf(m.data);
    const block = new Uint8Array(pad(data.length));
    block.set(data);
    parts.push(block);
  }
  if (opts.end !== false) parts.push(new Uint8Array(1024));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Pax extended header records: "<length> <key>=<value>\n". */
export function paxRecords(records: readonly [string, string][]): Uint8Array {
  const parts = records.map(([k, v]) => {
    const body = enc.encode(` ${k}=${v}\n`);
    let len = body.length + 1;
    while (String(len).length + body.length !== len) len++;
    return new Uint8Array([...enc.encode(String(len)), ...body]);
  });
  return new Uint8Array(parts.flatMap((p) => [...p]));
}
