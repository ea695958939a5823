/** A loaded trace to its viewer page: extract the data, bundle the script, assemble the HTML. */
import type { Analysis } from '../../analyze/db.js';
import type { ViewerHeader } from '../model.js';
import { viewerScript } from './bundle.js';
import { extractViewerData, type ViewSelection } from './extract.js';
import { buildHtml, type HtmlParts } from './html.js';

/** `maxBytes`: refuse (PageTooBigError) a page that would be bigger, before encoding it. */
export async function buildViewerPage(a: Analysis, source: string, sel: ViewSelection = {}, maxBytes = Infinity): Promise<HtmlParts & { header: ViewerHeader }> {
  const data = await extractViewerData(a, source, sel);
  return { ...buildHtml(data.header, data.columns, await viewerScript(), maxBytes), header: data.header };
}
