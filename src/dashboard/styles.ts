/** The dashboard's one stylesheet, served as /dashboard/assets/dashboard.css (no CDN, no build step). */
export const STYLES_CSS = `
:root { --fg: #1f2328; --muted: #59636e; --bg: #ffffff; --line: #d1d9e0; --accent: #0969da; --warn: #9a6700; --bad: #d1242f; }
* { box-sizing: border-box; }
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--accent); outline-offset: 2px; }
.skip { position: absolute; left: -9999px; }
.skip:focus { left: 1rem; top: 1rem; background: var(--bg); padding: .5rem; z-index: 10; }
header.top { display: flex; flex-wrap: wrap; align-items: center; gap: 1rem; padding: .75rem 1.5rem; border-bottom: 1px solid var(--line); }
.brand { font-weight: 600; }
header nav ul { display: flex; gap: 1rem; list-style: none; margin: 0; padding: 0; }
header nav a[aria-current="page"] { font-weight: 600; text-decoration: none; color: var(--fg); }
.signout { margin-left: auto; display: flex; gap: .5rem; align-items: center; }
main { padding: 1rem 1.5rem 3rem; max-width: 72rem; }
main:focus { outline: none; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; }
h2 { font-size: 1.15rem; margin: 1.5rem 0 .5rem; }
button, select, input { font: inherit; }
button { padding: .3rem .8rem; border: 1px solid var(--line); border-radius: 6px; background: #f6f8fa; cursor: pointer; }
button[aria-pressed="true"] { background: #fff8c5; }
.notice { padding: .75rem 1rem; border: 1px solid var(--line); border-left: 4px solid var(--warn); border-radius: 6px; background: #fff8c5; }
.error { border-left-color: var(--bad); background: #ffebe9; }
form.filters { display: flex; flex-wrap: wrap; gap: 1rem; align-items: end; margin-bottom: 1rem; }
form.filters label { display: flex; flex-direction: column; gap: .2rem; font-size: .9rem; color: var(--muted); }
form.filters select, form.filters input { padding: .3rem; min-width: 14rem; color: var(--fg); }
.live-bar { display: flex; gap: 1rem; align-items: center; margin: 1.5rem 0 .5rem; }
.live-bar h2, .live-bar p { margin: 0; }
[role="status"] { color: var(--muted); }
ol.events { list-style: none; padding: 0; margin: 0; border-top: 1px solid var(--line); }
ol.events li { display: grid; grid-template-columns: 7rem 16rem 1fr; gap: .25rem 1rem; padding: .4rem 0; border-bottom: 1px solid var(--line); }
ol.events .type { font-family: ui-monospace, monospace; }
ol.events details { grid-column: 1 / -1; }
ol.events pre { margin: .25rem 0; padding: .5rem; background: #f6f8fa; overflow: auto; max-height: 20rem; }
ul.repos { columns: 2; }
ul.links { padding-left: 1.2rem; }
ul.links li { margin: .25rem 0; }
figure.chart { margin: .5rem 0 1rem; }
.chart-canvas { min-height: 2rem; max-width: 56rem; }
figure.chart figcaption { color: var(--muted); font-size: .9rem; }
.outcome-confirmed { color: #1a7f37; font-weight: 600; }
.outcome-rejected { color: var(--bad); font-weight: 600; }
.outcome-open { color: var(--muted); }
.circuit-closed { color: #1a7f37; }
th a.muted { font-weight: normal; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
.muted { color: var(--muted); }
table { border-collapse: collapse; width: 100%; margin: .5rem 0 1rem; font-size: .9rem; }
caption { text-align: left; color: var(--muted); padding: .25rem 0; }
th, td { text-align: left; vertical-align: top; padding: .35rem .5rem; border-bottom: 1px solid var(--line); }
td a { overflow-wrap: anywhere; } /* long registration ids wrap instead of widening the page */
thead th { background: #f6f8fa; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td form { margin: 0; }
td pre { margin: .25rem 0; padding: .5rem; background: #f6f8fa; overflow: auto; max-height: 12rem; max-width: 28rem; white-space: pre-wrap; }
.error-text { color: var(--bad); overflow-wrap: anywhere; }
.circuit { font-weight: 600; }
.circuit-open, .outcome-dead { color: var(--bad); }
.circuit-paused, .circuit-probing, .outcome-failed { color: var(--warn); }
.badge { font-size: .8rem; padding: 0 .4rem; border: 1px solid var(--line); border-radius: 1rem; }
form.inline-form { display: flex; flex-wrap: wrap; gap: .5rem; align-items: center; margin: .75rem 0; }
dl.facts { display: grid; grid-template-columns: 9rem 1fr; gap: .25rem 1rem; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; }
footer { padding: 1rem 1.5rem; color: var(--muted); border-top: 1px solid var(--line); }
`;
