/**
 * ABI flavours. The kernel's semantics are shared; a flavour decides the cost profile, the order of
 * sender queues, how interrupts are acknowledged, and how ids, timeouts and errors are shown.
 */
import { COST_PROFILES, type CostProfile } from './costs.js';
import { showGid, toX2 } from './ids.js';
import { encodeV2, encodeX2, type IpcTimeouts } from './timeouts.js';

export type FlavourName = 'v2' | 'x2';

export interface Flavour {
  name: FlavourName;
  kernel: string;
  costProfile: string;
  /** Fiasco orders sender queues by priority; Pistachio keeps them FIFO (l4-semantics.md §4.4). */
  senderQueue: 'prio' | 'fifo';
  /**
   * V2: a hit masks the line; the handler's next receive on it unmasks it (or an explicit unmask).
   * X.2: the line stays masked until the handler sends an acknowledgement IPC to the interrupt thread.
   */
  irqAck: 'receive' | 'ack-ipc';
  encodeTimeouts(t: IpcTimeouts): number;
  showId(gid: number): string;
}

export const FLAVOURS: Record<FlavourName, Flavour> = {
  v2: {
    name: 'v2',
    kernel: 'Fiasco (L4 V2 ABI)',
    costProfile: 'fiasco-v2',
    senderQueue: 'prio',
    irqAck: 'receive',
    encodeTimeouts: encodeV2,
    showId: showGid,
  },
  x2: {
    name: 'x2',
    kernel: 'L4Ka::Pistachio (X.2 ABI)',
    costProfile: 'pistachio-x2',
    senderQueue: 'fifo',
    irqAck: 'ack-ipc',
    encodeTimeouts: encodeX2,
    showId: (g) => `${showGid(g)} (x2 ${toX2(g).toString(16)})`,
  },
};

export function costsOf(f: Flavour, overrides: Partial<CostProfile> = {}): CostProfile {
  return { ...COST_PROFILES[f.costProfile]!, ...overrides };
}
