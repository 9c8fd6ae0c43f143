/**
 * The dashboard's static files, served by the app itself (installations behind firewalls reach
 * no CDN): its stylesheet and scripts (text compiled into the app: the live events' and the
 * charts'), and uPlot, the chart library of the chart pages, read once from node_modules. Public files: no session needed.
 */
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { IncomingMessage, ServerResponse } from "node:http";
import { CHART_JS } from "./chartScript.js";
import { CLIENT_JS } from "./clientScript.js";
import { STYLES_CSS } from "./styles.js";
import { SECURITY_HEADERS } from "./http.js";

interface Asset {
  type: string;
  body: Buffer;
  etag: string;
}

type Source = { type: string; text: () => string | Buffer };

const JS = "text/javascript; charset=utf-8";
const CSS = "text/css; charset=utf-8";
const fromPackage = (file: string) => () => readFileSync(createRequire(import.meta.url).resolve(file));

const SOURCES: Record<string, Source> = {
  "dashboard.css": { type: CSS, text: () => STYLES_CSS },
  "dashboard.js": { type: JS, text: () => CLIENT_JS },
  "insights.js": { type: JS, text: () => CHART_JS },
  "uplot.min.js": { type: JS, text: fromPackage("uplot/dist/uPlot.iife.min.js") },
  "uplot.min.css": { type: CSS, text: fromPackage("uplot/dist/uPlot.min.css") },
};

const loaded = new Map<string, Asset>();

function asset(name: string): Asset | undefined {
  const source = Object.hasOwn(SOURCES, name) ? SOURCES[name] : undefined;
  if (!source) return undefined;
  let a = loaded.get(name);
  if (!a) {
    const raw = source.text();
    const body = typeof raw === "string" ? Buffer.from(raw, "utf8") : raw;
    a = { type: source.type, body, etag: `"${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"` };
    loaded.set(name, a);
  }
  return a;
}

/** Answers GET/HEAD /dashboard/assets/NAME; false for a name that is not an asset. */
export function serveAsset(req: IncomingMessage, res: ServerResponse, name: string): boolean {
  const a = asset(name);
  if (!a) return false;
  const headers = { ...SECURITY_HEADERS, "content-type": a.type, etag: a.etag, "cache-control": "public, max-age=3600" };
  if (req.headers["if-none-match"] === a.etag) {
    res.writeHead(304, headers);
    res.end();
    return true;
  }
  res.writeHead(200, { ...headers, "content-length": a.body.length });
  res.end(req.method === "HEAD" ? undefined : a.body);
  return true;
}
