/**
 * The page's size is known before any base64 is made (viewer/generate/html.ts), so a page over the
 * limit is refused with the friendly message instead of failing while building a giant string: the
 * estimate equals the bytes written, and a limit below it stops the build.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Analysis } from '../../analyze/db.js';
import { viewerScript } from '../../viewer/generate/bundle.js';
import { extractViewerData } from '../../viewer/generate/extract.js';
import { buildHtml, PageTooBigError } from '../../viewer/generate/html.js';
import type { ViewerHeader } from '../../viewer/model.js';

let a: Analysis;
let data: { header: ViewerHeader; columns: Uint8Array };
let script: string;
beforeAll(async () => {
  a = await Analysis.open(fileURLToPath(new URL('../../traces/shell.l4t', import.meta.url)));
  data = await extractViewerData(a, 'shell');
  script = await viewerScript();
}, 60_000);
afterAll(() => a.close());

describe('page size', () => {
  it('the size computed before encoding is the size of the page written', () => {
    const html = buildHtml(data.header, data.columns, script);
    expect(html.bytes).toBe(html.chunks.reduce((s, c) => s + Buffer.byteLength(c, 'utf8'), 0));
    expect(html.bytes).toBeGreaterThan(html.gzipBytes);
  });

  it('a page over the limit is refused with its size, before it is encoded', () => {
    const size = buildHtml(data.header, data.columns, script).bytes;
    let err: unknown;
    try {
      buildHtml(data.header, data.columns, script, size - 1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(PageTooBigError);
    expect((err as PageTooBigError).bytes).toBe(size);
    expect(buildHtml(data.header, data.columns, script, size).bytes).toBe(size);
  });
});
