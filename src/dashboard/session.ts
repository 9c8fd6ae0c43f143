/**
 * The dashboard's cookies. Nothing lives in one process's memory (several instances serve one
 * load balancer): the session is the cookie itself, AES-256-GCM encrypted (it holds the user's
 * GitHub token) then HMAC-signed, with an absolute expiry inside. The OAuth `state` travels in a
 * second, short-lived signed cookie, so the callback can check it on any instance.
 */
import { hmac, open, randomToken, safeEqual, seal, sign, verify, type DashboardKeys } from "./crypto.js";

export const SESSION_COOKIE = "empathy_session";
export const STATE_COOKIE = "empathy_oauth";
/** A session lasts at most this long (GitHub's expiring user tokens last 8 hours too). */
export const SESSION_TTL_MS = 8 * 3600_000;
/** The repository list is asked again of GitHub when older than this. */
export const RECHECK_MS = 5 * 60_000;
/** Sign-in must come back from GitHub within this time. */
export const STATE_TTL_MS = 10 * 60_000;
/** Browsers drop cookies over ~4096 bytes (name and attributes included): the session stays under this. */
export const MAX_SESSION_COOKIE = 3800;
/** Anything longer presented to us is not a cookie we wrote. */
const MAX_COOKIE_VALUE = 4096;
const MAX_RETURN_TO = 512;

export interface Session {
  /** Random id: binds CSRF tokens and names the session in the repository cache. */
  sid: string;
  uid: number;
  login: string;
  /** The user's GitHub token (user-to-server). Never logged, never in a page. */
  token: string;
  issuedAt: number;
  expiresAt: number;
  /** When the repository list was last read from GitHub. */
  checkedAt: number;
  /**
   * The repositories (lower-cased "owner/name") of the app's installations the user can access.
   * null: too many for a cookie; the handler keeps them in its cache and reads GitHub on a miss.
   */
  repos: string[] | null;
  /** The list hit the fetch bounds: some repositories are missing from it. */
  truncated: boolean;
}

/** The cookie value, or undefined when it would not fit (the caller drops `repos` and retries). */
export function encodeSession(keys: DashboardKeys, s: Session): string | undefined {
  const value = sign(keys.sessionMac, seal(keys.sessionEnc, JSON.stringify({ v: 1, ...s })));
  return value.length + SESSION_COOKIE.length + 100 <= MAX_SESSION_COOKIE ? value : undefined;
}

/** The session of a cookie value: undefined when tampered, not ours, malformed or expired. */
export function decodeSession(keys: DashboardKeys, value: string | undefined, now: number): Session | undefined {
  if (!value || value.length > MAX_COOKIE_VALUE) return undefined;
  const box = verify(keys.sessionMac, value);
  const json = box === undefined ? undefined : open(keys.sessionEnc, box);
  if (json === undefined) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    return undefined;
  }
  const s = raw as Partial<Session> & { v?: unknown };
  const valid =
    s.v === 1 &&
    typeof s.sid === "string" &&
    typeof s.uid === "number" &&
    typeof s.login === "string" &&
    typeof s.token === "string" &&
    typeof s.issuedAt === "number" &&
    typeof s.expiresAt === "number" &&
    typeof s.checkedAt === "number" &&
    typeof s.truncated === "boolean" &&
    (s.repos === null || (Array.isArray(s.repos) && s.repos.every((r) => typeof r === "string")));
  if (!valid || now >= s.expiresAt!) return undefined;
  return {
    sid: s.sid!,
    uid: s.uid!,
    login: s.login!,
    token: s.token!,
    issuedAt: s.issuedAt!,
    expiresAt: s.expiresAt!,
    checkedAt: s.checkedAt!,
    repos: s.repos!,
    truncated: s.truncated!,
  };
}

export function newSessionId(): string {
  return randomToken(16);
}

// --- CSRF: a token bound to the session, so it is worthless to anyone without the cookie ---

export function csrfToken(keys: DashboardKeys, s: Pick<Session, "sid">): string {
  return hmac(keys.csrf, `csrf:${s.sid}`);
}

export function checkCsrf(keys: DashboardKeys, s: Pick<Session, "sid">, presented: unknown): boolean {
  return typeof presented === "string" && presented.length <= 128 && safeEqual(presented, csrfToken(keys, s));
}

// --- the OAuth state ---

export interface OAuthState {
  state: string;
  /** Where to go after sign-in: a /dashboard path (see safeReturnTo). */
  returnTo: string;
  expiresAt: number;
}

export function newOAuthState(returnTo: string, now: number): OAuthState {
  return { state: randomToken(32), returnTo: safeReturnTo(returnTo), expiresAt: now + STATE_TTL_MS };
}

export function encodeState(keys: DashboardKeys, st: OAuthState): string {
  return sign(keys.stateMac, Buffer.from(JSON.stringify({ s: st.state, r: st.returnTo, e: st.expiresAt })).toString("base64url"));
}

export function decodeState(keys: DashboardKeys, value: string | undefined, now: number): OAuthState | undefined {
  if (!value || value.length > 2048) return undefined;
  const payload = verify(keys.stateMac, value);
  if (payload === undefined) return undefined;
  try {
    const o = JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { s?: unknown; r?: unknown; e?: unknown };
    if (typeof o.s !== "string" || typeof o.r !== "string" || typeof o.e !== "number" || now >= o.e) return undefined;
    return { state: o.s, returnTo: safeReturnTo(o.r), expiresAt: o.e };
  } catch {
    return undefined;
  }
}

/**
 * A same-origin dashboard path (with its query), else "/dashboard": no scheme, no host, no
 * `//`, no backslash, no dot segments, nothing outside /dashboard. Never an open redirect.
 */
export function safeReturnTo(candidate: string | undefined | null): string {
  const fallback = "/dashboard";
  if (typeof candidate !== "string" || candidate.length > MAX_RETURN_TO) return fallback;
  if (!/^\/dashboard(?:\/[A-Za-z0-9._~%/-]*)?(?:\?[A-Za-z0-9._~%&=+,:/-]*)?$/.test(candidate)) return fallback;
  const path = candidate.split("?")[0];
  if (path.includes("//") || /(^|\/)\.{1,2}(\/|$)/.test(path) || /%2e|%2f|%5c/i.test(path)) return fallback;
  return candidate;
}
