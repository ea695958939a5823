import { execFileSync, spawnSync } from 'node:child_process';
import protobuf from 'protobufjs';
import { describe, expect, it } from 'vitest';
import { Kind, KINDS } from '../../tracer/catalogue.js';
import { decodeEventChunk } from '../../tracer/chunk-codec.js';
import { ChoiceField, ChunkField, MAGIC, PacketField } from '../../tracer/format.js';
import { traceProtoPath } from '../../tracer/packets.js';
import { TraceReader } from '../../tracer/reader.js';
import { generateRandomStream } from '../support/random-stream.js';

const root = new protobuf.Root().loadSync(traceProtoPath(), { keepCase: true });
const hasProtoc = spawnSync('protoc', ['--version']).status === 0;

describe('the catalogue and trace.proto agree', () => {
  it('every kind number matches the Kind enum', () => {
    const e = root.lookupEnum('l4trace.Kind');
    for (const [name, id] of Object.entries(Kind)) expect(e.values[name], name).toBe(id);
    const named = Object.keys(e.values).filter((n) => n !== 'KIND_NONE');
    expect(named.sort()).toEqual(Object.keys(Kind).sort());
  });

  it('every kind has a payload message whose fields are the catalogue fields, in order, with the right signedness', () => {
    for (const k of KINDS) {
      const msg = root.lookupType(`l4trace.${k.message}`);
      const protoFields = msg.fieldsArray.slice().sort((a, b) => a.id - b.id);
      const stored = k.fields.filter((f) => !f.implicit);
      expect(protoFields.map((f) => f.name), k.name).toEqual(stored.map((f) => f.name));
      protoFields.forEach((pf, i) => {
        const signed = pf.type === 'sint64' || pf.type === 'sint32';
        expect(signed, `${k.name}.${pf.name}`).toBe(stored[i]!.role === 's');
        expect(['uint32', 'uint64', 'sint32', 'sint64']).toContain(pf.type);
      });
    }
  });

  it('the hand-written codecs use the field numbers of the proto', () => {
    const chunk = root.lookupType('l4trace.EventChunk');
    const byName = (t: protobuf.Type, n: string) => t.fields[n]!.id;
    expect(ChunkField).toEqual({
      thread: byName(chunk, 'thread'),
      chunkIndex: byName(chunk, 'chunk_index'),
      firstSeq: byName(chunk, 'first_seq'),
      firstTime: byName(chunk, 'first_time'),
      count: byName(chunk, 'count'),
      openStack: byName(chunk, 'open_stack'),
      tag: byName(chunk, 'tag'),
      dt: byName(chunk, 'dt'),
      u: byName(chunk, 'u'),
      s: byName(chunk, 's'),
    });
    const choices = root.lookupType('l4trace.ChoiceChunk');
    expect(ChoiceField).toEqual({
      firstIndex: byName(choices, 'first_index'),
      site: byName(choices, 'site'),
      value: byName(choices, 'value'),
      range: byName(choices, 'range'),
      seqDelta: byName(choices, 'seq_delta'),
    });
    const packet = root.lookupType('l4trace.Packet');
    expect(PacketField).toEqual({
      header: byName(packet, 'header'),
      strings: byName(packet, 'strings'),
      thread: byName(packet, 'thread'),
      chunk: byName(packet, 'chunk'),
      choices: byName(packet, 'choices'),
      footer: byName(packet, 'footer'),
      blob: byName(packet, 'blob'),
    });
  });
});

describe('written files are plain protobuf', () => {
  const stream = generateRandomStream(77, 4000, 6, { chunkEvents: 100 });

  it('protobufjs decodes every chunk to the same columns our decoder reads', () => {
    const reader = TraceReader.fromBytes(stream.bytes);
    const EventChunk = root.lookupType('l4trace.EventChunk');
    expect(reader.chunks.length).toBeGreaterThan(10);
    for (const ref of reader.chunks) {
      const body = reader.chunkBody(ref);
      const pj = EventChunk.toObject(EventChunk.decode(body), { longs: Number, defaults: true }) as Record<string, number | number[]>;
      const ours = decodeEventChunk(body, 0, body.length, 0);
      expect(pj.count).toBe(ours.count);
      expect(pj.first_seq).toBe(ours.firstSeq);
      expect((pj.tag as number[]).length).toBe(ours.count);
      expect((pj.dt as number[]).length).toBe(ours.count);
      expect(pj.open_stack).toEqual(ours.openStack);
      // Re-encoding with protobufjs gives the same bytes: our encoding is the canonical proto3 form.
      expect(Buffer.from(EventChunk.encode(EventChunk.fromObject(pj)).finish()).equals(Buffer.from(body))).toBe(true);
    }
  });

  it.skipIf(!hasProtoc)('protoc --decode reads every packet of a written file', () => {
    const text = execFileSync('protoc', [`--proto_path=${traceProtoPath().replace(/\/trace\.proto$/, '')}`, '--decode=l4trace.TraceFile', 'trace.proto'], {
      input: Buffer.from(stream.bytes.subarray(MAGIC.length)),
      maxBuffer: 256 << 20,
    }).toString();
    const reader = TraceReader.fromBytes(stream.bytes);
    const count = (re: RegExp) => (text.match(re) ?? []).length;
    expect(count(/^packet \{/gm)).toBe(reader.packets);
    expect(count(/^  header \{/gm)).toBe(1);
    expect(count(/^  footer \{/gm)).toBe(1);
    expect(count(/^  chunk \{/gm)).toBe(reader.chunks.length);
    expect(count(/^  thread \{/gm)).toBe(6);
    // one `tag:` value per event
    expect(count(/^    tag: /gm)).toBe(4000);
    expect(text).toContain('value: "quicksort"');
  });
});
