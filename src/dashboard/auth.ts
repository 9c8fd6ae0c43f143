/**
 * Sign in with GitHub and the session of each request. The OAuth `state` is bound to the browser
 * by a signed cookie; the session cookie is sealed and signed (session.ts). A session's
 * repository list is asked again of GitHub when older than RECHECK_MS; a token GitHub no longer
 * accepts ends the session. A list too large for a cookie lives in a small per-process cache
 * keyed by the session's random id: on a miss (another instance) it is read from GitHub again,
 * so correctness never depends on this process's memory.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Log } from "../logging/log.js";
import { safeEqual, type DashboardKeys } from "./crypto.js";
import { DashboardGitHub, GitHubAuthError, type RepositoryAccess } from "./github.js";
import { cookie, readCookies, redirect } from "./http.js";
import {
  RECHECK_MS,
  SESSION_COOKIE,
  SESSION_TTL_MS,
  STATE_COOKIE,
  STATE_TTL_MS,
  decodeSession,
  decodeState,
  encodeSession,
  encodeState,
  newOAuthState,
  newSessionId,
  type Session,
} from "./session.js";
import type { ResolvedSettings } from "./settings.js";

/** Sessions whose repository list did not fit their cookie, per process. */
const CACHE_ENTRIES = 1000;

export interface CurrentSession {
  session: Session;
  repos: ReadonlySet<string>;
  admin: boolean;
  /** A renewed session cookie to send with the answer. */
  setCookie?: string[];
}

/** GitHub did not answer the re-check: the page says so (503) rather than show a stale list. */
export class GitHubUnavailableError extends Error {
  override readonly name = "GitHubUnavailableError";
}

/** Why a callback was refused, for the page and the log (never a value from the request). */
export class SignInError extends Error {
  override readonly name = "SignInError";
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
  }
}

export class DashboardAuth {
  private readonly cache = new Map<string, RepositoryAccess & { checkedAt: number }>();
  private readonly refreshing = new Map<string, Promise<RepositoryAccess>>();

  constructor(
    private readonly s: ResolvedSettings,
    private readonly keys: () => Promise<DashboardKeys>,
    private readonly github: DashboardGitHub,
    private readonly log: Pick<Log, "info" | "warn">,
    private readonly now: () => number = Date.now,
  ) {}

  get redirectUri(): string {
    return `${this.s.publicUrl}/dashboard/auth/callback`;
  }

  private cookiePath(sub = ""): string {
    return `${this.s.basePath}/dashboard${sub}`;
  }

  clearSessionCookie(): string {
    return cookie(SESSION_COOKIE, "", { path: this.cookiePath(), maxAge: 0, secure: this.s.secureCookies });
  }

  /** 302 to GitHub's authorize page, with a fresh state bound to this browser. */
  async beginSignIn(res: ServerResponse, returnTo: string, extraCookies: string[] = []): Promise<true> {
    const st = newOAuthState(returnTo, this.now());
    const value = encodeState(await this.keys(), st);
    const stateCookie = cookie(STATE_COOKIE, value, {
      path: this.cookiePath("/auth"),
      maxAge: STATE_TTL_MS / 1000,
      secure: this.s.secureCookies,
    });
    return redirect(res, this.github.authorizeUrl(st.state, this.redirectUri), { "set-cookie": [...extraCookies, stateCookie] });
  }

  /** The callback: checks the state, exchanges the code, builds the session. Returns where to go and the cookies. */
  async finishSignIn(req: IncomingMessage, query: URLSearchParams): Promise<{ location: string; cookies: string[] }> {
    const keys = await this.keys();
    const now = this.now();
    const clearState = cookie(STATE_COOKIE, "", { path: this.cookiePath("/auth"), maxAge: 0, secure: this.s.secureCookies });
    const st = decodeState(keys, readCookies(req).get(STATE_COOKIE), now);
    const state = query.get("state") ?? "";
    if (!st || state.length > 100 || !safeEqual(state, st.state)) {
      throw new SignInError("The sign-in could not be checked (it expired, or did not start in this browser). Please sign in again.", 403);
    }
    if (query.has("error")) throw new SignInError("GitHub did not sign you in (the authorization was declined).", 403);
    const code = query.get("code") ?? "";
    if (!/^[A-Za-z0-9_-]{1,100}$/.test(code)) throw new SignInError("GitHub's answer has no valid code.", 400);
    const grant = await this.github.exchangeCode(code, this.redirectUri);
    const user = await this.github.user(grant.token);
    const access = await this.github.repositories(grant.token);
    const session: Session = {
      sid: newSessionId(),
      uid: user.id,
      login: user.login,
      token: grant.token,
      issuedAt: now,
      expiresAt: now + Math.min(SESSION_TTL_MS, grant.expiresInMs ?? SESSION_TTL_MS),
      checkedAt: now,
      repos: access.repos,
      truncated: access.truncated,
    };
    this.log.info({ login: user.login, repositories: access.repos.length, truncated: access.truncated }, "dashboard: signed in");
    return { location: `${this.s.basePath}${st.returnTo}`, cookies: [clearState, this.sessionCookie(keys, session)] };
  }

  /** The request's session, its repository list checked if due; undefined: not signed in (or it expired). */
  async current(req: IncomingMessage): Promise<CurrentSession | undefined> {
    const keys = await this.keys();
    const now = this.now();
    const session = decodeSession(keys, readCookies(req).get(SESSION_COOKIE), now);
    if (!session) return undefined;
    const admin = this.s.admins.has(session.login.toLowerCase());
    const cached = session.repos === null ? this.cache.get(session.sid) : undefined;
    const fresh = now - session.checkedAt < RECHECK_MS;
    if (fresh && session.repos !== null) return { session, repos: new Set(session.repos), admin };
    if (fresh && cached && cached.checkedAt === session.checkedAt) return { session, repos: new Set(cached.repos), admin };
    let access: RepositoryAccess;
    try {
      access = await this.refresh(session);
    } catch (err) {
      if (err instanceof GitHubAuthError) {
        this.log.info({ login: session.login }, "dashboard: GitHub no longer accepts the session's token: signed out");
        return undefined;
      }
      this.log.warn(
        { login: session.login, err: err instanceof Error ? err.message : String(err) },
        "dashboard: re-checking repositories failed",
      );
      throw new GitHubUnavailableError("GitHub did not answer while checking your repositories; try again in a moment.");
    }
    const renewed: Session = { ...session, checkedAt: now, repos: access.repos, truncated: access.truncated };
    return { session: renewed, repos: new Set(access.repos), admin, setCookie: [this.sessionCookie(keys, renewed)] };
  }

  /** One GitHub listing per session at a time, however many requests ask together. */
  private refresh(session: Session): Promise<RepositoryAccess> {
    let p = this.refreshing.get(session.sid);
    if (!p) {
      p = this.github.repositories(session.token).finally(() => this.refreshing.delete(session.sid));
      this.refreshing.set(session.sid, p);
    }
    return p;
  }

  /** The Set-Cookie of a session; a repository list too big for it goes to the cache instead. */
  private sessionCookie(keys: DashboardKeys, s: Session): string {
    let value = encodeSession(keys, s);
    if (value === undefined) {
      this.remember(s.sid, { repos: s.repos ?? [], truncated: s.truncated, checkedAt: s.checkedAt });
      value = encodeSession(keys, { ...s, repos: null });
    }
    if (value === undefined) throw new Error("the session does not fit in a cookie");
    const maxAge = Math.max(0, (s.expiresAt - this.now()) / 1000);
    return cookie(SESSION_COOKIE, value, { path: this.cookiePath(), maxAge, secure: this.s.secureCookies });
  }

  private remember(sid: string, entry: RepositoryAccess & { checkedAt: number }): void {
    this.cache.delete(sid);
    this.cache.set(sid, entry);
    // Map order is insertion order: the first key is the least recently stored.
    while (this.cache.size > CACHE_ENTRIES) this.cache.delete(this.cache.keys().next().value as string);
  }
}
