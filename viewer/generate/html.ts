/**
 * The single HTML file: inline style, the payload as base64 blocks of gzipped bytes in
 * `<script type="application/octet-stream">` elements (never one giant JS string: browsers cap string
 * length), and the bundled page script. A Content-Security-Policy allows only that script (by hash), no
 * network at all, and data:/blob: for what the page makes itself; so even a name from the trace that
 * slipped through as markup could neither run nor load anything. Every string from the trace travels
 * inside the gzipped JSON; the only trace string in the markup, the title, is escaped.
 */
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';
import type { ViewerHeader } from '../model.js';
import { PAGE_CSS, PAGE_BODY } from './page.js';

/** Base64 characters per data block (well under any string limit). */
export const BLOCK_CHARS = 32 << 20;
/** Sizes past which the generator warns, and refuses without --force (browsers fail on huge pages). */
export const HTML_WARN_BYTES = 150 << 20;
export const HTML_MAX_BYTES = 400 << 20;

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

/** The payload: u32 header length, header JSON, column bytes. */
export function encodePayload(header: ViewerHeader, columns: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(4 + json.length + columns.length);
  new DataView(out.buffer).setUint32(0, json.length, true);
  out.set(json, 4);
  out.set(columns, 4 + json.length);
  return out;
}

export interface HtmlParts {
  /** The page, as a list of strings to write in order (the data blocks are large). */
  chunks: string[];
  bytes: number;
  payloadBytes: number;
  gzipBytes: number;
}

/** Gzipped bytes per data block: 3-byte aligned, so the blocks' base64 joins into the whole's. */
export const BLOCK_BYTES = (BLOCK_CHARS / 4) * 3;

/** The page would be bigger than the caller allows: raised before any base64 is built. */
export class PageTooBigError extends Error {
  constructor(
    readonly bytes: number,
    readonly maxBytes: number,
  ) {
    super(`the page would be ${bytes} bytes, more than ${maxBytes}`);
  }
}

const base64Length = (n: number): number => 4 * Math.ceil(n / 3);
const openTag = (n: number): string => `<script type="application/octet-stream" id="l4t-data-${n}">`;
const CLOSE_TAG = '</script>\n';

function pageHead(header: ViewerHeader, script: string): string {
  const hash = createHash('sha256').update(script, 'utf8').digest('base64');
  const csp = [
    "default-src 'none'",
    `script-src 'sha256-${hash}'`,
    "style-src 'unsafe-inline'",
    'img-src data: blob:',
    'connect-src data: blob:',
    'worker-src blob:',
  ].join('; ');
  const title = `l4trace ${header.meta.scenario}: ${header.source}`;
  return (
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${csp}">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}</title><style>${PAGE_CSS}</style></head>\n<body>${PAGE_BODY}\n`
  );
}

const pageTail = (script: string): string => `<script>${script}</script>\n</body></html>\n`;

/** The page's exact size in bytes, from the gzipped payload's length: known before any base64 exists. */
export function htmlBytes(head: string, gzipBytes: number, script: string): number {
  let bytes = Buffer.byteLength(head, 'utf8') + Buffer.byteLength(pageTail(script), 'utf8');
  for (let off = 0, n = 0; off < gzipBytes; off += BLOCK_BYTES, n++) bytes += openTag(n).length + base64Length(Math.min(BLOCK_BYTES, gzipBytes - off)) + CLOSE_TAG.length;
  return bytes;
}

/**
 * Assemble the page. With `maxBytes`, a page that would be bigger is refused (PageTooBigError) as soon
 * as its size is known, before the base64 text is made; the text is then made block by block, so no
 * string ever holds the whole payload (V8 strings stop at about 512 MB).
 */
export function buildHtml(header: ViewerHeader, columns: Uint8Array, script: string, maxBytes = Infinity): HtmlParts {
  if (/<\/script/i.test(script)) throw new Error('the viewer bundle contains "</script": it cannot be inlined');
  const payload = encodePayload(header, columns);
  const gz = gzipSync(payload, { level: 6 });
  const head = pageHead(header, script);
  const bytes = htmlBytes(head, gz.length, script);
  if (bytes > maxBytes) throw new PageTooBigError(bytes, maxBytes);
  const chunks = [head];
  for (let off = 0, n = 0; off < gz.length; off += BLOCK_BYTES, n++) {
    chunks.push(openTag(n), gz.subarray(off, Math.min(gz.length, off + BLOCK_BYTES)).toString('base64'), CLOSE_TAG);
  }
  chunks.push(pageTail(script));
  return { chunks, bytes, payloadBytes: payload.length, gzipBytes: gz.length };
}
