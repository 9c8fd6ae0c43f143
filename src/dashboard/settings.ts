/**
 * The dashboard's settings and GitHub's addresses. The dashboard is on only with the GitHub
 * App's OAuth credentials and the app's public URL (the OAuth callback is built from it); the
 * session secret may come from the store instead (see DashboardDeps.secret).
 */
import { MIN_SECRET_LENGTH } from "./crypto.js";

export interface DashboardSettings {
  /** GITHUB_CLIENT_ID: the GitHub App's OAuth client id. */
  clientId?: string;
  /** GITHUB_CLIENT_SECRET. */
  clientSecret?: string;
  /** EMPATHY_PUBLIC_URL: the app's public base URL (scheme, host, optional port and path), no trailing slash. */
  publicUrl?: string;
  /** GHE_HOST: a GitHub Enterprise Server host (host[:port]); absent: github.com. */
  gheHost?: string;
  /** GHE_PROTOCOL (default https). */
  gheProtocol?: string;
  /** EMPATHY_SESSION_SECRET; absent: the store's generated secret. */
  sessionSecret?: string;
  /** EMPATHY_DASHBOARD_ADMINS: GitHub logins (lower-cased) allowed on the operator-wide pages. */
  admins: string[];
  /** APP_ID: when set, installations of other apps are ignored (a user token sees only this app's anyway). */
  appId?: number;
}

/** The variables that turn the dashboard on, for the "how to turn it on" page. */
export const REQUIRED_VARIABLES = ["GITHUB_CLIENT_ID", "GITHUB_CLIENT_SECRET", "EMPATHY_PUBLIC_URL"] as const;

const nonEmpty = (v: string | undefined) => (v === undefined || v.trim() === "" ? undefined : v.trim());

/** Read by config/env.ts `readSettings`, with the rest of the environment. */
export function dashboardSettingsFromEnv(env: NodeJS.ProcessEnv): DashboardSettings {
  const appId = Number(nonEmpty(env.APP_ID));
  return {
    clientId: nonEmpty(env.GITHUB_CLIENT_ID),
    clientSecret: nonEmpty(env.GITHUB_CLIENT_SECRET),
    publicUrl: nonEmpty(env.EMPATHY_PUBLIC_URL),
    gheHost: nonEmpty(env.GHE_HOST),
    gheProtocol: nonEmpty(env.GHE_PROTOCOL),
    sessionSecret: nonEmpty(env.EMPATHY_SESSION_SECRET),
    admins: parseAdmins(env.EMPATHY_DASHBOARD_ADMINS),
    appId: Number.isSafeInteger(appId) && appId > 0 ? appId : undefined,
  };
}

/** "alice, Bob ,,carol" → ["alice", "bob", "carol"]: GitHub logins are case-insensitive. */
export function parseAdmins(raw: string | undefined): string[] {
  return (raw ?? "")
    .split(",")
    .map((s) => s.trim().toLowerCase())
    .filter((s) => /^[a-z0-9](?:[a-z0-9-]{0,38})$/.test(s));
}

/** What the handler works with once the settings are checked. */
export interface ResolvedSettings {
  clientId: string;
  clientSecret: string;
  /** Base URL without trailing slash, e.g. https://empathy.example.com or https://x.example/bot. */
  publicUrl: string;
  /** The public URL's origin, for the Origin check of POSTs. */
  publicOrigin: string;
  /** Path prefix of the public URL ("" or "/bot"): where the cookies live. */
  basePath: string;
  secureCookies: boolean;
  /** https://github.com, or GHE_PROTOCOL://GHE_HOST. */
  webUrl: string;
  /** https://api.github.com, or GHE_PROTOCOL://GHE_HOST/api/v3. */
  apiUrl: string;
  sessionSecret?: string;
  admins: ReadonlySet<string>;
  appId?: number;
}

/**
 * The checked settings, or the reasons the dashboard is off (names of variables only: never a
 * value). A public URL that is not http(s) or carries credentials, a query or a fragment is refused.
 */
export function resolveSettings(s: DashboardSettings): { ok: true; settings: ResolvedSettings } | { ok: false; problems: string[] } {
  const problems: string[] = [];
  if (!s.clientId) problems.push("GITHUB_CLIENT_ID is not set");
  if (!s.clientSecret) problems.push("GITHUB_CLIENT_SECRET is not set");
  let url: URL | undefined;
  if (!s.publicUrl) problems.push("EMPATHY_PUBLIC_URL is not set");
  else {
    try {
      url = new URL(s.publicUrl);
      if ((url.protocol !== "https:" && url.protocol !== "http:") || url.username || url.password || url.search || url.hash) {
        problems.push("EMPATHY_PUBLIC_URL must be an http(s) URL without credentials, query or fragment");
        url = undefined;
      }
    } catch {
      problems.push("EMPATHY_PUBLIC_URL is not a URL");
    }
  }
  const protocol = (s.gheProtocol ?? "https").toLowerCase();
  if (protocol !== "https" && protocol !== "http") problems.push("GHE_PROTOCOL must be https or http");
  if (s.sessionSecret !== undefined && s.sessionSecret.length < MIN_SECRET_LENGTH)
    problems.push(`EMPATHY_SESSION_SECRET must be at least ${MIN_SECRET_LENGTH} characters`);
  if (s.gheHost && !/^[a-z0-9.-]+(?::\d{1,5})?$/i.test(s.gheHost)) problems.push("GHE_HOST must be a host name with an optional port");
  if (problems.length > 0 || !url) return { ok: false, problems };
  const basePath = url.pathname.replace(/\/+$/, "");
  const webUrl = s.gheHost ? `${protocol}://${s.gheHost}` : "https://github.com";
  return {
    ok: true,
    settings: {
      clientId: s.clientId!,
      clientSecret: s.clientSecret!,
      publicUrl: url.origin + basePath,
      publicOrigin: url.origin,
      basePath,
      secureCookies: url.protocol === "https:",
      webUrl,
      apiUrl: s.gheHost ? `${webUrl}/api/v3` : "https://api.github.com",
      sessionSecret: s.sessionSecret,
      admins: new Set(s.admins.map((a) => a.toLowerCase())),
      appId: s.appId,
    },
  };
}
