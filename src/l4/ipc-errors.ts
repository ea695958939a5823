/**
 * IPC result codes. The kernel works with the V2 msgdope error codes (bits 4..7; 0x10 set = the error
 * happened in the send phase); X.2 results are derived from them (l4-semantics.md §4.1, §4.2).
 */
export const IpcError = {
  OK: 0,
  ENOT_EXISTENT: 0x10,
  RETIMEOUT: 0x20,
  SETIMEOUT: 0x30,
  RECANCELED: 0x40,
  SECANCELED: 0x50,
  REMAPFAILED: 0x60,
  SEMAPFAILED: 0x70,
  RESNDPFTO: 0x80,
  SESNDPFTO: 0x90,
  RERCVPFTO: 0xa0,
  SERCVPFTO: 0xb0,
  REABORTED: 0xc0,
  SEABORTED: 0xd0,
  REMSGCUT: 0xe0,
  SEMSGCUT: 0xf0,
} as const;

export const IPC_ERROR_NAMES: Record<number, string> = Object.fromEntries(Object.entries(IpcError).map(([k, v]) => [v, k]));



/**
 * X.2 ErrorCode for a V2 code: bit0 = phase (0 send, 1 receive), bits 1..3 = 1 timeout, 2 non-existing
 * partner, 3 canceled, 4 message overflow, 5 xfer timeout in own pager's space, 6 in partner's, 7 aborted.
 */
export function toX2Error(code: number): number {
  const recv = (code & 0x10) === 0 ? 1 : 0;
  switch (code & 0xf0) {
    case 0:
      return 0;
    case 0x10:
      return 2 << 1;
    case 0x20:
    case 0x30:
      return (1 << 1) | recv;
    case 0x40:
    case 0x50:
      return (3 << 1) | recv;
    case 0x60:
    case 0x70:
    case 0xe0:
    case 0xf0:
      return (4 << 1) | recv;
    case 0x80:
    case 0x90:
      return ((recv ? 6 : 5) << 1) | recv;
    case 0xa0:
    case 0xb0:
      return ((recv ? 5 : 6) << 1) | recv;
    default:
      return (7 << 1) | recv;
  }
}
