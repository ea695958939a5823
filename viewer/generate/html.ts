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

export function buildHtml(header: ViewerHeader, columns: Uint8Array, script: string): HtmlParts {
  const payload = encodePayload(header, columns);
  const gz = gzipSync(payload, { level: 6 });
  const b64 = Buffer.from(gz.buffer, gz.byteOffset, gz.byteLength).toString('base64');
  if (/<\/script/i.test(script)) throw new Error('the viewer bundle contains "</script": it cannot be inlined');
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
  const head =
    '<!doctype html>\n<html lang="en"><head><meta charset="utf-8">' +
    `<meta http-equiv="Content-Security-Policy" content="${csp}">` +
    '<meta name="viewport" content="width=device-width, initial-scale=1">' +
    `<title>${escapeHtml(title)}</title><style>${PAGE_CSS}</style></head>\n<body>${PAGE_BODY}\n`;
  const chunks = [head];
  for (let i = 0, n = 0; i < b64.length; i += BLOCK_CHARS, n++) {
    chunks.push(`<script type="application/octet-stream" id="l4t-data-${n}">`, b64.slice(i, i + BLOCK_CHARS), '</script>\n');
  }
  chunks.push(`<script>${script}</script>\n</body></html>\n`);
  const bytes = chunks.reduce((s, c) => s + Buffer.byteLength(c, 'utf8'), 0);
  return { chunks, bytes, payloadBytes: payload.length, gzipBytes: gz.length };
}
