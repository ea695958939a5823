/**
 * The static part of the page: style and markup. Nothing here comes from a trace; the page script fills
 * the title, outcome, labels and details with textContent (never innerHTML) and draws the rest on canvas.
 */
export const PAGE_CSS = `
:root { --bg: #fff; --fg: #1d2330; --muted: #6b7280; --line: #d9dde3; --accent: #2563eb; --bad: #c81e1e; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; font: 12px/1.35 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
body { display: flex; flex-direction: column; overflow: hidden; }
#top { display: flex; gap: 10px; align-items: center; padding: 6px 10px; border-bottom: 1px solid var(--line); flex-wrap: wrap; }
#title { font-weight: 600; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 40vw; }
#outcome { padding: 2px 8px; border-radius: 4px; background: #eef2f7; white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 45vw; }
#outcome.bad { background: #fde8e8; color: var(--bad); font-weight: 600; }
#search { width: 220px; padding: 3px 6px; border: 1px solid var(--line); border-radius: 4px; font: inherit; }
button { font: inherit; padding: 2px 8px; border: 1px solid var(--line); border-radius: 4px; background: #f8f9fb; cursor: pointer; }
#hits { color: var(--muted); min-width: 70px; }
#focus { color: var(--muted); white-space: nowrap; overflow: hidden; text-overflow: ellipsis; max-width: 40vw; }
#legend { display: flex; flex-wrap: wrap; gap: 4px 16px; padding: 3px 10px; border-bottom: 1px solid var(--line); color: var(--fg); font-size: 11px; }
#legend[hidden] { display: none; }
#legend .group { display: inline-flex; flex-wrap: wrap; gap: 2px 8px; align-items: center; }
#legend .item { white-space: nowrap; }
#legend .sw { display: inline-block; width: 12px; height: 10px; margin-right: 3px; vertical-align: middle; text-align: center; line-height: 10px; font-weight: 700; }
#legend .sw.line { height: 2px; }
#legend .sw.cross, #legend .sw.circle, #legend .sw.triangle { width: auto; height: auto; }
#legend .sw.edge { background: #cbd5e1; }
#main { flex: 1; display: flex; min-height: 0; }
#timeline { position: relative; flex: 1; min-width: 0; outline: none; }
#timeline canvas { position: absolute; left: 0; top: 0; }
#details { width: 320px; border-left: 1px solid var(--line); overflow: auto; padding: 8px 10px; }
#details h3 { margin: 0 0 6px; font-size: 13px; word-break: break-all; }
#details table { border-collapse: collapse; width: 100%; }
#details td { padding: 1px 4px; vertical-align: top; word-break: break-all; }
#details td:first-child { color: var(--muted); white-space: nowrap; word-break: normal; }
#details .path { font-family: ui-monospace, monospace; font-size: 11px; white-space: pre-wrap; word-break: break-all; }
#details .muted { color: var(--muted); }
#panels { height: 46vh; overflow: auto; border-top: 1px solid var(--line); padding: 8px 10px; display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 12px; align-items: start; }
#panels[hidden], #help[hidden] { display: none; }
#panels h4 { margin: 0 0 4px; font-size: 12px; }
#status { position: absolute; left: 50%; top: 40%; transform: translate(-50%, -50%); background: #fff; border: 1px solid var(--line); padding: 10px 14px; border-radius: 6px; max-width: 70vw; }
#status.error { color: var(--bad); border-color: var(--bad); }
#status:empty { display: none; }
#help { position: absolute; right: 340px; top: 50px; background: #fff; border: 1px solid var(--line); padding: 8px 12px; border-radius: 6px; box-shadow: 0 2px 10px #0002; z-index: 5; }
#help td:first-child { font-family: ui-monospace, monospace; padding-right: 10px; }
#help .sw { display: inline-block; width: 10px; height: 10px; margin: 0 3px 0 6px; vertical-align: middle; }
`;

export const PAGE_BODY = `
<div id="top">
  <span id="title"></span>
  <span id="outcome"></span>
  <input id="search" type="search" placeholder="search function or thread (/)" autocomplete="off" spellcheck="false">
  <button id="prev" title="previous hit (Shift+Enter, N)">&#9664;</button><button id="next" title="next hit (Enter, n)">&#9654;</button>
  <span id="hits"></span>
  <button id="zoomsel" title="zoom to selection (F)">zoom to selection</button>
  <button id="fit" title="whole run (0)">whole run</button>
  <button id="panelsbtn" title="summary panels (P)">summaries</button>
  <button id="legendbtn" title="legend (L)">legend</button>
  <button id="helpbtn" title="keys (?)">?</button>
  <span id="focus"></span>
</div>
<div id="legend"></div>
<div id="main">
  <div id="timeline" tabindex="0"><canvas id="cmain"></canvas><canvas id="cover"></canvas><div id="status">loading the trace&hellip;</div></div>
  <div id="details"><p class="muted">Click a slice, a CPU interval, an interrupt, a message or a signal for its details.</p></div>
</div>
<div id="panels" hidden></div>
<div id="help" hidden><table>
<tr><td>W / S</td><td>zoom in / out (Ctrl+wheel too)</td></tr>
<tr><td>A / D</td><td>pan left / right (Shift+wheel, drag)</td></tr>
<tr><td>wheel, &uarr; &darr;</td><td>scroll tracks</td></tr>
<tr><td>click</td><td>select; details on the right</td></tr>
<tr><td>F</td><td>zoom to the selection</td></tr>
<tr><td>0</td><td>whole run</td></tr>
<tr><td>1</td><td>back to the window the page opened on (the outcome's cause)</td></tr>
<tr><td>/ or Ctrl+F</td><td>search; Enter / Shift+Enter next / previous</td></tr>
<tr><td>n / N</td><td>next / previous hit</td></tr>
<tr><td>P</td><td>summary panels</td></tr>
<tr><td>L</td><td>legend</td></tr>
<tr><td>Esc</td><td>close this list; else clear the selection</td></tr>
<tr><td>state band</td><td>under each thread's name: <span class="sw" style="background:#16a34a"></span>running <span class="sw" style="background:#f59e0b"></span>ready <span class="sw" style="background:#93c5fd"></span>receiving <span class="sw" style="background:#c084fc"></span>sending <span class="sw" style="background:#9ca3af"></span>blocked</td></tr>
<tr><td>messages</td><td>blue arrows (bundled per thread pair past 2,000 in view); <b style="color:#c81e1e">&#215; red</b>: not received (error); <b style="color:#6b7280">&#9675; grey</b>: no result yet</td></tr>
</table></div>
`;
