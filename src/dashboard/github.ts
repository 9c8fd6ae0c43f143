/**
 * The GitHub calls of sign-in, made with the user's own token: the code exchange, who the user
 * is, and which repositories of the app's installations they can access. Every call is
 * time-limited and its answer size-limited; the listing is bounded in pages.
 */
import type { ResolvedSettings } from "./settings.js";

export type FetchFn = (url: string, init: RequestInit) => Promise<Response>;

/** The user's token was refused (revoked, expired): the session ends. */
export class GitHubAuthError extends Error {
  override readonly name = "GitHubAuthError";
}

const TIMEOUT_MS = 10_000;
const MAX_RESPONSE_BYTES = 2 * 1024 * 1024;
const PER_PAGE = 100;
/** Installations read at most (pages of 100). */
const MAX_INSTALLATION_PAGES = 3;
/** Repository pages read at most, all installations together: 5,000 repositories. */
export const MAX_REPOSITORY_PAGES = 50;

export interface TokenGrant {
  token: string;
  /** ms; GitHub's expiring user tokens say how long they last. */
  expiresInMs?: number;
}

export interface GitHubUser {
  id: number;
  login: string;
}

export interface RepositoryAccess {
  /** Lower-cased "owner/name", sorted. */
  repos: string[];
  /** A bound was hit: the list is incomplete. */
  truncated: boolean;
}

export class DashboardGitHub {
  constructor(
    private readonly settings: Pick<ResolvedSettings, "clientId" | "clientSecret" | "webUrl" | "apiUrl" | "appId">,
    private readonly fetchFn: FetchFn = (url, init) => fetch(url, init),
  ) {}

  authorizeUrl(state: string, redirectUri: string): string {
    const q = new URLSearchParams({ client_id: this.settings.clientId, redirect_uri: redirectUri, state, allow_signup: "false" });
    return `${this.settings.webUrl}/login/oauth/authorize?${q}`;
  }

  /** The code GitHub sent back, exchanged for the user's token. */
  async exchangeCode(code: string, redirectUri: string): Promise<TokenGrant> {
    const body = new URLSearchParams({
      client_id: this.settings.clientId,
      client_secret: this.settings.clientSecret,
      code,
      redirect_uri: redirectUri,
    });
    const res = await this.call(`${this.settings.webUrl}/login/oauth/access_token`, {
      method: "POST",
      headers: { accept: "application/json", "content-type": "application/x-www-form-urlencoded" },
      body: body.toString(),
    });
    const json = (await readJson(res)) as { access_token?: unknown; expires_in?: unknown; error?: unknown };
    // GitHub answers a bad code with 200 and an `error` field; its description is not repeated.
    if (!res.ok || typeof json.access_token !== "string" || json.access_token === "") {
      throw new Error(
        `GitHub refused the sign-in code (${res.status}${typeof json.error === "string" ? `, ${json.error.slice(0, 60)}` : ""})`,
      );
    }
    const expires = typeof json.expires_in === "number" && json.expires_in > 0 ? json.expires_in * 1000 : undefined;
    return { token: json.access_token, expiresInMs: expires };
  }

  async user(token: string): Promise<GitHubUser> {
    const u = (await this.api(token, "/user")) as { id?: unknown; login?: unknown };
    if (typeof u.id !== "number" || typeof u.login !== "string" || !/^[A-Za-z0-9-]{1,39}$/.test(u.login))
      throw new Error("GitHub's /user answer has no id or login");
    return { id: u.id, login: u.login };
  }

  /** The repositories of the app's installations this user can access, within the bounds. */
  async repositories(token: string): Promise<RepositoryAccess> {
    const ids: number[] = [];
    let truncated = false;
    for (let page = 1; ; page++) {
      if (page > MAX_INSTALLATION_PAGES) {
        truncated = true;
        break;
      }
      const r = (await this.api(token, `/user/installations?per_page=${PER_PAGE}&page=${page}`)) as {
        installations?: { id?: unknown; app_id?: unknown }[];
      };
      const list = Array.isArray(r.installations) ? r.installations : [];
      for (const i of list) {
        if (typeof i.id !== "number") continue;
        if (this.settings.appId !== undefined && i.app_id !== this.settings.appId) continue;
        ids.push(i.id);
      }
      if (list.length < PER_PAGE) break;
    }
    const repos = new Set<string>();
    let pages = 0;
    outer: for (const id of ids) {
      for (let page = 1; ; page++) {
        if (++pages > MAX_REPOSITORY_PAGES) {
          truncated = true;
          break outer;
        }
        const r = (await this.api(token, `/user/installations/${id}/repositories?per_page=${PER_PAGE}&page=${page}`)) as {
          repositories?: { full_name?: unknown }[];
        };
        const list = Array.isArray(r.repositories) ? r.repositories : [];
        for (const repo of list)
          if (typeof repo.full_name === "string" && repo.full_name.length <= 200) repos.add(repo.full_name.toLowerCase());
        if (list.length < PER_PAGE) break;
      }
    }
    return { repos: [...repos].sort(), truncated };
  }

  /**
   * Revokes the user's token (sign-out): a copy of the session cookie then dies at its next
   * repository re-check (at most RECHECK_MS later), since the cookie itself cannot be recalled.
   */
  async revoke(token: string): Promise<void> {
    const basic = Buffer.from(`${this.settings.clientId}:${this.settings.clientSecret}`).toString("base64");
    const res = await this.call(`${this.settings.apiUrl}/applications/${encodeURIComponent(this.settings.clientId)}/token`, {
      method: "DELETE",
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Basic ${basic}`,
        "content-type": "application/json",
        "x-github-api-version": "2022-11-28",
        "user-agent": "empathy-bot-dashboard",
      },
      body: JSON.stringify({ access_token: token }),
    });
    await res.body?.cancel();
    // 404: already revoked or expired.
    if (res.status !== 204 && res.status !== 404) throw new Error(`GitHub answered ${res.status} to the token revocation`);
  }

  private async api(token: string, path: string): Promise<unknown> {
    const res = await this.call(`${this.settings.apiUrl}${path}`, {
      method: "GET",
      headers: {
        accept: "application/vnd.github+json",
        authorization: `Bearer ${token}`,
        "x-github-api-version": "2022-11-28",
        "user-agent": "empathy-bot-dashboard",
      },
    });
    if (res.status === 401) {
      await res.body?.cancel();
      throw new GitHubAuthError("GitHub no longer accepts the user's token");
    }
    if (!res.ok) {
      await res.body?.cancel();
      throw new Error(`GitHub answered ${res.status} to GET ${path.split("?")[0]}`);
    }
    return readJson(res);
  }

  private async call(url: string, init: RequestInit): Promise<Response> {
    return this.fetchFn(url, { ...init, redirect: "error", signal: AbortSignal.timeout(TIMEOUT_MS) });
  }
}

/** The body as JSON, refused past MAX_RESPONSE_BYTES (a stand-in or proxy may send anything). */
async function readJson(res: Response): Promise<unknown> {
  if (!res.body) return {};
  const reader = res.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > MAX_RESPONSE_BYTES) {
      await reader.cancel();
      throw new Error("GitHub's answer is too large");
    }
    chunks.push(value);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    throw new Error(`GitHub's answer is not JSON (${res.status})`);
  }
}
