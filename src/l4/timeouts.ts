/**
 * IPC timeouts. Internally a timeout is 'never', 'zero', or a number of microseconds; the ABI words are
 * decoded at the edge. V2 word: rcv_exp:4 snd_exp:4 rcv_pfault:4 snd_pfault:4 snd_man:8 rcv_man:8 (low
 * to high bits as listed, from bit 0); value = man * 4^(15 - exp) us, exp 0 = never, man 0 = zero.
 * Page-fault timeouts: p 0 = never, else 4^(15 - p) us (so a zero one is written as p 15, 1 us). X.2: 16-bit period m:10 e:5 (m * 2^e us),
 * 0 = never, 0x0400 = zero (l4-semantics.md §4.3).
 */
export type Timeout = { kind: 'never' } | { kind: 'zero' } | { kind: 'us'; us: number };

export const NEVER: Timeout = { kind: 'never' };
export const ZERO: Timeout = { kind: 'zero' };
export const us = (n: number): Timeout => (n <= 0 ? ZERO : { kind: 'us', us: n });

export interface IpcTimeouts {
  snd: Timeout;
  rcv: Timeout;
  /** Page faults in the receiver's space during a transfer (set by the sender). */
  sndPf: Timeout;
  /** Page faults in the sender's space during a transfer (set by the receiver). */
  rcvPf: Timeout;
}

export const TIMEOUTS_NEVER: IpcTimeouts = { snd: NEVER, rcv: NEVER, sndPf: NEVER, rcvPf: NEVER };

export function timeouts(t: Partial<IpcTimeouts>): IpcTimeouts {
  return { ...TIMEOUTS_NEVER, ...t };
}

function pow4(e: number): number {
  return 4 ** e;
}

export function decodeV2(word: number): IpcTimeouts {
  const w = word >>> 0;
  const rcvExp = w & 0xf;
  const sndExp = (w >>> 4) & 0xf;
  const rcvPf = (w >>> 8) & 0xf;
  const sndPf = (w >>> 12) & 0xf;
  const sndMan = (w >>> 16) & 0xff;
  const rcvMan = (w >>> 24) & 0xff;
  const val = (exp: number, man: number): Timeout => (exp === 0 ? NEVER : man === 0 ? ZERO : { kind: 'us', us: man * pow4(15 - exp) });
  const pf = (p: number): Timeout => (p === 0 ? NEVER : { kind: 'us', us: pow4(15 - p) });
  return { snd: val(sndExp, sndMan), rcv: val(rcvExp, rcvMan), sndPf: pf(sndPf), rcvPf: pf(rcvPf) };
}

/** Encode to the nearest V2 word at or above the requested value (exact for man * 4^k values). */
export function encodeV2(t: IpcTimeouts): number {
  const enc = (x: Timeout): [number, number] => {
    if (x.kind === 'never') return [0, 0];
    if (x.kind === 'zero') return [1, 0];
    for (let exp = 15; exp >= 1; exp--) {
      const unit = pow4(15 - exp);
      const man = Math.ceil(x.us / unit);
      if (man <= 255) return [exp, man];
    }
    return [1, 255];
  };
  const pfEnc = (x: Timeout): number => {
    if (x.kind === 'never') return 0;
    if (x.kind === 'zero') return 15; // V2 has no zero page-fault timeout: the shortest, 1 us, no pager can meet
    for (let p = 15; p >= 1; p--) if (pow4(15 - p) >= x.us) return p;
    return 1;
  };
  const [se, sm] = enc(t.snd);
  const [re, rm] = enc(t.rcv);
  return (re | (se << 4) | (pfEnc(t.rcvPf) << 8) | (pfEnc(t.sndPf) << 12) | (sm << 16) | (rm << 24)) >>> 0;
}

export function decodeX2Period(p: number): Timeout {
  const v = p & 0xffff;
  if (v === 0) return NEVER;
  const e = (v >>> 10) & 0x1f;
  const m = v & 0x3ff;
  if (m === 0) return ZERO;
  return { kind: 'us', us: m * 2 ** e };
}

export function encodeX2Period(x: Timeout): number {
  if (x.kind === 'never') return 0;
  if (x.kind === 'zero') return 0x0400;
  for (let e = 0; e < 32; e++) {
    const m = Math.ceil(x.us / 2 ** e);
    if (m < 1024) return (e << 10) | m;
  }
  return (31 << 10) | 1023;
}

/** X.2 timeouts word: snd << 16 | rcv (transfer timeouts live in the UTCB and default to never). */
export function encodeX2(t: IpcTimeouts): number {
  return ((encodeX2Period(t.snd) << 16) | encodeX2Period(t.rcv)) >>> 0;
}

