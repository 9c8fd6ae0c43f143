/** The dashboard's small pieces: settings, keys, sealed cookies, return paths, escaping. */
import { deriveKeys, open, seal, sign, verify } from "../../src/dashboard/crypto.js";
import { esc, html } from "../../src/dashboard/html.js";
import {
  checkCsrf,
  csrfToken,
  decodeSession,
  decodeState,
  encodeSession,
  encodeState,
  newOAuthState,
  safeReturnTo,
  type Session,
} from "../../src/dashboard/session.js";
import { dashboardSettingsFromEnv, parseAdmins, resolveSettings } from "../../src/dashboard/settings.js";

const keys = deriveKeys("k".repeat(40));
const now = 1_800_000_000_000;
const session: Session = {
  sid: "sid-1",
  uid: 1,
  login: "octocat",
  token: "ghu_secret",
  issuedAt: now,
  expiresAt: now + 1000,
  checkedAt: now,
  repos: ["o/r"],
  truncated: false,
};

describe("dashboard settings", () => {
  it("reads the environment, and is off with a list of what is missing", () => {
    const s = dashboardSettingsFromEnv({ GITHUB_CLIENT_ID: " id ", EMPATHY_DASHBOARD_ADMINS: "Alice, bob,,-bad-,", APP_ID: "12" });
    expect(s).toMatchObject({ clientId: "id", admins: ["alice", "bob"], appId: 12 });
    expect(resolveSettings(s)).toEqual({ ok: false, problems: ["GITHUB_CLIENT_SECRET is not set", "EMPATHY_PUBLIC_URL is not set"] });
    expect(parseAdmins(undefined)).toEqual([]);
  });

  it("refuses a public URL with credentials, a query or another scheme, and builds GitHub's URLs", () => {
    const base = { clientId: "c", clientSecret: "s", admins: [] };
    for (const publicUrl of ["ftp://x", "https://u:p@x", "https://x/?a=1", "not a url"])
      expect(resolveSettings({ ...base, publicUrl }).ok).toBe(false);
    expect(resolveSettings({ ...base, publicUrl: "https://x", gheHost: "evil.com/path" }).ok).toBe(false);
    expect(resolveSettings({ ...base, publicUrl: "https://x", sessionSecret: "too-short" })).toEqual({
      ok: false,
      problems: ["EMPATHY_SESSION_SECRET must be at least 32 characters"],
    });
    const ok = resolveSettings({ ...base, publicUrl: "http://bot.example:8080/empathy/", gheHost: "ghe.corp:8443", gheProtocol: "http" });
    expect(ok).toMatchObject({
      ok: true,
      settings: {
        publicUrl: "http://bot.example:8080/empathy",
        basePath: "/empathy",
        secureCookies: false,
        webUrl: "http://ghe.corp:8443",
        apiUrl: "http://ghe.corp:8443/api/v3",
      },
    });
    expect(resolveSettings({ ...base, publicUrl: "https://bot.example" })).toMatchObject({
      settings: { webUrl: "https://github.com", apiUrl: "https://api.github.com", secureCookies: true, basePath: "" },
    });
  });
});

describe("dashboard cookies", () => {
  it("refuses a short secret", () => {
    expect(() => deriveKeys("short")).toThrow(/at least 32/);
  });

  it("signs and seals: tampering, another key or expiry give nothing", () => {
    expect(verify(keys.sessionMac, sign(keys.sessionMac, "abc"))).toBe("abc");
    expect(verify(keys.stateMac, sign(keys.sessionMac, "abc"))).toBeUndefined(); // one purpose per key
    expect(open(keys.sessionEnc, seal(keys.sessionEnc, "hello"))).toBe("hello");
    expect(open(deriveKeys("z".repeat(40)).sessionEnc, seal(keys.sessionEnc, "hello"))).toBeUndefined();
    const value = encodeSession(keys, session)!;
    expect(value).not.toContain("ghu_secret");
    expect(decodeSession(keys, value, now)).toEqual(session);
    expect(decodeSession(keys, value, now + 1000)).toBeUndefined();
    expect(
      decodeSession(
        keys,
        value.replace(/.$/, (c) => (c === "A" ? "B" : "A")),
        now,
      ),
    ).toBeUndefined();
    expect(decodeSession(keys, undefined, now)).toBeUndefined();
  });

  it("gives no cookie when the session would not fit (the caller moves the list out)", () => {
    expect(
      encodeSession(keys, { ...session, repos: Array.from({ length: 200 }, (_, i) => `organisation/repository-${i}`) }),
    ).toBeUndefined();
  });

  it("binds CSRF tokens to the session", () => {
    const t = csrfToken(keys, session);
    expect(checkCsrf(keys, session, t)).toBe(true);
    expect(checkCsrf(keys, { sid: "other" }, t)).toBe(false);
    expect(checkCsrf(keys, session, undefined)).toBe(false);
    expect(checkCsrf(keys, session, "x".repeat(1000))).toBe(false);
  });

  it("keeps the OAuth state with its return path for ten minutes", () => {
    const st = newOAuthState("/dashboard/events?type=test", now);
    const v = encodeState(keys, st);
    expect(decodeState(keys, v, now + 1000)).toEqual(st);
    expect(decodeState(keys, v, now + 10 * 60_000)).toBeUndefined();
    expect(decodeState(keys, v + "x", now)).toBeUndefined();
  });

  it("returns only to dashboard paths of this origin", () => {
    for (const good of ["/dashboard", "/dashboard/events", "/dashboard/events?type=test&repo=o%2Fr"]) expect(safeReturnTo(good)).toBe(good);
    for (const bad of [
      "https://evil.example",
      "//evil.example",
      "/dashboard//evil.example",
      "/dashboard/../admin",
      "/dashboard/%2e%2e/x",
      "/dashboard/a%2f%2fb",
      "/dashboardx",
      "/dashboard\\evil",
      "/other",
      "",
      undefined,
      `/dashboard/${"a".repeat(600)}`,
      "/dashboard/\r\nset-cookie:x",
    ]) {
      expect(safeReturnTo(bad)).toBe("/dashboard");
    }
  });
});

describe("dashboard HTML", () => {
  it("escapes every interpolated value", () => {
    expect(esc(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    expect(html`<p title="${'"><script>'}">${["<b>", html`<i>ok</i>`]}</p>`.text).toBe(
      '<p title="&quot;&gt;&lt;script&gt;">&lt;b&gt;<i>ok</i></p>',
    );
  });
});
