/**
 * Reading the embedded payload: the base64 blocks are decoded to bytes, inflated with the browser's
 * DecompressionStream (no JS inflater, no network: the stream is built from an in-memory Blob), and split
 * into the JSON header and the column bytes.
 */
import { VIEWER_DATA_VERSION, type ViewerHeader } from '../model';

function base64ToBytes(s: string): Uint8Array {
  const fromBase64 = (Uint8Array as unknown as { fromBase64?: (s: string) => Uint8Array }).fromBase64;
  if (fromBase64) return fromBase64(s);
  const bin = atob(s);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

export async function readPayload(doc: Document): Promise<{ header: ViewerHeader; columns: Uint8Array }> {
  const parts: Uint8Array[] = [];
  for (let n = 0; ; n++) {
    const el = doc.getElementById(`l4t-data-${n}`);
    if (!el) break;
    parts.push(base64ToBytes((el.textContent ?? '').trim()));
    el.textContent = ''; // let the string go
  }
  if (parts.length === 0) throw new Error('this page holds no trace data');
  const stream = new Blob(parts as BlobPart[]).stream().pipeThrough(new DecompressionStream('gzip'));
  const bytes = new Uint8Array(await new Response(stream).arrayBuffer());
  const len = new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(4, 4 + len))) as ViewerHeader;
  if (header.version !== VIEWER_DATA_VERSION) throw new Error(`data version ${header.version}; this page reads ${VIEWER_DATA_VERSION}`);
  return { header, columns: bytes.subarray(4 + len) };
}
