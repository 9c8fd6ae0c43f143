/**
 * What the insight pages share: times, percentages, links to GitHub, the repository filter, and
 * the chart figure: a uPlot chart drawn by /dashboard/assets/insights.js from a JSON data block
 * (not executed: the CSP allows no inline script), always next to a table of the same numbers
 * for people without JavaScript or a screen.
 */
import { html, Html } from "./html.js";

export function time(ms: number | null | undefined): Html | string {
  if (ms === null || ms === undefined || !Number.isFinite(ms)) return "—";
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.replace("T", " ").slice(0, 16)}Z</time>`;
}

export function day(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** 0..1 as "82.0 %"; null as "—". */
export function percent(x: number | null | undefined): string {
  return x === null || x === undefined || !Number.isFinite(x) ? "—" : `${(Math.round(x * 1000) / 10).toFixed(1)} %`;
}

/** "owner/name" as stored: each part of a GitHub address, encoded. */
function repoPath(repo: string): string {
  return repo.split("/").map(encodeURIComponent).join("/");
}

export const pullUrl = (webUrl: string, repo: string, n: number) => `${webUrl}/${repoPath(repo)}/pull/${n}`;
export const issueUrl = (webUrl: string, repo: string, n: number) => `${webUrl}/${repoPath(repo)}/issues/${n}`;

/** A stored web address, only when it is http(s) (never a javascript: link). */
export function safeHref(url: string | null | undefined): string | null {
  if (!url || url.length > 2000) return null;
  try {
    const u = new URL(url);
    return u.protocol === "https:" || u.protocol === "http:" ? u.toString() : null;
  } catch {
    return null;
  }
}

/** The repository filter's value: one of the viewer's repositories (lower case), else none. */
export function repoFilter(query: URLSearchParams, allowed: ReadonlySet<string>): string | undefined {
  const r = (query.get("repo") ?? "").trim().toLowerCase();
  return r !== "" && r.length <= 200 && allowed.has(r) ? r : undefined;
}

/** Repositories offered in the filter's list. */
const MAX_REPO_OPTIONS = 500;

export function repoFilterForm(action: string, repos: string[], selected: string | undefined, id: string): Html {
  return html`<form class="filters" method="get" action="${action}">
  <label for="${id}">Repository <select id="${id}" name="repo">
    <option value="">All your repositories</option>
    ${repos.slice(0, MAX_REPO_OPTIONS).map((r) => html`<option value="${r}"${r === selected ? new Html(" selected") : ""}>${r}</option>`)}
  </select></label>
  <button type="submit">Show</button>
</form>`;
}

export interface ChartSeries {
  label: string;
  values: (number | null)[];
  /** line (default), points only, or a dashed reference line. */
  style?: "line" | "points" | "dashed" | "step";
  /** How many items each value stands for: written above its point ("n=4"). */
  counts?: (number | null)[];
}

export interface ChartSpec {
  /** x values: ms since the epoch ("time") or plain numbers. */
  x: number[];
  xKind: "time" | "number";
  xLabel: string;
  yLabel: string;
  /** Values are 0..1 fractions, shown as percentages. */
  percent: boolean;
  xRange?: [number, number];
  series: ChartSeries[];
}

/** JSON inside a <script type="application/json">: "<" escaped, so no "</script>" can end it. */
function jsonBlock(value: unknown): Html {
  return new Html(
    JSON.stringify(value)
      .replace(/</g, "\\u003c")
      .replace(/\u2028/g, "\\u2028")
      .replace(/\u2029/g, "\\u2029"),
  );
}

/**
 * A chart figure: the canvas drawn by insights.js (role img, with a label saying where the
 * numbers are), its caption, and the data block.
 */
export function chartFigure(id: string, caption: string, alt: string, spec: ChartSpec): Html {
  return html`<figure class="chart">
  <div class="chart-canvas" id="${id}" data-chart="${id}-data" role="img" aria-label="${alt}"><p class="muted no-js">The chart needs JavaScript; the same numbers are in the table below.</p></div>
  <figcaption>${caption}</figcaption>
</figure>
<script type="application/json" id="${id}-data">${jsonBlock(spec)}</script>`;
}
