import { describe, expect, it } from 'vitest';
import { TraceFormatError } from '../../tracer/errors.js';
import { FORMAT_VERSION, FRAME_KEY, MAGIC, MAX_PACKET_BYTES, PacketField } from '../../tracer/format.js';
import { PacketFramer } from '../../tracer/framing.js';
import { emptyHeader, encodeHeader, Outcome } from '../../tracer/packets.js';
import { TraceReader } from '../../tracer/reader.js';
import { MemorySink } from '../../tracer/sink.js';
import { summarize } from '../../tracer/summary.js';
import { generateSynthetic } from '../../tracer/synthetic.js';
import { Tracer } from '../../tracer/tracer.js';
import { ByteWriter } from '../../tracer/varint.js';
import { TestRng } from '../support/random-stream.js';

/** A small but varied trace: functions, IPC, IRQs, a decision tape, several chunks per thread. */
function sampleTrace(events: number, chunkEvents: number): Uint8Array {
  const sink = new MemorySink();
  const tracer = new Tracer(sink, { ...emptyHeader(), toolVersion: 'test', scenarioName: 'sample', synthetic: true }, { chunkEvents });
  for (let i = 0; i < 50; i++) tracer.choice(1 + (i % 5), i % 3, 3);
  const end = generateSynthetic(tracer, { profile: 'mixed', events, threads: 3, seed: 5 });
  tracer.finish({ outcome: Outcome.OK, endTime: end });
  return sink.bytes();
}

/** Open, summarise, and read every event and choice: everything a command might do. */
function readEverything(bytes: Uint8Array): { events: number; truncated: boolean } {
  const r = TraceReader.fromBytes(bytes);
  summarize(r);
  let events = 0;
  for (const _ of r.events()) events++;
  r.tape();
  return { events, truncated: r.truncated !== undefined };
}

describe('a file cut short', () => {
  const full = sampleTrace(20_000, 200);
  const whole = TraceReader.fromBytes(full);

  it(`is read at every 997th byte offset without a crash or hang, recovering every whole chunk (${full.length} bytes)`, () => {
    let cuts = 0;
    let recoveredSome = 0;
    for (let cut = 0; cut < full.length; cut += 997) {
      cuts++;
      const prefix = full.subarray(0, cut);
      let r: TraceReader;
      try {
        r = TraceReader.fromBytes(prefix);
      } catch (e) {
        // Only a prefix without a whole header may fail, and only with a typed error.
        expect(e).toBeInstanceOf(TraceFormatError);
        expect(['BAD_MAGIC', 'NO_HEADER']).toContain((e as TraceFormatError).code);
        continue;
      }
      expect(r.truncated).toBeDefined();
      expect(r.truncated!.offset).toBeLessThanOrEqual(cut);
      const expected = whole.chunks.filter((c) => c.bodyStart + c.bodyLength <= cut).reduce((a, c) => a + c.count, 0);
      let got = 0;
      let last = -1;
      let ordered = true;
      for (const ev of r.events()) {
        ordered &&= ev.seq > last;
        last = ev.seq;
        got++;
      }
      expect(ordered).toBe(true);
      expect(got).toBe(expected);
      if (got > 0) recoveredSome++;
    }
    expect(cuts).toBeGreaterThan(50);
    expect(recoveredSome).toBeGreaterThan(cuts / 2);
  });

  it('reports the cut in the summary, and a complete file reports none', () => {
    const s = summarize(TraceReader.fromBytes(full.subarray(0, Math.floor(full.length / 2))));
    expect(s.truncated).not.toBe(false);
    expect(s.outcome).toBeNull();
    expect(summarize(whole).truncated).toBe(false);
  });
});

describe('corrupted files', () => {
  const base = sampleTrace(3000, 100);

  it('1,000 randomly corrupted copies never crash the reader, and none reads as an intact complete file', () => {
    const rng = new TestRng(2024);
    const codes = new Map<string, number>();
    let survived = 0;
    for (let copy = 0; copy < 1000; copy++) {
      let bytes = base.slice();
      const mode = rng.below(4);
      if (mode === 3) {
        // splice: delete or duplicate a run of bytes
        const at = rng.below(bytes.length);
        const len = 1 + rng.below(64);
        bytes = rng.below(2)
          ? Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + len)])
          : Uint8Array.from([...bytes.subarray(0, at + len), ...bytes.subarray(at)]);
      } else {
        const flips = 1 + rng.below(mode === 0 ? 2 : 16);
        for (let i = 0; i < flips; i++) bytes[rng.below(bytes.length)] = rng.below(256);
      }
      const changed = !Buffer.from(bytes).equals(Buffer.from(base));
      try {
        const r = readEverything(bytes);
        // Every byte is covered by a check: a changed file is refused, or at most reads as cut short.
        if (changed) expect(r.truncated, `copy ${copy} changed and still read as complete`).toBe(true);
        survived++;
      } catch (e) {
        if (!(e instanceof TraceFormatError)) throw new Error(`copy ${copy}: untyped ${(e as Error).name}: ${(e as Error).message}`);
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
      }
    }
    expect([...codes.values()].reduce((a, b) => a + b, 0)).toBeGreaterThan(900);
    expect(codes.get('BAD_CHECK')).toBeGreaterThan(100);
    expect(survived).toBeLessThan(100);
  });
});

describe('typed errors for bad input', () => {
  const good = sampleTrace(500, 100);

  function codeOf(bytes: Uint8Array, strict = false): string {
    try {
      const r = TraceReader.fromBytes(bytes, { strict });
      for (const _ of r.events()) {
        // decode everything
      }
      return 'none';
    } catch (e) {
      if (e instanceof TraceFormatError) return e.code;
      throw e;
    }
  }

  /** A file with a valid header (after `mutate`), then whatever `extra` frames or writes raw. */
  function withHeader(mutate: (h: ReturnType<typeof emptyHeader>) => void, extra?: (w: ByteWriter, f: PacketFramer) => void): Uint8Array {
    const w = new ByteWriter();
    const f = new PacketFramer(w);
    const h = { ...emptyHeader(), formatVersion: FORMAT_VERSION };
    mutate(h);
    f.frame(PacketField.header, encodeHeader(h));
    extra?.(w, f);
    return w.toBytes();
  }

  it('wrong magic', () => {
    expect(codeOf(new TextEncoder().encode('PK\u0003\u0004 this is a zip file, not a trace'))).toBe('BAD_MAGIC');
    expect(codeOf(new Uint8Array(3))).toBe('BAD_MAGIC');
    const wrong = good.slice();
    wrong[0] = 'X'.charCodeAt(0);
    expect(codeOf(wrong)).toBe('BAD_MAGIC');
  });

  it('an unknown future format version, naming both versions', () => {
    const bytes = withHeader((h) => (h.formatVersion = 99));
    expect(codeOf(bytes)).toBe('FUTURE_VERSION');
    expect(() => TraceReader.fromBytes(bytes)).toThrow(new RegExp(`version 99 is newer.*format ${FORMAT_VERSION}\\b`));
  });

  it('a packet cut short is a cut when tolerant (its own length agrees with its frame), an error when strict', () => {
    const bytes = withHeader(
      () => {},
      (w) => {
        w.byte(FRAME_KEY);
        w.varint(1_000_000 + 4 + 7); // a megabyte packet (+ index and checksum) of which only the start was written
        w.varint((PacketField.chunk << 3) | 2);
        w.varint(1_000_000);
        w.bytes(new Uint8Array(10));
      },
    );
    expect(codeOf(bytes, true)).toBe('LENGTH_PAST_END');
    const r = TraceReader.fromBytes(bytes);
    expect(r.truncated?.reason).toMatch(/declares 1000011 bytes but only 14 remain/);
  });

  it('a length prefix larger than the file that the packet inside contradicts is damage, not a cut', () => {
    const real = sampleTrace(20_000, 200);
    const reader = TraceReader.fromBytes(real);
    const chunk = reader.chunks[reader.chunks.length - 1]!;
    const damaged = Uint8Array.from(real);
    // Rewrite the frame length of the last chunk to the largest value of the same varint width, as a
    // corrupted disk block would: it now claims more than the file holds, and whole packets follow it.
    const lenAt = chunk.offset + 1;
    let width = 1;
    while (real[lenAt + width - 1]! >= 0x80) width++;
    expect(128 ** width - 1).toBeGreaterThan(real.length - lenAt - width);
    damaged.fill(0xff, lenAt, lenAt + width - 1);
    damaged[lenAt + width - 1] = 0x7f;
    expect(codeOf(damaged)).toBe('LENGTH_PAST_END');
    expect(() => TraceReader.fromBytes(damaged)).toThrow(/damaged length, not a cut/);
    // Eleven 0xff bytes where the length was: not a varint at all, with plenty of file after it.
    const garbage = Uint8Array.from(real);
    garbage.fill(0xff, lenAt, lenAt + 11);
    expect(codeOf(garbage)).toBe('BAD_LENGTH');
  });

  it('a length prefix no packet can have', () => {
    const bytes = withHeader(
      () => {},
      (w) => {
        w.byte(FRAME_KEY);
        w.varint(MAX_PACKET_BYTES + 1);
      },
    );
    expect(codeOf(bytes)).toBe('BAD_LENGTH');
  });

  it('a packet that does not decode', () => {
    const bytes = withHeader(
      () => {},
      (_w, f) => {
        // a chunk packet whose body is garbage (with a valid checksum): a varint field that never ends
        f.frame(PacketField.chunk, Uint8Array.from([0x08, 0xff, 0xff, 0xff]));
      },
    );
    expect(codeOf(bytes)).toBe('BAD_PACKET');
  });

  it('no header first', () => {
    const w = new ByteWriter();
    new PacketFramer(w).frame(PacketField.strings, Uint8Array.from([0x08, 0x01]));
    expect(codeOf(w.toBytes())).toBe('NO_HEADER');
    expect(codeOf(MAGIC)).toBe('NO_HEADER');
  });

  it('a file cut inside its header says so', () => {
    const bytes = withHeader((h) => void (h.scenarioJson = 'x'.repeat(5000)));
    const cut = bytes.subarray(0, 2000);
    expect(codeOf(cut)).toBe('NO_HEADER');
    expect(() => TraceReader.fromBytes(cut)).toThrow(/cut inside its header packet \(packet at byte \d+ declares \d+ bytes but only \d+ remain\)/);
  });

  it('a chunk claiming more events than its bytes can hold is refused before allocating', () => {
    const bytes = withHeader(
      () => {},
      (_w, f) => {
        // thread descriptor #0, then a chunk with count = 2^40 and one tag byte
        f.frame(PacketField.thread, new Uint8Array(0));
        const chunk = new ByteWriter();
        chunk.varintField(5, 2 ** 40);
        chunk.lengthDelimited(7, Uint8Array.from([20]));
        chunk.lengthDelimited(8, Uint8Array.from([0]));
        chunk.lengthDelimited(9, Uint8Array.from([1]));
        f.frame(PacketField.chunk, chunk.toBytes());
      },
    );
    expect(() => [...TraceReader.fromBytes(bytes).events()]).toThrow(/count 1099511627776 exceeds the 1 tag bytes/);
  });

  it('data after the footer', () => {
    const more = new ByteWriter();
    new PacketFramer(more).frame(PacketField.strings, Uint8Array.from([0x08, 0x01]));
    const extra = Uint8Array.from([...good, ...more.toBytes().subarray(MAGIC.length)]);
    expect(codeOf(extra)).toBe('BAD_PACKET');
  });
});
