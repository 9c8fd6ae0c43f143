/**
 * /dashboard/patterns/:id: a learned pattern (the target of Slack's "View Pattern" button): what
 * it is about, its confidence, how often it was seen and how its outcomes went, and the pull
 * requests it came from. An unknown id and a pattern of a repository the viewer may not see get
 * the same 404 (the handler's), so a pattern's existence does not leak.
 */
import { html, layout, type Viewer } from "./html.js";
import { percent, pullUrl } from "./insightsCommon.js";
import type { PatternView } from "./insightsSource.js";

export interface PatternPageInput {
  base: string;
  viewer: Viewer;
  webUrl: string;
  pattern: PatternView;
}

export function patternPage(p: PatternPageInput): string {
  const r = p.pattern;
  const prs = [...new Set(r.prNumbers.filter((n) => Number.isSafeInteger(n) && n > 0))].reverse();
  const outcomes = r.successes + r.failures;
  const body = html`<dl class="facts">
<dt>Repository</dt><dd>${r.repo}</dd>
<dt>About</dt><dd><code>${r.key}</code>${r.name !== r.key ? html` (${r.name})` : ""}</dd>
<dt>Id</dt><dd><code>${r.id}</code></dd>
<dt>Confidence</dt><dd>${percent(r.confidence)} <span class="muted">(from ${outcomes} outcome${outcomes === 1 ? "" : "s"}: the rule of succession, 50 % with none)</span></dd>
<dt>Seen in</dt><dd>${r.occurrences} pull request${r.occurrences === 1 ? "" : "s"}</dd>
<dt>Outcomes</dt><dd>${r.successes} accepted or confirmed, ${r.failures} rejected</dd>
<dt>State</dt><dd>${r.learned ? "Learned" : "Not learned yet (seen in fewer than two pull requests)"}${r.transformed ? "; a systemic fix was proposed (level 5)" : ""}</dd>
</dl>
<section aria-labelledby="prs-title"><h2 id="prs-title">Pull requests it came from</h2>
${
  prs.length === 0
    ? html`<p>None recorded.</p>`
    : html`<ul class="prs">${prs.map((n) => html`<li><a href="${pullUrl(p.webUrl, r.repo, n)}">${r.repo}#${n}</a></li>`)}</ul>
<p class="muted">Newest first; the pattern keeps the most recent pull requests only.</p>`
}</section>
<p><a href="${p.base}/dashboard/predictions">All predictions</a></p>`;
  return layout({ title: `Pattern: ${r.name}`, base: p.base, viewer: p.viewer }, body);
}
