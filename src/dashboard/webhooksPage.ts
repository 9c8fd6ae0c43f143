/**
 * /dashboard/webhooks (administrators): the registrations and integrations with their figures
 * over a window, and per registration its delivery log (every attempt), its dead letters with
 * "Replay" (one, or all since a time) and "Pause"/"Resume" of its endpoint. Every action is a
 * POST form carrying the session's CSRF token. Endpoints are shown by origin only.
 */
import { html, layout, type Html, type Viewer } from "./html.js";
import type {
  AttemptRow,
  CircuitState,
  DeadLetterRow,
  Figures,
  Overview,
  RegistrationFigures,
  RegistrationLogPage,
} from "./webhooksSource.js";

export const WINDOWS: Record<string, number> = { "15m": 15 * 60_000, "1h": 60 * 60_000, "24h": 24 * 60 * 60_000 };
const WINDOW_LABELS: Record<string, string> = { "15m": "Last 15 minutes", "1h": "Last hour", "24h": "Last 24 hours" };

/** What the redirect after an action says (a fixed text per code: nothing from the request is echoed). */
export const NOTICES: Record<string, { text: string; error?: boolean }> = {
  replayed: { text: "The dead letter was queued again; it is sent shortly." },
  "replayed-all": { text: "The dead letters were queued again; they are sent shortly." },
  "replay-none": { text: "No dead letter matched: nothing was replayed." },
  "replay-failed": {
    text: "That delivery could not be replayed (it is no longer a dead letter, or its registration is disabled).",
    error: true,
  },
  "bad-time": { text: "That time could not be read; give a date and time (UTC).", error: true },
  paused: { text: "The endpoint is paused: its deliveries wait in the outbox until it is resumed." },
  resumed: { text: "The endpoint is resumed: its waiting deliveries are being sent." },
  "not-registered": { text: "That registration is not registered on this instance.", error: true },
};

const action = (base: string, name: string) => `${base}/dashboard/webhooks/${name}`;
export const registrationHref = (base: string, id: string, extra = "") =>
  `${base}/dashboard/webhooks/registration?id=${encodeURIComponent(id)}${extra}`;

function time(ms: number | null | undefined): Html | string {
  if (ms === null || ms === undefined) return "—";
  const iso = new Date(ms).toISOString();
  return html`<time datetime="${iso}">${iso.replace("T", " ").slice(0, 19)}Z</time>`;
}

const duration = (ms: number | null) => (ms === null ? "—" : `${Math.round(ms)} ms`);
const rate = (r: number | null) => (r === null ? "—" : `${(Math.floor(r * 1000) / 10).toFixed(1)} %`);
const perMinute = (n: number) => (n === 0 ? "0" : n < 0.1 ? "< 0.1" : n.toFixed(1));

/** A datetime-local value (UTC, to the minute). */
export function timeInputValue(ms: number): string {
  return new Date(ms).toISOString().slice(0, 16);
}

function circuitCell(c: RegistrationFigures["circuit"] | { state: CircuitState }): Html {
  const label: Record<CircuitState, string> = { closed: "Closed", open: "Open", probing: "Probing", paused: "Paused" };
  const detail =
    "pausedBy" in c && c.state === "paused"
      ? html` <span class="muted">by ${c.pausedBy}</span>`
      : "consecutiveFailures" in c && c.consecutiveFailures > 0
        ? html` <span class="muted">(${c.consecutiveFailures} failures)</span>`
        : "";
  return html`<span class="circuit circuit-${c.state}">${label[c.state]}</span>${detail}`;
}

function lastError(f: Figures): Html | string {
  if (!f.lastError) return "—";
  const code = f.lastError.statusCode;
  const status = code === null || f.lastError.error.includes(String(code)) ? "" : `HTTP ${code}: `;
  return html`<span class="error-text">${status}${f.lastError.error.slice(0, 200)}</span><br>${time(f.lastError.at)}`;
}

const figureHeaders = html`<th scope="col">Deliveries/min</th><th scope="col">Success rate</th><th scope="col">p50</th><th scope="col">p95</th>`;
const figureCells = (f: Figures) =>
  html`<td class="num">${perMinute(f.deliveriesPerMinute)}</td><td class="num">${rate(f.successRate)}</td><td class="num">${duration(f.p50Ms)}</td><td class="num">${duration(f.p95Ms)}</td>`;

function csrf(viewer: Viewer): Html {
  return html`<input type="hidden" name="_csrf" value="${viewer.csrf}">`;
}

function noticeBlock(code: string | undefined, count?: number): Html | string {
  const n = code ? NOTICES[code] : undefined;
  if (!n) return "";
  const extra = code === "replayed-all" && count !== undefined ? ` (${count})` : "";
  return html`<p class="notice${n.error ? " error" : ""}" role="${n.error ? "alert" : "status"}">${n.text}${extra}</p>`;
}

function replaySinceForm(base: string, viewer: Viewer, at: number, registrationId?: string): Html {
  return html`<form class="inline-form" method="post" action="${action(base, "replay-since")}">
  ${csrf(viewer)}${registrationId ? html`<input type="hidden" name="registration" value="${registrationId}">` : ""}
  <label for="replay-since">Dead letters since (UTC)</label>
  <input id="replay-since" name="since" type="datetime-local" required value="${timeInputValue(at - 3600_000)}">
  <button type="submit">Replay all since</button>
</form>`;
}

export interface OverviewPageInput {
  base: string;
  viewer: Viewer;
  windowKey: string;
  /** undefined: not wired; null: reading failed. */
  overview: Overview | null | undefined;
  notice?: string;
  count?: number;
}

export function webhooksOverviewPage(p: OverviewPageInput): string {
  const opts = { title: "Webhooks and integrations", base: p.base, viewer: p.viewer, current: "webhooks" as const };
  if (p.overview === undefined) return layout(opts, html`<p class="notice">Outgoing webhooks are not wired into this dashboard.</p>`);
  if (p.overview === null)
    return layout(opts, html`<p class="notice error" role="alert">The delivery figures could not be read; try again in a moment.</p>`);
  const o = p.overview;
  const windowForm = html`<form class="filters" method="get" action="${p.base}/dashboard/webhooks">
  <label for="w-window">Window <select id="w-window" name="window">${Object.keys(WINDOWS).map(
    (k) => html`<option value="${k}"${k === p.windowKey ? html` selected` : ""}>${WINDOW_LABELS[k]}</option>`,
  )}</select></label>
  <button type="submit">Show</button>
</form>`;
  const integrations =
    o.integrations.length === 0
      ? html`<p>No integration delivers through the outbox.</p>`
      : html`<table><caption>Integrations, ${WINDOW_LABELS[p.windowKey].toLowerCase()}</caption>
<thead><tr><th scope="col">Integration</th><th scope="col">Endpoint</th>${figureHeaders}<th scope="col">Circuit</th><th scope="col">Waiting</th><th scope="col">Dead letters</th><th scope="col">Last error</th></tr></thead>
<tbody>${o.integrations.map(
          (
            i,
          ) => html`<tr><th scope="row">${i.name} <span class="muted">(${i.registrationIds.length} registration${i.registrationIds.length === 1 ? "" : "s"})</span></th>
<td>${i.origins.join(", ")}</td>${figureCells(i.figures)}<td>${circuitCell({ state: i.circuit })}</td><td class="num">${i.figures.pending + i.figures.inFlight}</td><td class="num">${i.figures.dead}</td><td>${lastError(i.figures)}</td></tr>`,
        )}</tbody></table>`;
  const registrations =
    o.registrations.length === 0
      ? html`<p>No webhook is registered.</p>`
      : html`<table><caption>Registrations, ${WINDOW_LABELS[p.windowKey].toLowerCase()}</caption>
<thead><tr><th scope="col">Registration</th><th scope="col">Event type</th><th scope="col">Endpoint</th>${figureHeaders}<th scope="col">Circuit</th><th scope="col">Waiting</th><th scope="col">Dead letters</th><th scope="col">Last error</th></tr></thead>
<tbody>${o.registrations.map(
          (
            r,
          ) => html`<tr><th scope="row"><a href="${registrationHref(p.base, r.id)}">${r.id}</a>${r.disabled ? html` <span class="badge">disabled</span>` : ""}</th>
<td>${r.eventType}</td><td>${r.origin}</td>${figureCells(r.figures)}<td>${circuitCell(r.circuit)}</td><td class="num">${r.figures.pending + r.figures.inFlight}</td><td class="num">${r.figures.dead}</td><td>${lastError(r.figures)}</td></tr>`,
        )}</tbody></table>`;
  return layout(
    opts,
    html`${noticeBlock(p.notice, p.count)}${windowForm}
<p class="muted">Figures from the store, as of ${time(o.at)}: deliveries attempted per minute, the share of attempts that succeeded, and the attempts' latency${o.sampled ? " (latency from the newest attempts only)" : ""}. Waiting: deliveries in the outbox.</p>
<section aria-labelledby="integrations-title"><h2 id="integrations-title">Integrations</h2>${integrations}</section>
<section aria-labelledby="registrations-title"><h2 id="registrations-title">Registrations</h2>${registrations}</section>
<section aria-labelledby="replay-title"><h2 id="replay-title">Replay dead letters</h2>
<p>Queues again every dead letter of the enabled registrations that died at or after the time given.</p>
${replaySinceForm(p.base, p.viewer, o.at)}</section>`,
  );
}

export interface RegistrationPageInput {
  base: string;
  viewer: Viewer;
  registration: RegistrationFigures;
  log: RegistrationLogPage;
  at: number;
  notice?: string;
  count?: number;
}

export function webhookRegistrationPage(p: RegistrationPageInput): string {
  const r = p.registration;
  const f = r.figures;
  const paused = r.circuit.state === "paused";
  const others = r.sameEndpoint.filter((id) => id !== r.id);
  const pauseForm = html`<form class="inline-form" method="post" action="${action(p.base, paused ? "resume" : "pause")}">
  ${csrf(p.viewer)}<input type="hidden" name="registration" value="${r.id}">
  <button type="submit">${paused ? "Resume" : "Pause"}</button>
  <span class="muted">${paused ? "Sends the deliveries waiting for this endpoint." : "Stops sending to this endpoint; its deliveries wait in the outbox."}${others.length > 0 ? ` Applies to every registration sending to the same URL (${others.length} more).` : ""}</span>
</form>`;
  const body = html`${noticeBlock(p.notice, p.count)}
<p><a href="${p.base}/dashboard/webhooks">All webhooks and integrations</a></p>
<dl class="facts">
<dt>Event type</dt><dd>${r.eventType}</dd>
<dt>Endpoint</dt><dd>${r.origin}</dd>
${r.integration ? html`<dt>Integration</dt><dd>${r.integration}</dd>` : ""}
<dt>Circuit</dt><dd>${circuitCell(r.circuit)}${paused ? html` since ${time(r.circuit.pausedAt)}` : ""}</dd>
${r.disabled ? html`<dt>Disabled</dt><dd>${r.disabledReason ?? "yes"}</dd>` : ""}
<dt>Last hour</dt><dd>${perMinute(f.deliveriesPerMinute)} deliveries/min, ${rate(f.successRate)} success, p50 ${duration(f.p50Ms)}, p95 ${duration(f.p95Ms)}</dd>
<dt>Waiting</dt><dd>${f.pending} pending, ${f.inFlight} being sent</dd>
<dt>Last error</dt><dd>${lastError(f)}</dd>
</dl>
${pauseForm}
<section aria-labelledby="dead-title"><h2 id="dead-title">Dead letters (${f.dead})</h2>
${replaySinceForm(p.base, p.viewer, p.at, r.id)}
${deadTable(p)}</section>
<section aria-labelledby="log-title"><h2 id="log-title">Delivery log</h2>${attemptsTable(p)}</section>`;
  return layout({ title: `Webhook ${r.id}`, base: p.base, viewer: p.viewer, current: "webhooks" }, body);
}

function deadTable(p: RegistrationPageInput): Html {
  const { deadLetters, nextDead } = p.log;
  if (deadLetters.length === 0) return html`<p>No dead letters.</p>`;
  const row = (
    d: DeadLetterRow,
  ) => html`<tr><th scope="row"><code>${d.id}</code></th><td>${d.eventType}</td><td class="num">${d.totalAttempts}</td>
<td>${d.lastStatusCode ?? "—"}</td><td class="error-text">${(d.lastError ?? "").slice(0, 300)}</td><td>${time(d.finishedAt)}</td>
<td><form method="post" action="${action(p.base, "replay")}">${csrf(p.viewer)}<input type="hidden" name="registration" value="${p.registration.id}"><input type="hidden" name="delivery" value="${d.id}"><button type="submit">Replay<span class="sr-only"> ${d.id}</span></button></form></td></tr>`;
  const next = nextDead
    ? registrationHref(p.base, p.registration.id, `&dead_before=${nextDead.finishedAt}.${encodeURIComponent(nextDead.id)}`)
    : null;
  return html`<table><caption>Dead letters, newest first</caption>
<thead><tr><th scope="col">Delivery</th><th scope="col">Event type</th><th scope="col">Attempts</th><th scope="col">Last status</th><th scope="col">Last error</th><th scope="col">Died</th><th scope="col">Action</th></tr></thead>
<tbody>${deadLetters.map(row)}</tbody></table>
${next ? html`<p><a href="${next}" rel="next">Older dead letters</a></p>` : ""}`;
}

function attemptsTable(p: RegistrationPageInput): Html {
  const { attempts, nextAttempts } = p.log;
  if (attempts.length === 0) return html`<p>No attempts yet.</p>`;
  const row = (
    a: AttemptRow,
  ) => html`<tr><td>${time(a.attemptedAt)}</td><th scope="row"><code>${a.deliveryId}</code></th><td>${a.eventType}</td><td class="num">${a.attempt}</td>
<td><span class="outcome outcome-${a.status}">${a.status}</span></td><td>${a.statusCode ?? "—"}</td><td class="num">${duration(a.durationMs)}</td><td>${time(a.nextAttemptAt)}</td>
<td>${a.error ? html`<span class="error-text">${a.error.slice(0, 300)}</span>` : ""}${a.responseExcerpt ? html`<details><summary>Response</summary><pre>${a.responseExcerpt.slice(0, 4096)}</pre></details>` : ""}</td></tr>`;
  const next = nextAttempts !== null ? registrationHref(p.base, p.registration.id, `&attempts_before=${nextAttempts}`) : null;
  return html`<table><caption>Every attempt, newest first</caption>
<thead><tr><th scope="col">Time</th><th scope="col">Delivery</th><th scope="col">Event type</th><th scope="col">Attempt</th><th scope="col">Outcome</th><th scope="col">HTTP status</th><th scope="col">Duration</th><th scope="col">Next attempt</th><th scope="col">Error or response</th></tr></thead>
<tbody>${attempts.map(row)}</tbody></table>
${next ? html`<p><a href="${next}" rel="next">Older attempts</a></p>` : ""}`;
}
