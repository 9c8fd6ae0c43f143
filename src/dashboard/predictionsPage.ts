/**
 * /dashboard/predictions: every prediction shown on the viewer's pull requests with its
 * confidence, pull request, issue and outcome, newest first, a page at a time, filterable by
 * repository; accuracy per week (confirmed / (confirmed + rejected), by the week the outcome
 * was recorded); and the calibration: predicted confidence in tenths against the share of those
 * predictions that came true, with the diagonal of a perfectly calibrated predictor. Both charts
 * have their numbers in a table beside them.
 */
import { html, layout, type Html, type Viewer } from "./html.js";
import { chartFigure, day, issueUrl, percent, pullUrl, repoFilterForm, safeHref, time, type ChartSpec } from "./insightsCommon.js";
import type { PredictionRow, ResolvedPrediction } from "./insightsSource.js";

export const PREDICTIONS_PAGE = 50;
/** Resolved predictions read for accuracy and calibration (the newest outcomes). */
export const RESOLVED_SCAN = 5000;
/** Weeks of accuracy shown (the newest with an outcome). */
export const ACCURACY_WEEKS = 26;

export interface CalibrationBucket {
  /** 0..9: confidence in [b/10, (b+1)/10), the last one including 1. */
  bucket: number;
  count: number;
  confirmed: number;
  /** confirmed / count, null without predictions. */
  observed: number | null;
  /** The mean predicted confidence in the bucket. */
  meanConfidence: number | null;
}

export function calibration(resolved: ResolvedPrediction[]): CalibrationBucket[] {
  const buckets = Array.from({ length: 10 }, (_, bucket) => ({ bucket, count: 0, confirmed: 0, sum: 0 }));
  for (const r of resolved) {
    if (!(r.confidence >= 0 && r.confidence <= 1)) continue;
    const b = buckets[Math.min(9, Math.floor(r.confidence * 10 + 1e-9))];
    b.count++;
    b.sum += r.confidence;
    if (r.outcome === "confirmed") b.confirmed++;
  }
  return buckets.map((b) => ({
    bucket: b.bucket,
    count: b.count,
    confirmed: b.confirmed,
    observed: b.count === 0 ? null : b.confirmed / b.count,
    meanConfidence: b.count === 0 ? null : b.sum / b.count,
  }));
}

export interface AccuracyWeek {
  /** Monday 00:00 UTC of the week. */
  weekStart: number;
  confirmed: number;
  rejected: number;
  accuracy: number;
}

/** Monday 00:00 UTC of the week holding `ms`. */
export function weekStart(ms: number): number {
  const d = new Date(ms);
  const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
  return midnight - ((d.getUTCDay() + 6) % 7) * 24 * 3600_000;
}

/** Accuracy per week of the outcome, oldest first, the newest `weeks` weeks that have outcomes. */
export function accuracyByWeek(resolved: ResolvedPrediction[], weeks = ACCURACY_WEEKS): AccuracyWeek[] {
  const byWeek = new Map<number, { confirmed: number; rejected: number }>();
  for (const r of resolved) {
    const w = weekStart(r.at);
    const c = byWeek.get(w) ?? { confirmed: 0, rejected: 0 };
    if (r.outcome === "confirmed") c.confirmed++;
    else c.rejected++;
    byWeek.set(w, c);
  }
  return [...byWeek.entries()]
    .sort((a, b) => a[0] - b[0])
    .slice(-weeks)
    .map(([w, c]) => ({ weekStart: w, ...c, accuracy: c.confirmed / (c.confirmed + c.rejected) }));
}

const OUTCOME_LABEL = { confirmed: "Confirmed", rejected: "Rejected", open: "Open" } as const;

export interface PredictionsPageInput {
  base: string;
  viewer: Viewer;
  webUrl: string;
  repos: string[];
  selected: string | undefined;
  /** null: reading failed. */
  rows: PredictionRow[] | null;
  resolved: ResolvedPrediction[] | null;
  /** The next page's link (query string), or null. */
  next: string | null;
  first: boolean;
  patternHref?: (repo: string, kind: string) => string;
}

export function predictionsPage(p: PredictionsPageInput): string {
  const opts = {
    title: "Predictions",
    base: p.base,
    viewer: p.viewer,
    current: "predictions" as const,
    scripts: ["uplot.min.js", "insights.js"],
    styles: ["uplot.min.css"],
  };
  const action = `${p.base}/dashboard/predictions`;
  const body = html`<p>Every prediction a review showed on your repositories' pull requests, and what became of it. Outcomes come from the feedback the bot records: a prediction issue closed as <em>completed</em> is confirmed, closed as <em>not planned</em> is rejected; a prediction dismissed with <code>/empathy dismiss</code> is rejected, and one whose flagged line was changed by a later push counts as confirmed, as the engine counts it. Everything else is open.</p>
${repoFilterForm(action, p.repos, p.selected, "predictions-repo")}
${p.resolved === null ? html`<p class="notice error" role="alert">The outcomes could not be read; try again in a moment.</p>` : p.first ? figures(p.resolved) : ""}
<section aria-labelledby="list-title"><h2 id="list-title">Predictions</h2>
${listTable(p)}</section>`;
  return layout(opts, body);
}

function figures(resolved: ResolvedPrediction[]): Html {
  const weeks = accuracyByWeek(resolved);
  const buckets = calibration(resolved);
  const total = resolved.length;
  const confirmed = resolved.filter((r) => r.outcome === "confirmed").length;
  const note =
    total >= RESOLVED_SCAN
      ? html`<p class="muted">From the newest ${RESOLVED_SCAN} predictions with an outcome.</p>`
      : html`<p class="muted">${total} prediction${total === 1 ? "" : "s"} with an outcome: ${confirmed} confirmed, ${total - confirmed} rejected (${percent(total === 0 ? null : confirmed / total)} came true). Open predictions are not counted.</p>`;
  if (total === 0)
    return html`<section aria-labelledby="accuracy-title"><h2 id="accuracy-title">Accuracy and calibration</h2><p>No prediction has an outcome yet: accuracy and calibration appear once predictions are confirmed or rejected.</p></section>`;
  const accuracySpec: ChartSpec = {
    x: weeks.map((w) => w.weekStart),
    xKind: "time",
    xLabel: "Week",
    yLabel: "Came true",
    percent: true,
    series: [
      { label: "Accuracy", values: weeks.map((w) => w.accuracy), counts: weeks.map((w) => w.confirmed + w.rejected), style: "line" },
    ],
  };
  const mid = buckets.map((b) => (b.bucket + 0.5) / 10);
  const calibrationSpec: ChartSpec = {
    x: [0, ...mid, 1],
    xKind: "number",
    xLabel: "Predicted confidence",
    yLabel: "Came true",
    percent: true,
    xRange: [0, 1],
    series: [
      {
        label: "Observed",
        values: [null, ...buckets.map((b) => b.observed), null],
        counts: [null, ...buckets.map((b) => (b.count === 0 ? null : b.count)), null],
        style: "line",
      },
      { label: "Perfect calibration", values: [0, ...mid, 1], style: "dashed" },
    ],
  };
  return html`${note}
<section aria-labelledby="accuracy-title"><h2 id="accuracy-title">Accuracy over time</h2>
${chartFigure("accuracy-chart", "Share of predictions that came true, per week their outcome was recorded (UTC weeks from Monday), with the number of outcomes above each point.", "Accuracy per week as a line chart; the numbers are in the table below.", accuracySpec)}
<table><caption>Accuracy per week</caption>
<thead><tr><th scope="col">Week of</th><th scope="col">Confirmed</th><th scope="col">Rejected</th><th scope="col">Accuracy</th></tr></thead>
<tbody>${weeks.map(
    (w) =>
      html`<tr><th scope="row">${day(w.weekStart)}</th><td class="num">${w.confirmed}</td><td class="num">${w.rejected}</td><td class="num">${percent(w.accuracy)}</td></tr>`,
  )}</tbody></table></section>
<section aria-labelledby="calibration-title"><h2 id="calibration-title">Calibration</h2>
${chartFigure("calibration-chart", "Predicted confidence (in tenths) against the share of those predictions that came true, with the number of predictions above each point; the dashed diagonal is a perfectly calibrated predictor.", "Calibration chart: observed share against predicted confidence, with the diagonal; the numbers are in the table below.", calibrationSpec)}
<table><caption>Calibration by predicted confidence</caption>
<thead><tr><th scope="col">Predicted confidence</th><th scope="col">Predictions</th><th scope="col">Came true</th><th scope="col">Observed share</th><th scope="col">Mean predicted</th></tr></thead>
<tbody>${buckets.map(
    (b) =>
      html`<tr><th scope="row">${b.bucket * 10}–${b.bucket === 9 ? 100 : b.bucket * 10 + 10} %</th><td class="num">${b.count}</td><td class="num">${b.confirmed}</td><td class="num">${percent(b.observed)}</td><td class="num">${percent(b.meanConfidence)}</td></tr>`,
  )}</tbody></table></section>`;
}

function listTable(p: PredictionsPageInput): Html {
  if (p.rows === null) return html`<p class="notice error" role="alert">The predictions could not be read; try again in a moment.</p>`;
  if (p.rows.length === 0) return html`<p>${p.first ? "No prediction yet in these repositories." : "No older predictions."}</p>`;
  const row = (r: PredictionRow) => {
    const issue =
      r.issueNumber === null
        ? "—"
        : html`<a href="${safeHref(r.issueUrl) ?? issueUrl(p.webUrl, r.repo, r.issueNumber)}">#${r.issueNumber}</a>`;
    const pr =
      r.prNumber === null
        ? html`<span class="muted">not kept</span>`
        : html`<a href="${pullUrl(p.webUrl, r.repo, r.prNumber)}">#${r.prNumber}</a>`;
    const kind = r.kind ? (p.patternHref ? html`<a href="${p.patternHref(r.repo, r.kind)}">${r.kind}</a>` : r.kind) : "";
    return html`<tr><td>${time(r.at)}</td><td>${r.repo}</td><th scope="row">${r.title ?? html`<span class="muted">(no text kept)</span>`}${kind ? html`<br><span class="muted">${kind}</span>` : ""}</th>
<td class="num">${percent(r.confidence)}</td><td>${pr}</td><td>${issue}</td><td><span class="outcome-${r.outcome}">${OUTCOME_LABEL[r.outcome]}</span>${r.outcomeAt ? html`<br>${time(r.outcomeAt)}` : ""}</td></tr>`;
  };
  return html`<table><caption>Predictions, newest first (by when they were last shown)</caption>
<thead><tr><th scope="col">Shown</th><th scope="col">Repository</th><th scope="col">Prediction</th><th scope="col">Confidence</th><th scope="col">Pull request</th><th scope="col">Issue</th><th scope="col">Outcome</th></tr></thead>
<tbody>${p.rows.map(row)}</tbody></table>
${p.next ? html`<p><a href="${p.base}/dashboard/predictions?${p.next}" rel="next">Older predictions</a></p>` : ""}
${p.first ? "" : html`<p><a href="${p.base}/dashboard/predictions${p.selected ? `?repo=${encodeURIComponent(p.selected)}` : ""}">Newest predictions</a></p>`}`;
}
