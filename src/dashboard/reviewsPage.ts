/**
 * /dashboard/reviews: the pull requests reviewed in the viewer's repositories (the last review of
 * each), newest first, a page at a time: level, confidence, findings per severity, and the time
 * to review, measured from when the review job was queued (the webhook's arrival) to when its
 * result was stored. That start is the review job's creation, kept only while the finished job
 * is (retention): without it the page shows "—" and says why.
 */
import { html, layout, type Html, type Viewer } from "./html.js";
import { percent, pullUrl, repoFilterForm, safeHref, time } from "./insightsCommon.js";
import type { ReviewRow } from "./insightsSource.js";

export const REVIEWS_PAGE = 50;
const SEVERITIES = ["critical", "high", "medium", "low", "info"];

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 3600_000) return `${Math.floor(ms / 60_000)} min ${Math.round((ms % 60_000) / 1000)} s`;
  return `${Math.floor(ms / 3600_000)} h ${Math.round((ms % 3600_000) / 60_000)} min`;
}

function findings(counts: Record<string, number>): Html | string {
  const entries = Object.entries(counts).filter(([, n]) => typeof n === "number" && n > 0);
  if (entries.length === 0) return "None";
  const rank = (severity: string) => (SEVERITIES.includes(severity) ? SEVERITIES.indexOf(severity) : SEVERITIES.length);
  entries.sort((a, b) => rank(a[0]) - rank(b[0]));
  const total = entries.reduce((s, [, n]) => s + n, 0);
  return html`${total} <span class="muted">(${entries.map(([k, n]) => `${n} ${k}`).join(", ")})</span>`;
}

export interface ReviewsPageInput {
  base: string;
  viewer: Viewer;
  webUrl: string;
  repos: string[];
  selected: string | undefined;
  /** null: reading failed. */
  rows: ReviewRow[] | null;
  next: string | null;
  first: boolean;
  levelName?: (level: number) => string | undefined;
}

export function reviewsPage(p: ReviewsPageInput): string {
  const opts = { title: "Reviews", base: p.base, viewer: p.viewer, current: "reviews" as const };
  const timed = (p.rows ?? []).filter((r) => r.queuedAt !== null).map((r) => r.reviewedAt - r.queuedAt!);
  const median = timed.length === 0 ? null : [...timed].sort((a, b) => a - b)[Math.floor((timed.length - 1) / 2)];
  const body = html`<p>The pull requests the bot reviewed in your repositories, with what its last review of each concluded.</p>
<p class="muted">Time to review: from the moment the review was queued (the pull request's webhook arrived) to the moment its result was stored, for the review of the head shown. It is known while the finished review job is kept (the store prunes finished jobs after a while); older reviews show “—”.${median !== null ? ` Median on this page: ${duration(median)}.` : ""}</p>
${repoFilterForm(`${p.base}/dashboard/reviews`, p.repos, p.selected, "reviews-repo")}
${table(p)}`;
  return layout(opts, body);
}

function table(p: ReviewsPageInput): Html {
  if (p.rows === null) return html`<p class="notice error" role="alert">The reviews could not be read; try again in a moment.</p>`;
  if (p.rows.length === 0) return html`<p>${p.first ? "No pull request reviewed yet in these repositories." : "No older reviews."}</p>`;
  const row = (r: ReviewRow) => {
    const name = p.levelName?.(r.level);
    const summary = safeHref(r.summaryUrl);
    return html`<tr><td>${time(r.reviewedAt)}</td><th scope="row"><a href="${pullUrl(p.webUrl, r.repo, r.prNumber)}">${r.repo}#${r.prNumber}</a>${summary ? html`<br><a class="muted" href="${summary}">summary comment<span class="sr-only"> of ${r.repo}#${r.prNumber}</span></a>` : ""}</th>
<td>${r.level}${name ? html` <span class="muted">${name}</span>` : ""}</td><td class="num">${percent(r.confidence)}</td><td>${findings(r.findingCounts)}</td>
<td class="num">${r.queuedAt === null ? "—" : duration(r.reviewedAt - r.queuedAt)}</td><td><code>${r.headSha.slice(0, 7)}</code></td></tr>`;
  };
  return html`<table><caption>Pull requests reviewed, newest review first</caption>
<thead><tr><th scope="col">Reviewed</th><th scope="col">Pull request</th><th scope="col">Level</th><th scope="col">Confidence</th><th scope="col">Findings</th><th scope="col">Time to review</th><th scope="col">Head</th></tr></thead>
<tbody>${p.rows.map(row)}</tbody></table>
${p.next ? html`<p><a href="${p.base}/dashboard/reviews?${p.next}" rel="next">Older reviews</a></p>` : ""}
${p.first ? "" : html`<p><a href="${p.base}/dashboard/reviews${p.selected ? `?repo=${encodeURIComponent(p.selected)}` : ""}">Newest reviews</a></p>`}`;
}
