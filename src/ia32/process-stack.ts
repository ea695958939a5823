/**
 * The initial stack of a Linux i386 process: argc, argv pointers, NULL, envp pointers, NULL, auxv pairs
 * ending with AT_NULL, then the strings. Returns the bytes to place just below `top` and the initial ESP.
 */
export const AT_NULL = 0;
export const AT_PHDR = 3;
export const AT_PHENT = 4;
export const AT_PHNUM = 5;
export const AT_PAGESZ = 6;
export const AT_ENTRY = 9;
export const AT_RANDOM = 25;

/** What the auxiliary vector tells about the program image. */
export interface ImageAux {
  entry: number;
  /** The program headers in memory (ElfImage.phdr). */
  phdr: { addr: number; entsize: number; count: number };
}

/**
 * `random`: the 16 bytes AT_RANDOM points at (the kernel's get_random_bytes; the Linux server draws them
 * through the decision tape).
 */
export function buildInitialStack(top: number, argv: string[], envp: string[], image: ImageAux, random: Uint8Array): { sp: number; bytes: Uint8Array } {
  if (random.length !== 16) throw new Error('AT_RANDOM needs 16 bytes');
  const enc = new TextEncoder();
  const strings: Uint8Array[] = [...argv, ...envp].map((s) => enc.encode(s + '\0'));
  const strBytes = strings.reduce((a, s) => a + s.length, 0) + random.length;
  const auxv = [
    AT_PHDR, image.phdr.addr, AT_PHENT, image.phdr.entsize, AT_PHNUM, image.phdr.count,
    AT_PAGESZ, 4096, AT_ENTRY, image.entry, AT_RANDOM, 0, AT_NULL, 0,
  ];
  const randomSlot = auxv.indexOf(AT_RANDOM) + 1;
  const words = 1 + argv.length + 1 + envp.length + 1 + auxv.length;
  let size = words * 4 + strBytes;
  size = (size + 15) & ~15;
  const sp = top - size;
  const bytes = new Uint8Array(size);
  const dv = new DataView(bytes.buffer);
  let strAt = words * 4;
  const ptrs: number[] = [];
  for (const s of strings) {
    ptrs.push(sp + strAt);
    bytes.set(s, strAt);
    strAt += s.length;
  }
  const randomAt = sp + strAt;
  bytes.set(random, strAt);
  auxv[randomSlot] = randomAt;
  let w = 0;
  const put = (v: number): void => {
    dv.setUint32(w * 4, v >>> 0, true);
    w++;
  };
  put(argv.length);
  for (let i = 0; i < argv.length; i++) put(ptrs[i]!);
  put(0);
  for (let i = 0; i < envp.length; i++) put(ptrs[argv.length + i]!);
  put(0);
  for (const v of auxv) put(v);
  return { sp, bytes };
}
