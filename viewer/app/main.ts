/**
 * The viewer page's entry point: decode the embedded trace, lay out the tracks, draw. A failure is shown
 * in plain words on the page (for a page too big for the browser: how to make a smaller one).
 */
import { App } from './app';
import { readPayload } from './load';
import { Store } from './store';

async function boot(): Promise<void> {
  const status = document.getElementById('status')!;
  try {
    const { header, columns } = await readPayload(document);
    status.textContent = `drawing ${header.meta.events.toLocaleString('en-US')} events…`;
    const store = new Store(header, columns);
    new App(store).start();
  } catch (e) {
    status.classList.add('error');
    const err = e as Error;
    status.textContent =
      err instanceof RangeError || /memory|allocation|too large/i.test(err.message)
        ? `This trace is too large for this browser (${err.message}). Make a smaller page: l4trace view FILE --from CYCLES --to CYCLES, or --threads NAMES, or filter the trace first (l4trace score / filter).`
        : `This page could not show the trace: ${err.message}`;
  }
}

void boot();
