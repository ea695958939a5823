/** A loaded trace to its viewer page: extract the data, bundle the script, assemble the HTML. */
import type { Analysis } from '../../analyze/db.js';
import type { ViewerHeader } from '../model.js';
import { viewerScript } from './bundle.js';
import { extractViewerData, type ViewSelection } from './extract.js';
import { buildHtml, type HtmlParts } from './html.js';

export async function buildViewerPage(a: Analysis, source: string, sel: ViewSelection = {}): Promise<HtmlParts & { header: ViewerHeader }> {
  const data = await extractViewerData(a, source, sel);
  return { ...buildHtml(data.header, data.columns, await viewerScript()), header: data.header };
}
