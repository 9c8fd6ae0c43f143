/**
 * The dashboard's routes under /dashboard, as one Probot `addHandler` handler. Off (a page saying
 * what to set) without the OAuth credentials and public URL. Every page needs a session (else a
 * redirect to GitHub's sign-in); every POST needs a session, a CSRF token bound to it and no
 * foreign Origin (else 403); the operator-wide pages need an admin login (else 403). The insight
 * pages (predictions, patterns, trust, reviews: insightsRoutes.ts) read only the viewer's repositories.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { EventBus } from "../events/bus.js";
import type { Log } from "../logging/log.js";
import { serveAsset } from "./assets.js";
import { DashboardAuth, GitHubUnavailableError, SignInError, type CurrentSession } from "./auth.js";
import { deriveKeys, type DashboardKeys } from "./crypto.js";
import { EventStream, type StreamOptions } from "./eventStream.js";
import { eventsPage, HISTORY_PAGE, parseFilters, streamFilter } from "./eventsPage.js";
import { DashboardGitHub, type FetchFn } from "./github.js";
import type { EventHistory, StoredEventPage } from "./history.js";
import { readCookies, readForm, redirect, sendHtml, sendText } from "./http.js";
import type { Viewer } from "./html.js";
import { insightsGet } from "./insightsRoutes.js";
import type { InsightsSource } from "./insightsSource.js";
import { errorPage, forbiddenPage, homePage, offPage, signedOutPage } from "./pages.js";
import { checkCsrf, csrfToken, RECHECK_MS, safeReturnTo, SESSION_COOKIE } from "./session.js";
import { resolveSettings, type DashboardSettings } from "./settings.js";
import { webhooksGet, webhooksPost, type WebhooksContext } from "./webhooksRoutes.js";
import type { WebhooksSource } from "./webhooksSource.js";

export const DASHBOARD_PATH = "/dashboard";
const MAX_URL = 4096;

export interface DashboardDeps {
  settings: DashboardSettings;
  /** The app's bus: the live stream listens to every event. */
  bus: Pick<EventBus, "on" | "eventTypes">;
  /** The session secret kept in the store (generated once), used when settings.sessionSecret is absent. */
  secret: () => Promise<string>;
  /** Stored events for the history and for resumes older than the replay buffer; absent: no history yet. */
  history?: EventHistory;
  log: Log;
  /** GitHub calls (tests, proxies); default the global fetch. */
  fetch?: FetchFn;
  now?: () => number;
  /** The app's WebhookManager, for /dashboard/webhooks (figures, logs, replay, pause); absent: the page says it is not wired. */
  webhooks?: WebhooksSource;
  /** The store's reads and the engine's rules for /dashboard/predictions, patterns, trust and reviews; absent: those pages say they are not wired. */
  insights?: InsightsSource;
  /** Tuning of the live stream (tests). */
  stream?: Omit<StreamOptions, "history" | "log" | "now">;
}

export type DashboardHandler = ((req: IncomingMessage, res: ServerResponse) => Promise<boolean>) & {
  /** Ends the live streams and leaves the bus (shutdown). */
  close(): void;
  /** The live stream (undefined while the dashboard is off). */
  readonly stream: EventStream | undefined;
};

export function dashboardHandler(deps: DashboardDeps): DashboardHandler {
  const resolved = resolveSettings(deps.settings);
  const now = deps.now ?? Date.now;
  const publicBase = deps.settings.publicUrl ? safeBase(deps.settings.publicUrl) : "";
  if (!resolved.ok) {
    const off = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
      const path = dashboardPath(req);
      if (path === undefined) return false;
      if (req.method !== "GET" && req.method !== "HEAD") return sendText(req, res, 404, "The dashboard is off.\n");
      if (path.startsWith("/dashboard/assets/") && serveAsset(req, res, path.slice("/dashboard/assets/".length))) return true;
      return sendHtml(req, res, 503, offPage(publicBase, resolved.problems));
    };
    return Object.assign(off, { close: () => undefined, stream: undefined });
  }
  const s = resolved.settings;
  const base = s.basePath;
  let keys: Promise<DashboardKeys> | undefined;
  const getKeys = () => {
    if (!keys) {
      keys = (async () => deriveKeys(s.sessionSecret ?? (await deps.secret())))();
      keys.catch(() => (keys = undefined)); // a store that failed once is asked again next time
    }
    return keys;
  };
  const github = new DashboardGitHub(s, deps.fetch);
  const auth = new DashboardAuth(s, getKeys, github, deps.log, now);
  const stream = new EventStream(deps.bus, { ...deps.stream, history: deps.history, log: deps.log, now });
  stream.start();

  const webhooksContext = (viewer: Viewer, headers: Record<string, string | string[]>): WebhooksContext => ({
    base,
    viewer,
    source: deps.webhooks,
    log: deps.log,
    headers,
  });

  const viewerOf = async (c: CurrentSession): Promise<Viewer> => ({
    login: c.session.login,
    admin: c.admin,
    csrf: csrfToken(await getKeys(), c.session),
  });

  async function route(req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<boolean> {
    const method = req.method ?? "GET";
    if (path.startsWith("/dashboard/assets/")) {
      if (method !== "GET" && method !== "HEAD") return sendText(req, res, 405, "Method not allowed\n", { allow: "GET, HEAD" });
      return serveAsset(req, res, path.slice("/dashboard/assets/".length)) || sendText(req, res, 404, "Not found\n");
    }
    if (method === "POST") return post(req, res, path);
    if (method !== "GET" && method !== "HEAD") return sendText(req, res, 405, "Method not allowed\n", { allow: "GET, HEAD, POST" });
    if (path === "/dashboard/auth/callback") return callback(req, res, query);
    if (path === "/dashboard/signed-out") return sendHtml(req, res, 200, signedOutPage(base));

    const current = await auth.current(req);
    if (!current) {
      // A stream cannot follow a redirect to GitHub: the page reloads and signs in.
      if (path === "/dashboard/events/stream")
        return sendText(req, res, 401, "Sign in again.\n", { "set-cookie": auth.clearSessionCookie() });
      const presented = readCookies(req).has(SESSION_COOKIE) ? [auth.clearSessionCookie()] : [];
      const returnTo = safeReturnTo((req.url ?? "").slice(0, 600));
      return auth.beginSignIn(res, returnTo, presented);
    }
    const headers: Record<string, string | string[]> = current.setCookie ? { "set-cookie": current.setCookie } : {};
    const viewer = await viewerOf(current);
    const repos = [...current.repos].sort();
    switch (path) {
      case "/dashboard":
        return sendHtml(req, res, 200, homePage(base, viewer, repos, current.session.truncated), headers);
      case "/dashboard/events": {
        const filters = parseFilters(query, current.repos);
        let history: StoredEventPage | null | undefined;
        if (deps.history) {
          try {
            history = await deps.history.listEvents({
              repos: filters.repos.length > 0 ? filters.repos : repos,
              includeUnscoped: current.admin && filters.repos.length === 0,
              types: filters.types.length > 0 ? filters.types : undefined,
              before: filters.before,
              limit: HISTORY_PAGE,
            });
          } catch (err) {
            deps.log.warn({ err }, "dashboard: reading stored events failed");
            history = null;
          }
        }
        return sendHtml(req, res, 200, eventsPage({ base, viewer, eventTypes: deps.bus.eventTypes, repos, filters, history }), headers);
      }
      case "/dashboard/events/stream": {
        if (req.method === "HEAD") return sendText(req, res, 200, "", { ...headers, "content-type": "text/event-stream; charset=utf-8" });
        const filter = streamFilter(current.session.login, current.repos, current.admin, parseFilters(query, current.repos));
        // Ends when the repository list is due for a re-check: the browser reconnects (resuming by id) and is checked again.
        const endsAt = Math.max(current.session.checkedAt + RECHECK_MS, now() + 30_000);
        if (current.setCookie) res.setHeader("set-cookie", current.setCookie);
        if (await stream.connect(req, res, filter, endsAt)) return true;
        res.removeHeader("set-cookie");
        return sendText(req, res, 503, "Too many live streams; try again later.\n", { "retry-after": "30", ...headers });
      }
      default:
        if (path === "/dashboard/webhooks" || path.startsWith("/dashboard/webhooks/")) {
          if (!current.admin) return sendHtml(req, res, 403, forbiddenPage(base, viewer), headers);
          if (await webhooksGet(req, res, path, query, webhooksContext(viewer, headers))) return true;
        }
        if (
          await insightsGet(req, res, path, query, {
            base,
            viewer,
            repos: current.repos,
            webUrl: s.webUrl,
            source: deps.insights,
            log: deps.log,
            headers,
            now,
          })
        )
          return true;
        return sendHtml(req, res, 404, errorPage(base, "Not found", "There is no dashboard page here.", viewer), headers);
    }
  }

  async function callback(req: IncomingMessage, res: ServerResponse, query: URLSearchParams): Promise<boolean> {
    try {
      const done = await auth.finishSignIn(req, query);
      return redirect(res, done.location, { "set-cookie": done.cookies });
    } catch (err) {
      if (err instanceof SignInError) {
        deps.log.info({ reason: err.message }, "dashboard: sign-in refused");
        return sendHtml(req, res, err.status, errorPage(base, "Sign-in failed", err.message));
      }
      deps.log.warn({ err: err instanceof Error ? err.message : String(err) }, "dashboard: sign-in with GitHub failed");
      return sendHtml(req, res, 502, errorPage(base, "Sign-in failed", "GitHub did not complete the sign-in; please try again."));
    }
  }

  async function post(req: IncomingMessage, res: ServerResponse, path: string): Promise<boolean> {
    const refuse = (why: string) => {
      deps.log.info({ path, reason: why }, "dashboard: POST refused");
      req.resume();
      return sendHtml(
        req,
        res,
        403,
        errorPage(
          base,
          "Refused",
          "This request could not be checked (its form expired, or it did not come from the dashboard). Reload the page and try again.",
        ),
      );
    };
    const origin = req.headers.origin;
    if (origin !== undefined && origin !== s.publicOrigin) return refuse("foreign origin");
    if (req.headers["sec-fetch-site"] === "cross-site") return refuse("cross-site");
    const form = await readForm(req);
    if (!form) return refuse("no form");
    const current = await auth.current(req);
    if (path === "/dashboard/auth/logout" && !current) {
      // Nothing to protect: the session is gone already. Clearing the cookie is all there is to do.
      return redirect(res, `${base}/dashboard/signed-out`, { "set-cookie": auth.clearSessionCookie() });
    }
    if (!current) return refuse("no session");
    const token = form.get("_csrf") ?? (typeof req.headers["x-csrf-token"] === "string" ? req.headers["x-csrf-token"] : undefined);
    if (!checkCsrf(await getKeys(), current.session, token)) return refuse("bad or missing CSRF token");
    if (path === "/dashboard/auth/logout") {
      deps.log.info({ login: current.session.login }, "dashboard: signed out");
      // Not awaited: signing out never waits for GitHub; a failure only leaves the token to expire.
      github
        .revoke(current.session.token)
        .catch((err: unknown) =>
          deps.log.warn(
            { login: current.session.login, err: err instanceof Error ? err.message : String(err) },
            "dashboard: revoking the token at sign-out failed",
          ),
        );
      return redirect(res, `${base}/dashboard/signed-out`, { "set-cookie": auth.clearSessionCookie() });
    }
    const viewer = await viewerOf(current);
    if (path.startsWith("/dashboard/webhooks/")) {
      if (!current.admin) {
        deps.log.info({ login: current.session.login, path }, "dashboard: webhook action refused: not an administrator");
        return sendHtml(req, res, 403, forbiddenPage(base, viewer));
      }
      const headers: Record<string, string | string[]> = current.setCookie ? { "set-cookie": current.setCookie } : {};
      if (await webhooksPost(res, path, form, webhooksContext(viewer, headers))) return true;
    }
    return sendHtml(req, res, 404, errorPage(base, "Not found", "There is no dashboard action here.", viewer));
  }

  const handler = async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = dashboardPath(req);
    if (path === undefined) return false;
    if ((req.url ?? "").length > MAX_URL) return sendText(req, res, 414, "URI too long\n");
    const query = new URLSearchParams((req.url ?? "").split("?")[1]?.split("#")[0] ?? "");
    try {
      return await route(req, res, path, query);
    } catch (err) {
      if (res.headersSent) {
        res.destroy();
        return true;
      }
      if (err instanceof GitHubUnavailableError)
        return sendHtml(req, res, 503, errorPage(base, "GitHub did not answer", err.message), { "retry-after": "30" });
      deps.log.error({ err }, "dashboard: request failed");
      return sendHtml(req, res, 500, errorPage(base, "Something went wrong", "The dashboard could not answer this request."));
    }
  };
  return Object.assign(handler, { close: () => stream.stop(), stream });
}

/** The request's path when it is the dashboard's ("/dashboard" or under "/dashboard/"), else undefined. */
function dashboardPath(req: IncomingMessage): string | undefined {
  const path = (req.url ?? "").split("?")[0].split("#")[0];
  if (path !== DASHBOARD_PATH && !path.startsWith(`${DASHBOARD_PATH}/`)) return undefined;
  return path.replace(/\/+$/, "") || DASHBOARD_PATH;
}

/** The public URL's path prefix for the off page's links (its other checks failed, maybe). */
function safeBase(publicUrl: string): string {
  try {
    return new URL(publicUrl).pathname.replace(/\/+$/, "");
  } catch {
    return "";
  }
}
