/**
 * /dashboard/trust: per author and repository, the trust the bot has in them now (the engine's
 * stored record), and over time: replayed from the recorded feedback (feedback_log) with the
 * engine's own trust rule, from its starting value, oldest first; and per repository the trust
 * circuit breaker's state (open: cautious mode), computed by the app's own breaker function over
 * the repository's recent feedback.
 */
import { html, layout, type Html, type Viewer } from "./html.js";
import { chartFigure, percent, repoFilterForm, time, type ChartSpec } from "./insightsCommon.js";
import type { BreakerView, FeedbackRow, InsightsSource, TrustView } from "./insightsSource.js";

/** Feedback read for the history (oldest first) and for the breaker. */
export const TRUST_SCAN = 5000;
/** Trust records listed. */
export const TRUST_ROWS = 1000;
/** Series drawn (the authors with the most feedback); the table has them all. */
export const TRUST_SERIES = 8;
/** Changes listed in the history table. */
export const TRUST_CHANGES = 50;

export interface TrustPoint {
  at: number;
  outcome: "accepted" | "rejected";
  trust: number;
}

export interface TrustLine {
  repo: string;
  userId: string;
  /** The stored record's value; null when there is none (feedback only). */
  now: number | null;
  accepted: number;
  rejected: number;
  /** Replayed from the feedback, oldest first; empty without the engine's rule. */
  points: TrustPoint[];
}

const lineKey = (repo: string, user: string) => `${repo}\u0000${user}`;

/** Per (repository, author): the record's trust and the feedback replayed with the engine's rule. */
export function trustLines(records: TrustView[], feedback: FeedbackRow[], rule: InsightsSource["trust"]): TrustLine[] {
  const lines = new Map<string, TrustLine>();
  const line = (repo: string, userId: string) => {
    const k = lineKey(repo, userId);
    let l = lines.get(k);
    if (!l) lines.set(k, (l = { repo, userId, now: null, accepted: 0, rejected: 0, points: [] }));
    return l;
  };
  for (const r of records) line(r.repo, r.userId).now = r.trust;
  for (const f of [...feedback].sort((a, b) => a.createdAt - b.createdAt)) {
    const l = line(f.repo, f.userId);
    if (f.outcome === "accepted") l.accepted++;
    else l.rejected++;
    if (rule) {
      const before = l.points.length > 0 ? l.points[l.points.length - 1].trust : rule.initial;
      l.points.push({ at: f.createdAt, outcome: f.outcome, trust: rule.after(before, f.outcome) });
    }
  }
  return [...lines.values()].sort((a, b) => a.repo.localeCompare(b.repo) || a.userId.localeCompare(b.userId));
}

/** The chart: one stepped series per line (the busiest ones), on the union of their times. */
export function trustChart(lines: TrustLine[], initial: number): ChartSpec {
  const drawn = [...lines]
    .filter((l) => l.points.length > 0)
    .sort((a, b) => b.points.length - a.points.length)
    .slice(0, TRUST_SERIES);
  const xs = [...new Set(drawn.flatMap((l) => l.points.map((p) => p.at)))].sort((a, b) => a - b);
  const series = drawn.map((l) => {
    let i = 0;
    let value: number | null = null;
    const values = xs.map((x) => {
      while (i < l.points.length && l.points[i].at <= x) value = l.points[i++].trust;
      return value ?? (x < l.points[0].at ? null : initial);
    });
    return { label: `${l.userId} in ${l.repo}`, values, style: "step" as const };
  });
  return { x: xs, xKind: "time", xLabel: "Time", yLabel: "Trust", percent: true, series };
}

export interface TrustPageInput {
  base: string;
  viewer: Viewer;
  repos: string[];
  selected: string | undefined;
  /** null: reading failed. */
  lines: TrustLine[] | null;
  /** The history read was cut at TRUST_SCAN rows: drawn up to this time. */
  truncatedAt: number | null;
  initial: number | null;
  /** Per repository (as stored); undefined: the breaker is not wired; null: reading failed. */
  breakers: { repo: string; state: BreakerView }[] | null | undefined;
}

export function trustPage(p: TrustPageInput): string {
  const opts = {
    title: "Trust",
    base: p.base,
    viewer: p.viewer,
    current: "trust" as const,
    scripts: ["uplot.min.js", "insights.js"],
    styles: ["uplot.min.css"],
  };
  const body = html`<p>How much the bot trusts each author in each repository (0–100 %, starting at ${percent(p.initial ?? 0.5)}): accepted or confirmed findings and predictions raise it, rejected ones lower it more. The trust decides how far the bot goes on its own in their pull requests.</p>
${repoFilterForm(`${p.base}/dashboard/trust`, p.repos, p.selected, "trust-repo")}
<section aria-labelledby="breaker-title"><h2 id="breaker-title">Circuit breaker</h2>${breakerTable(p)}</section>
${p.lines === null ? html`<p class="notice error" role="alert">The trust records could not be read; try again in a moment.</p>` : linesSections(p, p.lines)}`;
  return layout(opts, body);
}

function breakerTable(p: TrustPageInput): Html {
  if (p.breakers === undefined) return html`<p class="muted">The breaker's state is not wired into this dashboard.</p>`;
  if (p.breakers === null) return html`<p class="notice error" role="alert">The breaker's state could not be read.</p>`;
  if (p.breakers.length === 0) return html`<p>No feedback in the last 30 days: the breaker is closed everywhere.</p>`;
  return html`<p class="muted">Several rejections within a day put a repository in cautious mode (no issues opened, fewer inline comments, questions instead of predictions) until enough acceptances or a quiet week.</p>
<table><caption>The trust circuit breaker per repository (from the last 30 days of feedback)</caption>
<thead><tr><th scope="col">Repository</th><th scope="col">State</th><th scope="col">Opened</th><th scope="col">Rejections in the last day</th><th scope="col">Acceptances to recover</th></tr></thead>
<tbody>${p.breakers.map(
    (b) =>
      html`<tr><th scope="row">${b.repo}</th><td><span class="circuit circuit-${b.state.open ? "open" : "closed"}">${b.state.open ? "Open (cautious mode)" : "Closed"}</span></td><td>${time(b.state.openedAt)}</td><td class="num">${b.state.recentRejections}</td><td class="num">${b.state.open ? b.state.acceptancesToRecover : "—"}</td></tr>`,
  )}</tbody></table>`;
}

function linesSections(p: TrustPageInput, lines: TrustLine[]): Html {
  if (lines.length === 0) return html`<h2>Authors</h2><p>No trust recorded yet in these repositories.</p>`;
  const withHistory = lines.some((l) => l.points.length > 0);
  const changes = lines
    .flatMap((l) => l.points.map((pt) => ({ ...pt, repo: l.repo, userId: l.userId })))
    .sort((a, b) => b.at - a.at)
    .slice(0, TRUST_CHANGES);
  const chart =
    withHistory && p.initial !== null
      ? chartFigure(
          "trust-chart",
          `Trust over time, replayed from the recorded feedback${lines.filter((l) => l.points.length > 0).length > TRUST_SERIES ? ` (the ${TRUST_SERIES} authors with the most feedback)` : ""}.`,
          "Trust over time per author as stepped lines; the changes are in the table below.",
          trustChart(lines, p.initial),
        )
      : "";
  return html`<section aria-labelledby="authors-title"><h2 id="authors-title">Authors</h2>
<table><caption>Trust per author and repository</caption>
<thead><tr><th scope="col">Author</th><th scope="col">Repository</th><th scope="col">Trust now</th><th scope="col">Accepted</th><th scope="col">Rejected</th><th scope="col">Last feedback</th></tr></thead>
<tbody>${lines.map(
    (l) =>
      html`<tr><th scope="row">${l.userId}</th><td>${l.repo}</td><td class="num">${percent(l.now ?? l.points[l.points.length - 1]?.trust)}</td><td class="num">${l.accepted}</td><td class="num">${l.rejected}</td><td>${time(l.points[l.points.length - 1]?.at)}</td></tr>`,
  )}</tbody></table></section>
<section aria-labelledby="history-title"><h2 id="history-title">Over time</h2>
${p.truncatedAt !== null ? html`<p class="notice">The history holds more feedback than the dashboard reads at once: it is drawn up to ${time(p.truncatedAt)}. Trust now is the stored value.</p>` : ""}
${chart}
${
  changes.length === 0
    ? html`<p>No feedback recorded yet.</p>`
    : html`<table><caption>The latest trust changes, newest first</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Author</th><th scope="col">Repository</th><th scope="col">Feedback</th><th scope="col">Trust after</th></tr></thead>
<tbody>${changes.map(
        (c) =>
          html`<tr><td>${time(c.at)}</td><th scope="row">${c.userId}</th><td>${c.repo}</td><td>${c.outcome === "accepted" ? "Accepted" : "Rejected"}</td><td class="num">${percent(c.trust)}</td></tr>`,
      )}</tbody></table>`
}</section>`;
}
