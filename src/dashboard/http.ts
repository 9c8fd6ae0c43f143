/**
 * Small HTTP helpers of the dashboard: cookies (read bounded, written with the flags the session
 * needs), pages with the security headers, redirects, and a bounded form body.
 */
import type { IncomingMessage, ServerResponse } from "node:http";

/** Browsers keep at most ~4 KB per cookie; a bigger Cookie header is not ours to parse. */
const MAX_COOKIE_HEADER = 16 * 1024;
/** Forms of the dashboard are a CSRF token and a few fields. */
const MAX_FORM_BYTES = 8 * 1024;

/** Scripts, styles and connections only from the app itself; no framing; forms post back here. */
const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

export const SECURITY_HEADERS: Record<string, string> = {
  "content-security-policy": CSP,
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
  "referrer-policy": "same-origin",
  "cross-origin-opener-policy": "same-origin",
};

/** The request's cookies by name; the first of a repeated name wins; an oversized header gives none. */
export function readCookies(req: IncomingMessage): Map<string, string> {
  const out = new Map<string, string>();
  const header = req.headers.cookie;
  if (typeof header !== "string" || header.length > MAX_COOKIE_HEADER) return out;
  for (const part of header.split(";")) {
    const eq = part.indexOf("=");
    if (eq < 0) continue;
    const name = part.slice(0, eq).trim();
    if (name && !out.has(name)) out.set(name, part.slice(eq + 1).trim());
  }
  return out;
}

export interface CookieOptions {
  path: string;
  /** Seconds; 0 deletes the cookie. */
  maxAge: number;
  secure: boolean;
}

/** httpOnly and SameSite=Lax always: no script reads it, and a cross-site POST does not carry it. */
export function cookie(name: string, value: string, o: CookieOptions): string {
  return `${name}=${value}; Path=${o.path}; Max-Age=${Math.max(0, Math.floor(o.maxAge))}; HttpOnly; SameSite=Lax${o.secure ? "; Secure" : ""}`;
}

export function sendHtml(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  html: string,
  headers: Record<string, string | string[]> = {},
): true {
  const body = Buffer.from(html, "utf8");
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "content-type": "text/html; charset=utf-8",
    "cache-control": "no-store",
    "content-length": body.length,
    ...headers,
  });
  res.end(req.method === "HEAD" ? undefined : body);
  return true;
}

export function sendText(
  req: IncomingMessage,
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string | string[]> = {},
): true {
  const body = Buffer.from(text, "utf8");
  res.writeHead(status, {
    ...SECURITY_HEADERS,
    "content-type": "text/plain; charset=utf-8",
    "cache-control": "no-store",
    "content-length": body.length,
    ...headers,
  });
  res.end(req.method === "HEAD" ? undefined : body);
  return true;
}

export function redirect(res: ServerResponse, location: string, headers: Record<string, string | string[]> = {}): true {
  res.writeHead(302, { ...SECURITY_HEADERS, location, "cache-control": "no-store", "content-length": 0, ...headers });
  res.end();
  return true;
}

/** A url-encoded form body, or null when it is too big, of another type, or not fully read. */
export function readForm(req: IncomingMessage): Promise<URLSearchParams | null> {
  const type = String(req.headers["content-type"] ?? "")
    .split(";")[0]
    .trim()
    .toLowerCase();
  if (type !== "application/x-www-form-urlencoded") {
    req.resume();
    return Promise.resolve(null);
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (value: URLSearchParams | null) => {
      if (!done) {
        done = true;
        resolve(value);
      }
    };
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM_BYTES) {
        req.removeAllListeners("data");
        req.resume(); // drain without keeping it
        finish(null);
      } else chunks.push(c);
    });
    req.on("end", () => finish(new URLSearchParams(Buffer.concat(chunks).toString("utf8"))));
    req.on("error", () => finish(null));
  });
}
