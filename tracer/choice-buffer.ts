/**
 * The decision tape as it is recorded: every nondeterministic choice the machine made, buffered as
 * packed columns and written as ChoiceChunk packets (trace.proto). A hash chain over the chunk bodies
 * becomes the footer's tape_hash.
 */
import { createHash } from 'node:crypto';
import { ChoiceField } from './format.js';
import { ByteWriter } from './varint.js';

export const CHOICES_PER_CHUNK = 4096;

export class ChoiceBuffer {
  private readonly sites = new ByteWriter(1024);
  private readonly values = new ByteWriter(1024);
  private readonly ranges = new ByteWriter(1024);
  private readonly seqs = new ByteWriter(1024);
  private count = 0;
  private firstIndex = 0;
  private lastSeq = 0;
  /** Choices recorded so far. */
  total = 0;
  hash: Uint8Array = new Uint8Array(32);

  constructor(private readonly write: (body: Uint8Array) => void, private readonly scratch: ByteWriter) {}

  /** Append one choice made when the next event sequence number was `seq`. */
  add(site: number, value: number, range: number, seq: number): void {
    if (this.count === 0) this.firstIndex = this.total;
    this.sites.varint(site);
    this.values.varint(value);
    this.ranges.varint(range);
    this.seqs.varint(seq - this.lastSeq);
    this.lastSeq = seq;
    this.count++;
    this.total++;
    if (this.count >= CHOICES_PER_CHUNK) this.seal();
  }

  seal(): void {
    if (this.count === 0) return;
    const w = this.scratch;
    w.reset();
    w.varintField(ChoiceField.firstIndex, this.firstIndex);
    w.lengthDelimited(ChoiceField.site, this.sites.buf, 0, this.sites.pos);
    w.lengthDelimited(ChoiceField.value, this.values.buf, 0, this.values.pos);
    w.lengthDelimited(ChoiceField.range, this.ranges.buf, 0, this.ranges.pos);
    w.lengthDelimited(ChoiceField.seqDelta, this.seqs.buf, 0, this.seqs.pos);
    const body = w.view();
    this.hash = createHash('sha256').update(this.hash).update(body).digest();
    this.write(body);
    this.count = 0;
    this.sites.reset();
    this.values.reset();
    this.ranges.reset();
    this.seqs.reset();
  }
}
