/**
 * The i386 target description the stub serves (`qXfer:features:read:target.xml`): gdb's standard
 * feature `org.gnu.gdb.i386.core` (the general, segment and flags registers and the x87 stack and
 * control registers), in gdb's register numbering, which `g`, `p` and `P` use. Register sizes follow it:
 * 32-bit integer registers, 80-bit st0..st7, 32-bit x87 control words.
 */

export interface TargetRegister {
  name: string;
  bits: number;
  type: string;
  /** Register number in `g` / `p` / `P` (gdb's i386 numbering: eax 0 .. gs 15, st0 16 .., fop 31). */
  regnum: number;
}

const GENERAL = ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi'];
const TYPES: Record<string, string> = { esp: 'data_ptr', ebp: 'data_ptr', eip: 'code_ptr', eflags: 'i386_eflags' };
const FPU_CONTROL = ['fctrl', 'fstat', 'ftag', 'fiseg', 'fioff', 'foseg', 'fooff', 'fop'];

/** Every register of the description, in register-number order. */
export const I386_REGISTERS: readonly TargetRegister[] = [
  ...[...GENERAL, 'eip', 'eflags', 'cs', 'ss', 'ds', 'es', 'fs', 'gs'].map((name) => ({ name, bits: 32, type: TYPES[name] ?? 'int32' })),
  ...Array.from({ length: 8 }, (_, i) => ({ name: `st${i}`, bits: 80, type: 'i387_ext' })),
  ...FPU_CONTROL.map((name) => ({ name, bits: 32, type: 'int' })),
].map((r, regnum) => ({ name: r.name, bits: r.bits, type: r.type, regnum }));

/** Bytes of the `g` packet's register block (gdb's i386 layout: 16 x 4, 8 x 10, 8 x 4). */
export const G_PACKET_BYTES = I386_REGISTERS.reduce((n, r) => n + r.bits / 8, 0);

const EFLAGS_TYPE = `  <flags id="i386_eflags" size="4">
    <field name="CF" start="0" end="0"/><field name="" start="1" end="1"/><field name="PF" start="2" end="2"/>
    <field name="AF" start="4" end="4"/><field name="ZF" start="6" end="6"/><field name="SF" start="7" end="7"/>
    <field name="TF" start="8" end="8"/><field name="IF" start="9" end="9"/><field name="DF" start="10" end="10"/>
    <field name="OF" start="11" end="11"/><field name="NT" start="14" end="14"/><field name="RF" start="16" end="16"/>
    <field name="VM" start="17" end="17"/><field name="AC" start="18" end="18"/><field name="VIF" start="19" end="19"/>
    <field name="VIP" start="20" end="20"/><field name="ID" start="21" end="21"/>
  </flags>`;

/** target.xml: the architecture and the core feature with every register above. */
export function targetXml(): string {
  const regs = I386_REGISTERS.map((r) => `  <reg name="${r.name}" bitsize="${r.bits}" type="${r.type}" regnum="${r.regnum}"${r.regnum >= 24 ? ' group="float"' : ''}/>`);
  return [
    '<?xml version="1.0"?>',
    '<!DOCTYPE target SYSTEM "gdb-target.dtd">',
    '<target version="1.0">',
    '<architecture>i386</architecture>',
    '<osabi>GNU/Linux</osabi>',
    '<feature name="org.gnu.gdb.i386.core">',
    EFLAGS_TYPE,
    ...regs,
    '</feature>',
    '</target>',
    '',
  ].join('\n');
}

/**
 * A qXfer read of `length` bytes at `offset` of `doc`: `m` and the chunk while more follows, `l` and
 * the rest at the end (gdb's convention for qXfer replies).
 */
export function xferChunk(doc: string, offset: number, length: number): string {
  const chunk = doc.slice(offset, offset + Math.max(0, length));
  return (offset + chunk.length < doc.length ? 'm' : 'l') + chunk;
}
