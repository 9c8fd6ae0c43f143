/**
 * Server-rendered HTML: one escaping function every value goes through, and the page layout
 * (landmarks, skip link, navigation, the sign-out form with its CSRF token).
 */

const ESCAPES: Record<string, string> = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text for element content and quoted attribute values. */
export function esc(value: unknown): string {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** Markup already escaped, built by `html`. */
export class Html {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

/** A template tag: interpolated values are escaped unless they are Html (or arrays of it). */
export function html(strings: TemplateStringsArray, ...values: unknown[]): Html {
  let out = strings[0];
  for (let i = 0; i < values.length; i++) out += render(values[i]) + strings[i + 1];
  return new Html(out);
}

function render(v: unknown): string {
  if (v instanceof Html) return v.text;
  if (Array.isArray(v)) return v.map(render).join("");
  if (v === undefined || v === null || v === false) return "";
  return esc(v);
}

export interface Viewer {
  login: string;
  admin: boolean;
  csrf: string;
}

export interface LayoutOptions {
  title: string;
  /** The prefix of every link (the public URL's path, often ""). */
  base: string;
  viewer?: Viewer;
  /** Which navigation entry is the current page. */
  current?: "home" | "events" | "predictions" | "trust" | "reviews" | "webhooks";
  /** Extra script paths under /dashboard/assets/. */
  scripts?: string[];
  /** Extra stylesheet paths under /dashboard/assets/ (a chart library's). */
  styles?: string[];
}

export function layout(o: LayoutOptions, body: Html): string {
  const a = (path: string) => `${o.base}/dashboard${path}`;
  const nav = (key: LayoutOptions["current"], path: string, label: string) =>
    html`<li><a href="${a(path)}"${o.current === key ? new Html(' aria-current="page"') : ""}>${label}</a></li>`;
  const viewer = o.viewer
    ? html`<nav aria-label="Dashboard">
        <ul>${nav("home", "", "Overview")}${nav("events", "/events", "Live events")}${nav("predictions", "/predictions", "Predictions")}${nav("trust", "/trust", "Trust")}${nav("reviews", "/reviews", "Reviews")}${o.viewer.admin ? nav("webhooks", "/webhooks", "Webhooks") : ""}</ul>
      </nav>
      <form class="signout" method="post" action="${a("/auth/logout")}">
        <input type="hidden" name="_csrf" value="${o.viewer.csrf}">
        <span>Signed in as <strong>${o.viewer.login}</strong></span>
        <button type="submit">Sign out</button>
      </form>`
    : "";
  const scripts = (o.scripts ?? []).map((s) => html`<script src="${a(`/assets/${s}`)}" defer></script>`);
  const styles = (o.styles ?? []).map((s) => html`<link rel="stylesheet" href="${a(`/assets/${s}`)}">`);
  return `<!doctype html>${
    html`<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} · Empathy bot</title>
${styles}<link rel="stylesheet" href="${a("/assets/dashboard.css")}">
${scripts}
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="top" role="banner"><span class="brand">Empathy bot</span>${viewer}</header>
<main id="main" tabindex="-1">
<h1>${o.title}</h1>
${body}
</main>
<footer role="contentinfo"><p>Empathy bot dashboard</p></footer>
</body>
</html>`.text
  }`;
}
