/**
 * The narrow interface the machine records through. `Tracer` implements it; `NullRecorder` is tracing
 * switched off (no encoding at all), used to measure what tracing costs.
 */
import type { ThreadInfo } from './tracer.js';

export interface EventBuffer {
  emit(kind: number, time: number, a0?: number, a1?: number, a2?: number, a3?: number, a4?: number, a5?: number, a6?: number, a7?: number, a8?: number, a9?: number): number;
  funcEnter(time: number, func: number): number;
  funcExit(time: number, func: number): number;
}

export interface TraceRecorder {
  readonly enabled: boolean;
  /** The sequence number the next event will get. */
  readonly nextSeq: number;
  intern(s: string): number;
  addThread(info: ThreadInfo): EventBuffer;
  choice(site: number, value: number, range: number): void;
}

const NULL_BUFFER: EventBuffer = {
  emit: () => -1,
  funcEnter: () => -1,
  funcExit: () => 0,
};

export class NullRecorder implements TraceRecorder {
  readonly enabled = false;
  readonly nextSeq = 0;
  private readonly strings = new Map<string, number>();
  intern(s: string): number {
    let id = this.strings.get(s);
    if (id === undefined) this.strings.set(s, (id = this.strings.size + 1));
    return id;
  }
  addThread(): EventBuffer {
    return NULL_BUFFER;
  }
  choice(): void {}
}
