/**
 * Sign in with GitHub, GitHub mocked at the network edge (nock intercepts the handler's fetch):
 * the redirect with its state, the callback (state bound to the browser, code exchanged, the
 * user's repositories read and filtered to the app's installations), the session cookie's flags,
 * tampered and expired cookies, the re-check after five minutes, GitHub Enterprise Server URLs,
 * and the page shown while the dashboard is off.
 */
import nock from "nock";
import { CLIENT_SECRET, cookiePair, request, serve, sessionCookie, USER_TOKEN, type Harness } from "./harness.js";

const REDIRECT_URI = "https://empathy.example.com/dashboard/auth/callback";

function formOf(body: unknown): URLSearchParams {
  return typeof body === "string" ? new URLSearchParams(body) : new URLSearchParams(body as Record<string, string>);
}

/** GitHub's side of one sign-in: the token exchange, /user, and the installations' repositories. */
function mockGitHub(o: { web?: string; api?: string; repos?: string[]; code?: string } = {}) {
  const web = nock(o.web ?? "https://github.com")
    .post("/login/oauth/access_token", (body) => {
      const f = formOf(body);
      return (
        f.get("code") === (o.code ?? "good-code") &&
        f.get("client_secret") === CLIENT_SECRET &&
        f.get("client_id") === "Iv1.client123" &&
        f.get("redirect_uri") === REDIRECT_URI
      );
    })
    .reply(200, { access_token: USER_TOKEN, token_type: "bearer", expires_in: 28800 });
  const repos = o.repos ?? ["Octo/App", "octo/lib"];
  const api = nock(o.api ?? "https://api.github.com", { reqheaders: { authorization: `Bearer ${USER_TOKEN}` } })
    .get("/user")
    .reply(200, { id: 7, login: "octocat" })
    .get("/user/installations")
    .query({ per_page: "100", page: "1" })
    // Installation 9 is another app's: its repositories are not asked for.
    .reply(200, {
      total_count: 2,
      installations: [
        { id: 1, app_id: 42 },
        { id: 9, app_id: 999 },
      ],
    })
    .get("/user/installations/1/repositories")
    .query({ per_page: "100", page: "1" })
    .reply(200, { repositories: repos.map((full_name) => ({ full_name })) });
  return { web, api };
}

/** GET a dashboard page without a session: the redirect's state and the state cookie. */
async function startSignIn(h: Harness, path = "/dashboard") {
  const r = await request(`${h.url}${path}`);
  expect(r.status).toBe(302);
  const location = new URL(r.headers.get("location")!);
  return {
    r,
    location,
    state: location.searchParams.get("state")!,
    stateCookie: cookiePair(r.setCookies.find((c) => c.startsWith("empathy_oauth="))),
  };
}

describe("dashboard sign-in with GitHub", () => {
  let h: Harness;

  beforeAll(() => {
    nock.disableNetConnect();
    nock.enableNetConnect("127.0.0.1");
  });
  afterEach(async () => {
    await h?.close();
    nock.cleanAll();
  });
  afterAll(() => nock.enableNetConnect());

  it("redirects a visitor without a session to GitHub's authorize page, with a state bound to the browser", async () => {
    h = await serve();
    const { r, location, state } = await startSignIn(h, "/dashboard/events?type=test");
    expect(`${location.origin}${location.pathname}`).toBe("https://github.com/login/oauth/authorize");
    expect(location.searchParams.get("client_id")).toBe("Iv1.client123");
    expect(location.searchParams.get("redirect_uri")).toBe(REDIRECT_URI);
    expect(state).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stateCookie = r.setCookies.find((c) => c.startsWith("empathy_oauth="))!;
    expect(stateCookie).toMatch(/; Path=\/dashboard\/auth; Max-Age=600; HttpOnly; SameSite=Lax; Secure$/);
    // Two visits, two states.
    expect((await startSignIn(h)).state).not.toBe(state);
  });

  it("signs in: exchanges the code, reads the user and their repositories of this app, sets the session cookie and returns to the page", async () => {
    h = await serve();
    const gh = mockGitHub();
    const { state, stateCookie } = await startSignIn(h, "/dashboard/events?type=test");
    const cb = await request(`${h.url}/dashboard/auth/callback?code=good-code&state=${state}`, { cookie: stateCookie });
    expect(cb.status).toBe(302);
    expect(cb.headers.get("location")).toBe("/dashboard/events?type=test");
    expect(gh.web.pendingMocks()).toEqual([]);
    expect(gh.api.pendingMocks()).toEqual([]);
    const session = cb.setCookies.find((c) => c.startsWith("empathy_session="))!;
    expect(session).toMatch(/; Path=\/dashboard; Max-Age=28800; HttpOnly; SameSite=Lax; Secure$/);
    expect(cb.setCookies.find((c) => c.startsWith("empathy_oauth="))).toMatch(/Max-Age=0/);
    expect(session).not.toContain(USER_TOKEN); // sealed, not just signed
    expect(session.length).toBeLessThan(4096);

    const home = await request(`${h.url}/dashboard`, { cookie: cookiePair(session) });
    expect(home.status).toBe(200);
    expect(home.text).toContain("Signed in as <strong>octocat</strong>");
    expect(home.text).toContain("<li>octo/app</li>");
    expect(home.text).toContain("<li>octo/lib</li>");
    expect(home.headers.get("content-security-policy")).toContain("script-src 'self'");
    for (const text of [home.text, ...h.logs]) {
      expect(text).not.toContain(USER_TOKEN);
      expect(text).not.toContain(CLIENT_SECRET);
    }
  });

  it("refuses a callback whose state does not match, or comes without the state cookie, before asking GitHub anything", async () => {
    h = await serve();
    const gh = mockGitHub();
    const { state, stateCookie } = await startSignIn(h);
    const other = await startSignIn(h);
    for (const [query, cookie] of [
      [`code=good-code&state=${other.state}`, stateCookie], // another sign-in's state
      [`code=good-code&state=${state}`, undefined], // no state cookie: not this browser
      [`code=good-code&state=${state}`, stateCookie.slice(0, -2) + "xx"], // forged cookie
      [`code=good-code`, stateCookie], // no state at all
    ] as const) {
      const r = await request(`${h.url}/dashboard/auth/callback?${query}`, { cookie });
      expect(r.status).toBe(403);
      expect(r.setCookies.some((c) => c.startsWith("empathy_session="))).toBe(false);
    }
    expect(gh.web.pendingMocks()).toHaveLength(1); // the code was never exchanged
  });

  it("refuses an expired state (more than ten minutes)", async () => {
    h = await serve();
    mockGitHub();
    const { state, stateCookie } = await startSignIn(h);
    h.clock.now += 11 * 60_000;
    expect((await request(`${h.url}/dashboard/auth/callback?code=good-code&state=${state}`, { cookie: stateCookie })).status).toBe(403);
  });

  it("answers 502 when GitHub refuses the code, without leaking what it said", async () => {
    h = await serve();
    nock("https://github.com")
      .post("/login/oauth/access_token")
      .reply(200, { error: "bad_verification_code", error_description: "The code passed is incorrect or expired." });
    const { state, stateCookie } = await startSignIn(h);
    const r = await request(`${h.url}/dashboard/auth/callback?code=stale&state=${state}`, { cookie: stateCookie });
    expect(r.status).toBe(502);
    expect(r.text).not.toContain("incorrect or expired");
  });

  it("treats a tampered or foreign session cookie as no session (redirect to sign in, cookie cleared)", async () => {
    h = await serve();
    const good = sessionCookie({ now: h.clock.now });
    expect((await request(`${h.url}/dashboard`, { cookie: good })).status).toBe(200);
    const [name, value] = good.split("=");
    const [box, mac] = value.split(".");
    const flipped = `${box.slice(0, 20)}${box[20] === "A" ? "B" : "A"}${box.slice(21)}`;
    for (const bad of [
      `${name}=${flipped}.${mac}`,
      `${name}=${box}.${mac.slice(1)}x`,
      `${name}=${box}`,
      sessionCookie({ now: h.clock.now }, "another-secret-of-another-installation-xyz"),
      `${name}=${"A".repeat(5000)}`,
    ]) {
      const r = await request(`${h.url}/dashboard`, { cookie: bad });
      expect(r.status).toBe(302);
      expect(r.headers.get("location")).toMatch(/^https:\/\/github\.com\/login\/oauth\/authorize\?/);
      expect(r.setCookies.find((c) => c.startsWith("empathy_session="))).toMatch(/Max-Age=0/);
    }
  });

  it("sends an expired session to sign in again", async () => {
    h = await serve();
    const cookie = sessionCookie({ now: h.clock.now, expiresAt: h.clock.now + 60_000 });
    expect((await request(`${h.url}/dashboard`, { cookie })).status).toBe(200);
    h.clock.now += 61_000;
    const r = await request(`${h.url}/dashboard`, { cookie });
    expect(r.status).toBe(302);
    expect(r.headers.get("location")).toContain("/login/oauth/authorize");
  });

  it("asks GitHub for the repositories again after five minutes, and signs out a session whose token GitHub refuses", async () => {
    h = await serve();
    const cookie = sessionCookie({ now: h.clock.now, repos: ["octo/app", "octo/gone"] });
    h.clock.now += 5 * 60_000 + 1;
    const api = nock("https://api.github.com")
      .get("/user/installations")
      .query(true)
      .reply(200, { installations: [{ id: 1, app_id: 42 }] })
      .get("/user/installations/1/repositories")
      .query(true)
      .reply(200, { repositories: [{ full_name: "octo/app" }] });
    const r = await request(`${h.url}/dashboard`, { cookie });
    expect(r.status).toBe(200);
    expect(api.pendingMocks()).toEqual([]);
    expect(r.text).toContain("<li>octo/app</li>");
    expect(r.text).not.toContain("octo/gone");
    const renewed = cookiePair(r.setCookies.find((c) => c.startsWith("empathy_session=")));
    expect(renewed).toMatch(/^empathy_session=/);
    // Within five minutes of the re-check: no GitHub call (nock would refuse one).
    expect((await request(`${h.url}/dashboard`, { cookie: renewed })).status).toBe(200);

    h.clock.now += 5 * 60_000 + 1;
    nock("https://api.github.com").get("/user/installations").query(true).reply(401, { message: "Bad credentials" });
    const revoked = await request(`${h.url}/dashboard`, { cookie: renewed });
    expect(revoked.status).toBe(302);
    expect(revoked.headers.get("location")).toContain("/login/oauth/authorize");
  });

  it("answers 503 (not a stale list) when GitHub does not answer the re-check", async () => {
    h = await serve();
    const cookie = sessionCookie({ now: h.clock.now });
    h.clock.now += 6 * 60_000;
    nock("https://api.github.com").get("/user/installations").query(true).reply(502, "bad gateway");
    const r = await request(`${h.url}/dashboard`, { cookie });
    expect(r.status).toBe(503);
    expect(r.text).toContain("GitHub did not answer");
  });

  it("uses GitHub Enterprise Server's URLs: authorize and token on GHE_HOST, the API under /api/v3", async () => {
    h = await serve({}, { gheHost: "ghe.example.com", gheProtocol: "https" });
    const gh = mockGitHub({ web: "https://ghe.example.com", api: "https://ghe.example.com/api/v3" });
    const { location, state, stateCookie } = await startSignIn(h);
    expect(`${location.origin}${location.pathname}`).toBe("https://ghe.example.com/login/oauth/authorize");
    const cb = await request(`${h.url}/dashboard/auth/callback?code=good-code&state=${state}`, { cookie: stateCookie });
    expect(cb.status).toBe(302);
    expect(gh.web.pendingMocks()).toEqual([]);
    expect(gh.api.pendingMocks()).toEqual([]);
  });

  it("never redirects outside the dashboard after sign-in", async () => {
    h = await serve();
    for (const path of [
      "/dashboard//evil.example.com",
      "/dashboard/x%2F..%2F..%2Fadmin",
      "/dashboard/%2F%2Fevil.example.com",
      "/dashboard\\@evil.example.com",
    ]) {
      nock.cleanAll();
      mockGitHub();
      const { state, stateCookie } = await startSignIn(h, path);
      const cb = await request(`${h.url}/dashboard/auth/callback?code=good-code&state=${state}`, { cookie: stateCookie });
      expect(cb.headers.get("location")).toBe("/dashboard");
    }
  });

  it("serves behind a path prefix: links, cookies and the return path carry the public URL's path", async () => {
    h = await serve({}, { publicUrl: "https://example.com/bot/" });
    const { r, location } = await startSignIn(h, "/dashboard/events");
    expect(location.searchParams.get("redirect_uri")).toBe("https://example.com/bot/dashboard/auth/callback");
    expect(r.setCookies[0]).toContain("; Path=/bot/dashboard/auth;");
    const page = await request(`${h.url}/dashboard`, { cookie: sessionCookie({ now: h.clock.now }) });
    expect(page.text).toContain('href="/bot/dashboard/events"');
    expect(page.text).toContain('action="/bot/dashboard/auth/logout"');
  });

  it("is off without the OAuth credentials, and says which variables turn it on", async () => {
    h = await serve({}, { clientId: undefined, clientSecret: undefined, publicUrl: undefined });
    const r = await request(`${h.url}/dashboard`);
    expect(r.status).toBe(503);
    for (const name of [
      "GITHUB_CLIENT_ID",
      "GITHUB_CLIENT_SECRET",
      "EMPATHY_PUBLIC_URL",
      "EMPATHY_SESSION_SECRET",
      "EMPATHY_DASHBOARD_ADMINS",
    ])
      expect(r.text).toContain(name);
    expect((await request(`${h.url}/dashboard/assets/dashboard.css`)).status).toBe(200);
    expect((await request(`${h.url}/health`)).status).toBe(404); // not the dashboard's
  });

  it("keeps the session when the repository list is too big for a cookie, and another instance reads GitHub again", async () => {
    const many = Array.from({ length: 250 }, (_, i) => `some-organisation/repository-number-${i}`);
    h = await serve();
    const gh = mockGitHub({ repos: many.slice(0, 100) });
    nock("https://api.github.com")
      .get("/user/installations/1/repositories")
      .query({ per_page: "100", page: "2" })
      .reply(200, { repositories: many.slice(100, 200).map((full_name) => ({ full_name })) });
    nock("https://api.github.com")
      .get("/user/installations/1/repositories")
      .query({ per_page: "100", page: "3" })
      .reply(200, { repositories: many.slice(200).map((full_name) => ({ full_name })) });
    const { state, stateCookie } = await startSignIn(h);
    const cb = await request(`${h.url}/dashboard/auth/callback?code=good-code&state=${state}`, { cookie: stateCookie });
    expect(gh.api.pendingMocks()).toEqual([]);
    const session = cb.setCookies.find((c) => c.startsWith("empathy_session="))!;
    expect(session.length).toBeLessThan(4000);
    const home = await request(`${h.url}/dashboard`, { cookie: cookiePair(session) });
    expect(home.text).toContain("Your repositories (250)");

    // Another instance (same secret, empty cache): it asks GitHub, then answers the same.
    const other = await serve();
    try {
      other.clock.now = h.clock.now;
      const again = nock("https://api.github.com")
        .get("/user/installations")
        .query(true)
        .reply(200, { installations: [{ id: 1, app_id: 42 }] })
        .get("/user/installations/1/repositories")
        .query({ per_page: "100", page: "1" })
        .reply(200, { repositories: many.slice(0, 100).map((full_name) => ({ full_name })) })
        .get("/user/installations/1/repositories")
        .query({ per_page: "100", page: "2" })
        .reply(200, { repositories: many.slice(100, 200).map((full_name) => ({ full_name })) })
        .get("/user/installations/1/repositories")
        .query({ per_page: "100", page: "3" })
        .reply(200, { repositories: many.slice(200).map((full_name) => ({ full_name })) });
      const there = await request(`${other.url}/dashboard`, { cookie: cookiePair(session) });
      expect(there.text).toContain("Your repositories (250)");
      expect(again.pendingMocks()).toEqual([]);
    } finally {
      await other.close();
    }
  });
});
