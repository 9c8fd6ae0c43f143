/**
 * The webhooks page's routes (administrators only; the handler checks the session, the admin
 * login and, for a POST, the CSRF token before calling these). Each action writes one audit
 * line (who, what, which registration or delivery: never a payload, a URL or a query), then
 * redirects back to the page it came from (POST-redirect-GET) with a fixed notice code.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Log } from "../logging/log.js";
import type { Viewer } from "./html.js";
import { redirect, sendHtml } from "./http.js";
import { errorPage } from "./pages.js";
import { registrationHref, webhookRegistrationPage, webhooksOverviewPage, WINDOWS } from "./webhooksPage.js";
import type { WebhooksSource } from "./webhooksSource.js";

export const WEBHOOK_ACTIONS = ["replay", "replay-since", "pause", "resume"] as const;

export interface WebhooksContext {
  base: string;
  viewer: Viewer;
  source: WebhooksSource | undefined;
  log: Log;
  headers: Record<string, string | string[]>;
}

/** A registration id as the forms send it back: bounded, printable. */
const registrationId = (v: string | null | undefined) => (v && v.length <= 300 && /^[\x21-\x7e]+$/.test(v) ? v : undefined);
const deliveryId = (v: string | null | undefined) => (v && /^[A-Za-z0-9_.:-]{1,200}$/.test(v) ? v : undefined);
const noticeOf = (query: URLSearchParams) => {
  const n = query.get("notice");
  return n && /^[a-z-]{1,30}$/.test(n) ? n : undefined;
};
const countOf = (query: URLSearchParams) => {
  const n = Number(query.get("n"));
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
};

/** GET /dashboard/webhooks and /dashboard/webhooks/registration; false for another path. */
export async function webhooksGet(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams, c: WebhooksContext) {
  if (path === "/dashboard/webhooks") {
    const windowKey = WINDOWS[query.get("window") ?? ""] ? query.get("window")! : "1h";
    const overview = c.source ? await c.source.overview(WINDOWS[windowKey]).catch((err: unknown) => failed(c, err)) : undefined;
    return sendHtml(
      req,
      res,
      200,
      webhooksOverviewPage({ base: c.base, viewer: c.viewer, windowKey, overview, notice: noticeOf(query), count: countOf(query) }),
      c.headers,
    );
  }
  if (path !== "/dashboard/webhooks/registration") return false;
  const id = registrationId(query.get("id"));
  const overview = id && c.source ? await c.source.overview().catch((err: unknown) => failed(c, err)) : undefined;
  const registration = overview?.registrations.find((r) => r.id === id);
  if (overview === null)
    return sendHtml(req, res, 503, errorPage(c.base, "Not available", "The delivery figures could not be read.", c.viewer), c.headers);
  if (!id || !registration || !c.source)
    return sendHtml(req, res, 404, errorPage(c.base, "Not found", "There is no such webhook registration.", c.viewer), c.headers);
  const attemptsBefore = Number(query.get("attempts_before"));
  const dead = /^(\d{1,16})\.([A-Za-z0-9_.:-]{1,200})$/.exec(query.get("dead_before") ?? "");
  const log = await c.source.registrationLog(registration.id, {
    attemptsBefore: Number.isSafeInteger(attemptsBefore) && attemptsBefore > 0 ? attemptsBefore : undefined,
    deadBefore: dead ? { finishedAt: Number(dead[1]), id: dead[2] } : undefined,
  });
  const page = webhookRegistrationPage({
    base: c.base,
    viewer: c.viewer,
    registration,
    log,
    at: overview!.at,
    notice: noticeOf(query),
    count: countOf(query),
  });
  return sendHtml(req, res, 200, page, c.headers);
}

function failed(c: WebhooksContext, err: unknown): null {
  c.log.warn({ err: err instanceof Error ? err.message : String(err) }, "dashboard: reading webhook deliveries failed");
  return null;
}

/** POST /dashboard/webhooks/<action>; false for another path. */
export async function webhooksPost(res: ServerResponse, path: string, form: URLSearchParams, c: WebhooksContext): Promise<boolean> {
  const name = path.slice("/dashboard/webhooks/".length);
  if (!path.startsWith("/dashboard/webhooks/") || !(WEBHOOK_ACTIONS as readonly string[]).includes(name) || !c.source) return false;
  const source = c.source;
  const login = c.viewer.login;
  const registration = registrationId(form.get("registration"));
  const back = (notice: string, extra = "") =>
    redirect(
      res,
      registration
        ? registrationHref(c.base, registration, `&notice=${notice}${extra}`)
        : `${c.base}/dashboard/webhooks?notice=${notice}${extra}`,
      c.headers,
    );
  const audit = (action: string, outcome: string, fields: Record<string, unknown> = {}) =>
    c.log.info(
      { audit: "dashboard", login, action, registration_id: registration ?? null, ...fields, outcome },
      `dashboard: ${login} ${action} (${outcome})`,
    );

  if (name === "replay") {
    const delivery = deliveryId(form.get("delivery"));
    if (!delivery) return back("replay-failed");
    try {
      await source.replayDeadLetter(delivery);
    } catch (err) {
      audit("webhook.replay", "refused", { delivery_id: delivery, reason: err instanceof Error ? err.message : String(err) });
      return back("replay-failed");
    }
    audit("webhook.replay", "done", { delivery_id: delivery });
    return back("replayed");
  }
  if (name === "replay-since") {
    const since = parseUtcTime(form.get("since"));
    if (since === undefined) return back("bad-time");
    const ids = await source.replayDeadLetters({ since, registrationIds: registration ? [registration] : undefined });
    audit("webhook.replay_since", "done", { since: new Date(since).toISOString(), replayed: ids.length });
    return ids.length === 0 ? back("replay-none") : back("replayed-all", `&n=${ids.length}`);
  }
  // pause / resume
  if (!registration) return back("not-registered");
  try {
    const ids = await (name === "pause" ? source.pause(registration, login) : source.resume(registration, login));
    audit(`webhook.${name}`, "done", { registrations: ids });
  } catch (err) {
    audit(`webhook.${name}`, "refused", { reason: err instanceof Error ? err.message : String(err) });
    return back("not-registered");
  }
  return back(name === "pause" ? "paused" : "resumed");
}

/** A datetime-local value read as UTC ("2026-12-05T06:00" or with seconds); undefined when it is not one. */
export function parseUtcTime(value: string | null): number | undefined {
  if (!value || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?$/.test(value)) return undefined;
  const ms = Date.parse(`${value}Z`);
  return Number.isFinite(ms) ? ms : undefined;
}
