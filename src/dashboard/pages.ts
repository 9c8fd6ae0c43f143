/** The dashboard's simple pages: off, overview, signed out and errors. */
import { REQUIRED_VARIABLES } from "./settings.js";
import { html, layout, type Viewer } from "./html.js";

/** Shown while the dashboard is off: what to set (names only, never a value). */
export function offPage(base: string, problems: string[]): string {
  return layout(
    { title: "The dashboard is off", base },
    html`<p>The dashboard needs the GitHub App's OAuth credentials and the app's public address. Set these environment variables and restart the app:</p>
<dl>
<dt><code>GITHUB_CLIENT_ID</code>, <code>GITHUB_CLIENT_SECRET</code></dt>
<dd>The GitHub App's client id and a client secret (the app's settings page on GitHub; Probot's setup page writes them to <code>.env</code>).</dd>
<dt><code>EMPATHY_PUBLIC_URL</code></dt>
<dd>The app's public base URL, e.g. <code>https://empathy.example.com</code>. Add <code>EMPATHY_PUBLIC_URL/dashboard/auth/callback</code> as a callback URL in the GitHub App's settings.</dd>
<dt><code>EMPATHY_SESSION_SECRET</code> (optional)</dt>
<dd>At least 32 random characters to sign sessions; without it the app generates one and keeps it in its store.</dd>
<dt><code>EMPATHY_DASHBOARD_ADMINS</code> (optional)</dt>
<dd>Comma-separated GitHub logins allowed on the operator-wide pages (webhooks and integrations).</dd>
</dl>
<h2>What is missing</h2>
<ul>${problems.map((p) => html`<li>${p}</li>`)}</ul>
<p>Required: ${REQUIRED_VARIABLES.join(", ")}.</p>`,
  );
}

export function homePage(base: string, viewer: Viewer, repos: string[], truncated: boolean): string {
  const shown = repos.slice(0, 500);
  return layout(
    { title: "Overview", base, viewer, current: "home" },
    html`<p>You see the events and figures of the repositories below: those of the app's installations your GitHub account can access.</p>
${truncated ? html`<p class="notice">You can access more repositories than the dashboard reads at once; some are not listed, and their events and figures are not shown.</p>` : ""}
<nav aria-label="Dashboard pages"><ul class="links">
<li><a href="${base}/dashboard/events">Live events</a>: what the bot does, as it happens, and the stored history.</li>
<li><a href="${base}/dashboard/predictions">Predictions</a>: every prediction and what became of it; accuracy over time and calibration.</li>
<li><a href="${base}/dashboard/trust">Trust</a>: the bot's trust in each author, over time, and the circuit breaker per repository.</li>
<li><a href="${base}/dashboard/reviews">Reviews</a>: the pull requests reviewed, their level, findings and time to review.</li>
${viewer.admin ? html`<li><a href="${base}/dashboard/webhooks">Webhooks and integrations</a>: deliveries, failures and replays (administrators).</li>` : ""}
</ul></nav>
<h2>Your repositories (${repos.length})</h2>
${repos.length === 0 ? html`<p>None: the app is not installed on a repository your account can access.</p>` : html`<ul class="repos">${shown.map((r) => html`<li>${r}</li>`)}</ul>`}
${repos.length > shown.length ? html`<p>…and ${repos.length - shown.length} more.</p>` : ""}`,
  );
}

export function signedOutPage(base: string): string {
  return layout(
    { title: "Signed out", base },
    html`<p>You are signed out of the dashboard.</p><p><a href="${base}/dashboard">Sign in with GitHub</a></p>`,
  );
}

/** An error page: the message is ours (never a value from the request or GitHub). */
export function errorPage(base: string, title: string, message: string, viewer?: Viewer): string {
  return layout(
    { title, base, viewer },
    html`<p class="notice error" role="alert">${message}</p><p><a href="${base}/dashboard">Back to the dashboard</a></p>`,
  );
}

export function forbiddenPage(base: string, viewer: Viewer): string {
  return errorPage(base, "Not allowed", "This page is for the dashboard's administrators (EMPATHY_DASHBOARD_ADMINS).", viewer);
}
