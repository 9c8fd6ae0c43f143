/**
 * What a signed-in person may do: POSTs need the session's CSRF token (and no foreign Origin),
 * sign-out is a POST, operator-wide pages are for EMPATHY_DASHBOARD_ADMINS only, and the events
 * page offers and reads only the viewer's repositories.
 */
import type { AnyEventEnvelope } from "../../src/events/catalog.js";
import type { StoredEventQuery } from "../../src/dashboard/history.js";
import { cookiePair, request, serve, sessionCookie, USER_TOKEN, type Harness } from "./harness.js";

/** The CSRF token of the page's sign-out form. */
function csrfOf(page: string): string {
  const m = /name="_csrf" value="([^"]+)"/.exec(page);
  if (!m) throw new Error("no CSRF token in the page");
  return m[1];
}

describe("dashboard access", () => {
  let h: Harness;
  afterEach(async () => h?.close());

  it("refuses a POST without the session's CSRF token, or from another origin, with 403; signs out with it", async () => {
    const github: { url: string; init: RequestInit }[] = [];
    h = await serve({
      fetch: async (url, init) => {
        github.push({ url, init });
        return new Response(null, { status: 204 });
      },
    });
    const cookie = sessionCookie({ now: h.clock.now });
    const page = await request(`${h.url}/dashboard`, { cookie });
    const token = csrfOf(page.text);
    const logout = `${h.url}/dashboard/auth/logout`;
    const other = csrfOf((await request(`${h.url}/dashboard`, { cookie: sessionCookie({ now: h.clock.now }) })).text);
    const attempts: { body: string; headers?: Record<string, string> }[] = [
      { body: "" },
      { body: "_csrf=" },
      { body: `_csrf=${other}` }, // another session's token
      { body: `_csrf=${token.slice(0, -1)}${token.endsWith("A") ? "B" : "A"}` }, // one character changed
      { body: `_csrf=${token}`, headers: { origin: "https://evil.example.com" } },
      { body: `_csrf=${token}`, headers: { "sec-fetch-site": "cross-site" } },
      { body: JSON.stringify({ _csrf: token }), headers: { "content-type": "application/json" } },
      { body: `_csrf=${token}&pad=${"x".repeat(10_000)}` },
    ];
    for (const attempt of attempts) {
      const r = await request(logout, { method: "POST", cookie, ...attempt });
      expect(r.status).toBe(403);
      expect(r.setCookies).toEqual([]);
    }
    // Another POST route, without a token: refused before anything else.
    expect((await request(`${h.url}/dashboard/webhooks/replay`, { method: "POST", cookie, body: "id=1" })).status).toBe(403);

    const ok = await request(logout, {
      method: "POST",
      cookie,
      body: `_csrf=${encodeURIComponent(token)}`,
      headers: { origin: "https://empathy.example.com" },
    });
    expect(ok.status).toBe(302);
    expect(ok.headers.get("location")).toBe("/dashboard/signed-out");
    expect(ok.setCookies[0]).toMatch(/^empathy_session=; Path=\/dashboard; Max-Age=0/);
    expect(h.logs.some((l) => l.includes("signed out") && l.includes("octocat"))).toBe(true);
    // The token is revoked at GitHub, so a copied cookie dies at its next re-check.
    expect(github).toHaveLength(1);
    expect(github[0].url).toBe("https://api.github.com/applications/Iv1.client123/token");
    expect(github[0].init.method).toBe("DELETE");
    expect(JSON.parse(String(github[0].init.body))).toEqual({ access_token: USER_TOKEN });
    // Sign-out is never a GET: a link or an image cannot sign anyone out.
    const fresh = sessionCookie({ now: h.clock.now });
    const get = await request(logout, { cookie: fresh });
    expect(get.status).toBe(404);
    expect(get.setCookies).toEqual([]);
  });

  it("lets only EMPATHY_DASHBOARD_ADMINS see the operator-wide pages (others get 403)", async () => {
    h = await serve();
    const user = await request(`${h.url}/dashboard/webhooks`, { cookie: sessionCookie({ now: h.clock.now, login: "octocat" }) });
    expect(user.status).toBe(403);
    expect(user.text).not.toContain('href="/dashboard/webhooks"');
    const admin = await request(`${h.url}/dashboard/webhooks`, { cookie: sessionCookie({ now: h.clock.now, login: "Root-Admin" }) });
    expect(admin.status).toBe(200);
    expect(admin.text).toContain('href="/dashboard/webhooks" aria-current="page"');
  });

  it("offers and reads only the viewer's repositories on the events page", async () => {
    const queries: StoredEventQuery[] = [];
    const stored: AnyEventEnvelope = {
      id: "e-1",
      event_type: "test",
      timestamp: "2026-12-05T05:00:00.000Z",
      data: { repo: "octo/app", note: "<script>alert(1)</script>" },
    } as AnyEventEnvelope;
    h = await serve({
      history: {
        listEvents: async (q) => {
          queries.push(q);
          return { events: [stored], next: "cursor-2" };
        },
      },
    });
    const cookie = sessionCookie({ now: h.clock.now, repos: ["octo/app", "octo/lib"] });
    const page = await request(`${h.url}/dashboard/events?repo=octo/app&repo=someone/else&type=test&type=bad%20type`, { cookie });
    expect(page.status).toBe(200);
    expect(queries).toEqual([{ repos: ["octo/app"], includeUnscoped: false, types: ["test"], before: undefined, limit: 50 }]);
    expect(page.text).toContain("<option>octo/lib</option>");
    expect(page.text).not.toContain("someone/else");
    expect(page.text).not.toContain("<script>alert(1)");
    expect(page.text).toContain("&lt;script&gt;alert(1)&lt;/script&gt;");
    expect(page.text).toContain('href="/dashboard/events?type=test&amp;repo=octo%2Fapp&amp;before=cursor-2"');
    // Labelled controls and landmarks.
    expect(page.text).toMatch(/<label for="f-type">/);
    expect(page.text).toMatch(/<label for="f-repo">/);
    expect(page.text).toContain('<main id="main"');
    expect(page.text).toContain('role="status"');

    await request(`${h.url}/dashboard/events`, { cookie });
    expect(queries[1]).toMatchObject({ repos: ["octo/app", "octo/lib"], includeUnscoped: false, types: undefined });
  });

  it("serves its assets and uPlot from the app, with a validator", async () => {
    h = await serve();
    for (const [name, type] of [
      ["dashboard.css", "text/css"],
      ["dashboard.js", "text/javascript"],
      ["uplot.min.js", "text/javascript"],
      ["uplot.min.css", "text/css"],
    ]) {
      const r = await request(`${h.url}/dashboard/assets/${name}`);
      expect(r.status).toBe(200);
      expect(r.headers.get("content-type")).toContain(type);
      expect((await request(`${h.url}/dashboard/assets/${name}`, { headers: { "if-none-match": r.headers.get("etag")! } })).status).toBe(
        304,
      );
    }
    expect((await request(`${h.url}/dashboard/assets/uplot.min.js`)).text).toContain("uPlot");
    expect((await request(`${h.url}/dashboard/assets/..%2Fhandler.ts`)).status).toBe(404);
    expect((await request(`${h.url}/dashboard/assets/toString`)).status).toBe(404);
  });

  it("answers unknown pages 404 and other methods 405", async () => {
    h = await serve();
    const cookie = sessionCookie({ now: h.clock.now });
    expect((await request(`${h.url}/dashboard/nope`, { cookie })).status).toBe(404);
    expect((await request(`${h.url}/dashboard`, { method: "DELETE", cookie })).status).toBe(405);
    expect((await request(`${h.url}/dashboardx`)).text).toBe("no handler");
    expect(cookiePair("a=b; Path=/")).toBe("a=b");
  });
});
