/**
 * The insight pages' routes (the handler checked the session first): /dashboard/predictions,
 * /dashboard/patterns/:id, /dashboard/trust, /dashboard/reviews. Every read covers the viewer's
 * repositories only (the session's list, re-checked with GitHub), narrowed by the repository
 * filter; query values are checked and bounded; a failed read shows a notice, never the error.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Log } from "../logging/log.js";
import type { Viewer } from "./html.js";
import { sendHtml } from "./http.js";
import { repoFilter } from "./insightsCommon.js";
import type { FeedbackRow, InsightsSource } from "./insightsSource.js";
import { errorPage } from "./pages.js";
import { patternPage } from "./patternsPage.js";
import { PREDICTIONS_PAGE, predictionsPage, RESOLVED_SCAN } from "./predictionsPage.js";
import { REVIEWS_PAGE, reviewsPage } from "./reviewsPage.js";
import { TRUST_ROWS, TRUST_SCAN, trustLines, trustPage } from "./trustPage.js";

export const INSIGHT_PATHS = ["/dashboard/predictions", "/dashboard/trust", "/dashboard/reviews"];

export interface InsightsContext {
  base: string;
  viewer: Viewer;
  /** The viewer's repositories, lower case. */
  repos: ReadonlySet<string>;
  webUrl: string;
  source: InsightsSource | undefined;
  log: Log;
  headers: Record<string, string | string[]>;
  now: () => number;
}

/** A stored repository name as the cursor carries it: printable, bounded. */
const cursorRepo = (v: string | null) => (v && v.length <= 200 && /^[\x21-\x7e]+$/.test(v) ? v : undefined);
const cursorTime = (v: string | null) => {
  const n = Number(v);
  return v !== null && /^\d{1,16}$/.test(v) && Number.isSafeInteger(n) ? n : undefined;
};

/** GET of an insight page; false for another path. */
export async function insightsGet(
  req: IncomingMessage,
  res: ServerResponse,
  path: string,
  query: URLSearchParams,
  c: InsightsContext,
): Promise<boolean> {
  const isPattern = path.startsWith("/dashboard/patterns/");
  if (!isPattern && !INSIGHT_PATHS.includes(path)) return false;
  if (!c.source)
    return sendHtml(
      req,
      res,
      503,
      errorPage(c.base, "Not available", "The store's insights are not wired into this dashboard.", c.viewer),
      c.headers,
    );
  const source = c.source;
  const all = [...c.repos].sort();
  const selected = repoFilter(query, c.repos);
  const repos = selected ? [selected] : all;
  const failed = (what: string) => (err: unknown) => {
    c.log.warn({ err: err instanceof Error ? err.message : String(err), page: path }, `dashboard: reading ${what} failed`);
    return null;
  };
  const repoParam = selected ? `repo=${encodeURIComponent(selected)}&` : "";

  if (isPattern) {
    const id = path.slice("/dashboard/patterns/".length);
    const pattern = /^pat-[0-9a-f]{12}$/.test(id)
      ? await source.reads.getDashboardPattern({ repos: all, id }).catch(failed("a pattern"))
      : undefined;
    if (pattern === null)
      return sendHtml(
        req,
        res,
        503,
        errorPage(c.base, "Not available", "The pattern could not be read; try again in a moment.", c.viewer),
        c.headers,
      );
    // An unknown id and another repository's pattern get the same answer.
    if (!pattern || !c.repos.has(pattern.repo.toLowerCase()))
      return sendHtml(req, res, 404, errorPage(c.base, "Not found", "There is no such pattern in your repositories.", c.viewer), c.headers);
    return sendHtml(req, res, 200, patternPage({ base: c.base, viewer: c.viewer, webUrl: c.webUrl, pattern }), c.headers);
  }

  if (path === "/dashboard/predictions") {
    const at = cursorTime(query.get("before_at"));
    const repo = cursorRepo(query.get("before_repo"));
    const fp = query.get("before_fp");
    const before = at !== undefined && repo && fp && /^[A-Za-z0-9_.:-]{1,128}$/.test(fp) ? { at, repo, fingerprint: fp } : undefined;
    const [rows, resolved] = await Promise.all([
      source.reads.listDashboardPredictions({ repos, before, limit: PREDICTIONS_PAGE + 1 }).catch(failed("predictions")),
      before
        ? Promise.resolve([])
        : source.reads.listResolvedPredictions({ repos, limit: RESOLVED_SCAN }).catch(failed("prediction outcomes")),
    ]);
    const page = rows?.slice(0, PREDICTIONS_PAGE) ?? null;
    const last = page?.[page.length - 1];
    const next =
      rows && rows.length > PREDICTIONS_PAGE && last
        ? `${repoParam}before_at=${last.at}&before_repo=${encodeURIComponent(last.repo)}&before_fp=${encodeURIComponent(last.fingerprint)}`
        : null;
    const patternId = source.patternId;
    const html = predictionsPage({
      base: c.base,
      viewer: c.viewer,
      webUrl: c.webUrl,
      repos: all,
      selected,
      rows: page,
      resolved,
      next,
      first: !before,
      patternHref: patternId ? (r, kind) => `${c.base}/dashboard/patterns/${patternId(r, kind)}` : undefined,
    });
    return sendHtml(req, res, 200, html, c.headers);
  }

  if (path === "/dashboard/trust") {
    const now = c.now();
    const breaker = source.breaker;
    const [records, history, recent] = await Promise.all([
      source.reads.listDashboardTrust({ repos, limit: TRUST_ROWS }).catch(failed("trust")),
      source.reads.listDashboardFeedback({ repos, since: 0, limit: TRUST_SCAN }).catch(failed("feedback")),
      breaker
        ? source.reads.listDashboardFeedback({ repos, since: now - breaker.lookbackMs, limit: TRUST_SCAN }).catch(failed("recent feedback"))
        : Promise.resolve(undefined),
    ]);
    const lines = records === null || history === null ? null : trustLines(records, history, source.trust);
    let breakers: { repo: string; state: ReturnType<NonNullable<InsightsSource["breaker"]>["state"]> }[] | null | undefined;
    if (breaker && recent !== undefined) {
      if (recent === null) breakers = null;
      else {
        const byRepo = new Map<string, FeedbackRow[]>();
        for (const f of recent) byRepo.set(f.repo, [...(byRepo.get(f.repo) ?? []), f]);
        breakers = [...byRepo.entries()]
          .sort((a, b) => a[0].localeCompare(b[0]))
          .map(([repo, entries]) => ({ repo, state: breaker.state(entries, now) }));
      }
    }
    const html = trustPage({
      base: c.base,
      viewer: c.viewer,
      repos: all,
      selected,
      lines,
      truncatedAt: history && history.length >= TRUST_SCAN ? history[history.length - 1].createdAt : null,
      initial: source.trust?.initial ?? null,
      breakers,
    });
    return sendHtml(req, res, 200, html, c.headers);
  }

  // /dashboard/reviews
  const at = cursorTime(query.get("before_at"));
  const repo = cursorRepo(query.get("before_repo"));
  const pr = cursorTime(query.get("before_pr"));
  const before = at !== undefined && repo && pr !== undefined ? { reviewedAt: at, repo, prNumber: pr } : undefined;
  const rows = await source.reads.listDashboardReviews({ repos, before, limit: REVIEWS_PAGE + 1 }).catch(failed("reviews"));
  const page = rows?.slice(0, REVIEWS_PAGE) ?? null;
  const last = page?.[page.length - 1];
  const next =
    rows && rows.length > REVIEWS_PAGE && last
      ? `${repoParam}before_at=${last.reviewedAt}&before_repo=${encodeURIComponent(last.repo)}&before_pr=${last.prNumber}`
      : null;
  const html = reviewsPage({
    base: c.base,
    viewer: c.viewer,
    webUrl: c.webUrl,
    repos: all,
    selected,
    rows: page,
    next,
    first: !before,
    levelName: source.levelName,
  });
  return sendHtml(req, res, 200, html, c.headers);
}
