/**
 * Names for instruction forms the interpreter does not execute, so that a guest stopping on one gets a
 * message a person can act on ("movaps (SSE)") rather than bare opcode bytes. The interpreter models an
 * i686 without MMX, FXSR or SSE (CPUID says so); code that uses them anyway was built for a newer CPU
 * (gcc -msse2, -march=pentium4 or later) and gets #UD, as on a real CPU of that model.
 */

/** Two-byte (0F xx) opcodes by extension: [first, last, extension, mnemonic per opcode or one for all]. */
const TWO_BYTE: [number, number, string, string[] | string][] = [
  [0x10, 0x17, 'SSE', ['movups/movss', 'movups/movss', 'movlps/movhlps', 'movlps', 'unpcklps', 'unpckhps', 'movhps/movlhps', 'movhps']],
  [0x18, 0x18, 'SSE', 'prefetch'],
  [0x28, 0x2f, 'SSE', ['movaps', 'movaps', 'cvtpi2ps/cvtsi2ss', 'movntps', 'cvttps2pi/cvttss2si', 'cvtps2pi/cvtss2si', 'ucomiss', 'comiss']],
  [0x50, 0x5f, 'SSE', ['movmskps', 'sqrtps', 'rsqrtps', 'rcpps', 'andps', 'andnps', 'orps', 'xorps', 'addps', 'mulps', 'cvtps2pd', 'cvtdq2ps', 'subps', 'minps', 'divps', 'maxps']],
  [0x60, 0x6b, 'MMX', ['punpcklbw', 'punpcklwd', 'punpckldq', 'packsswb', 'pcmpgtb', 'pcmpgtw', 'pcmpgtd', 'packuswb', 'punpckhbw', 'punpckhwd', 'punpckhdq', 'packssdw']],
  [0x6c, 0x6d, 'SSE2', ['punpcklqdq', 'punpckhqdq']],
  [0x6e, 0x6f, 'MMX', ['movd', 'movq/movdqa']],
  [0x70, 0x76, 'MMX', ['pshufw/pshufd', 'psrlw/psraw/psllw', 'psrld/psrad/pslld', 'psrlq/psllq', 'pcmpeqb', 'pcmpeqw', 'pcmpeqd']],
  [0x77, 0x77, 'MMX', 'emms'],
  [0x7e, 0x7f, 'MMX', ['movd/movq', 'movq/movdqa']],
  [0xc2, 0xc2, 'SSE', 'cmpps'],
  [0xc3, 0xc3, 'SSE2', 'movnti'],
  [0xc4, 0xc6, 'SSE', ['pinsrw', 'pextrw', 'shufps']],
  [0xd0, 0xff, 'MMX', 'packed integer arithmetic'],
];

const SYSTEM: Record<number, string> = {
  0x00: 'sldt/str/lldt/ltr/verr/verw',
  0x01: 'sgdt/sidt/lgdt/lidt/smsw/lmsw/invlpg',
  0x02: 'lar',
  0x03: 'lsl',
  0x05: 'syscall',
  0x06: 'clts',
  0x08: 'invd',
  0x09: 'wbinvd',
  0x0d: 'prefetchw (3DNow!)',
  0x0e: 'femms (3DNow!)',
  0x0f: '3DNow!',
  0x30: 'wrmsr',
  0x32: 'rdmsr',
  0x33: 'rdpmc',
  0x34: 'sysenter',
  0x35: 'sysexit',
  0x38: 'SSSE3/SSE4 (0f 38)',
  0x3a: 'SSSE3/SSE4 (0f 3a)',
  0xae: 'fxsave/fxrstor/ldmxcsr/stmxcsr/fences',
  0xb8: 'popcnt',
};

const ONE_BYTE: Record<number, string> = {
  0x9a: 'far call',
  0xea: 'far jmp',
  0xca: 'far ret',
  0xcb: 'far ret',
  0xcf: 'iret',
  0x63: 'arpl',
  0xd6: 'salc',
  0xf1: 'int1',
  0x67: 'address-size prefix (16-bit addressing)',
};

/** A readable name for the instruction at the start of `bytes` (after prefixes), or '' if unknown. */
export function describeForm(bytes: readonly number[]): string {
  let i = 0;
  while (i < bytes.length && [0x66, 0xf2, 0xf3, 0xf0, 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65].includes(bytes[i]!)) i++;
  const b = bytes[i];
  if (b === undefined) return '';
  if (b !== 0x0f) return ONE_BYTE[b] ?? '';
  const op = bytes[i + 1];
  if (op === undefined) return '';
  for (const [first, last, ext, names] of TWO_BYTE) {
    if (op < first || op > last) continue;
    const name = typeof names === 'string' ? names : (names[op - first] ?? ext);
    return `${name} (${ext})`;
  }
  return SYSTEM[op] ?? '';
}
