/**
 * /dashboard/events: the filters (a GET form: without JavaScript it filters the history; with
 * it, the live list follows the same filters), the live list fed by the stream, and the stored
 * history below, newest first, a page at a time.
 */
import { redactDeep } from "../analysis/secrets.js";
import type { AnyEventEnvelope } from "../events/catalog.js";
import { html, layout, type Html, type Viewer } from "./html.js";
import type { StoredEventPage } from "./history.js";
import type { StreamFilter } from "./eventStream.js";

const MAX_TYPES = 50;
const MAX_REPOS = 100;
/** Repositories offered in the filter's list (more: typed in). */
const MAX_REPO_OPTIONS = 500;
export const HISTORY_PAGE = 50;

export interface EventFilters {
  types: string[];
  repos: string[];
  /** History cursor. */
  before?: string;
}

/** The page's and stream's query: bounded, each value checked; repositories limited to `allowed`. */
export function parseFilters(query: URLSearchParams, allowed: ReadonlySet<string>): EventFilters {
  const types = [...new Set(query.getAll("type").filter((t) => /^[A-Za-z0-9_.:-]{1,64}$/.test(t)))].slice(0, MAX_TYPES);
  const repos = [
    ...new Set(
      query
        .getAll("repo")
        .map((r) => r.trim().toLowerCase())
        .filter((r) => r.length <= 200 && allowed.has(r)),
    ),
  ].slice(0, MAX_REPOS);
  const before = query.get("before") ?? undefined;
  return { types, repos, before: before && /^[A-Za-z0-9._:~-]{1,200}$/.test(before) ? before : undefined };
}

export function streamFilter(login: string, allowed: ReadonlySet<string>, admin: boolean, f: EventFilters): StreamFilter {
  return {
    login,
    allowed,
    unscoped: admin,
    types: f.types.length > 0 ? new Set(f.types) : null,
    // parseFilters kept only allowed repositories: this only narrows what `allowed` lets through.
    repos: f.repos.length > 0 ? new Set(f.repos) : null,
  };
}

export interface EventsPageInput {
  base: string;
  viewer: Viewer;
  eventTypes: string[];
  repos: string[];
  filters: EventFilters;
  /** undefined: no history reader wired; null: reading it failed. */
  history: StoredEventPage | null | undefined;
}

export function eventsPage(p: EventsPageInput): string {
  const a = (path: string) => `${p.base}/dashboard${path}`;
  const q = new URLSearchParams();
  for (const t of p.filters.types) q.append("type", t);
  for (const r of p.filters.repos) q.append("repo", r);
  const selectedType = p.filters.types[0] ?? "";
  const selectedRepo = p.filters.repos[0] ?? "";
  const repoControl =
    p.repos.length <= MAX_REPO_OPTIONS
      ? html`<select id="f-repo" name="repo"><option value="">All your repositories</option>${p.repos.map((r) => html`<option${r === selectedRepo ? html` selected` : ""}>${r}</option>`)}</select>`
      : html`<input id="f-repo" name="repo" value="${selectedRepo}" placeholder="owner/name" autocomplete="off">`;
  return layout(
    { title: "Live events", base: p.base, viewer: p.viewer, current: "events", scripts: ["dashboard.js"] },
    html`<form id="live-filters" class="filters" method="get" action="${a("/events")}" aria-label="Filter events">
  <label for="f-type">Event type
    <select id="f-type" name="type"><option value="">All types</option>${p.eventTypes.map((t) => html`<option${t === selectedType ? html` selected` : ""}>${t}</option>`)}</select>
  </label>
  <label for="f-repo">Repository ${repoControl}</label>
  <button type="submit">Apply filters</button>
</form>
<section id="live" aria-labelledby="live-title" data-stream="${a("/events/stream")}">
  <div class="live-bar">
    <h2 id="live-title">Live</h2>
    <button type="button" id="live-pause" aria-pressed="false" aria-controls="live-list" hidden>Pause</button>
    <p id="live-status" role="status">Live updates need JavaScript; the history below is as of this page's loading.</p>
  </div>
  <p id="live-empty">Events will appear here as they happen.</p>
  <ol id="live-list" class="events" aria-label="Live events, newest first"></ol>
</section>
<section aria-labelledby="history-title">
  <h2 id="history-title">History</h2>
  ${historyBody(p, a, q)}
</section>`,
  );
}

function historyBody(p: EventsPageInput, a: (path: string) => string, q: URLSearchParams): Html | string {
  if (p.history === undefined) return html`<p>The stored history is not available yet.</p>`;
  if (p.history === null) return html`<p class="notice error" role="alert">The stored events could not be read; try again in a moment.</p>`;
  const items = p.history.events.map(eventItem);
  const next = p.history.next ? new URLSearchParams(q) : undefined;
  next?.set("before", p.history.next!);
  return html`${items.length === 0 ? html`<p>No stored events match.</p>` : html`<ol class="events" aria-label="Stored events, newest first">${items}</ol>`}
  ${next ? html`<p><a href="${a(`/events?${next}`)}" rel="next">Older events</a></p>` : ""}`;
}

function eventItem(raw: AnyEventEnvelope): Html {
  const env = redactDeep(raw);
  const d = env.data as { repo?: unknown; pr_number?: unknown };
  const where = `${typeof d.repo === "string" ? d.repo : ""}${typeof d.pr_number === "number" ? ` #${d.pr_number}` : ""}`;
  return html`<li class="event"><time datetime="${env.timestamp}">${env.timestamp.replace("T", " ").slice(0, 19)}</time><span class="type">${env.event_type}</span><span class="repo">${where}</span>
<details><summary>Data</summary><pre>${JSON.stringify(env.data, null, 2).slice(0, 20_000)}</pre></details></li>`;
}
