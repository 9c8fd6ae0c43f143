/**
 * A minimal Server-Sent Events reader for the stream tests, over a raw TCP socket (node:net)
 * rather than node:http: an HTTP interceptor another suite left in this jest worker (nock patches
 * node:http for the whole process) cannot stand between it and the server, so closing it closes
 * the server's socket at once, as a browser leaving does.
 */
import { connect, type Socket } from "node:net";
import type { IncomingHttpHeaders } from "node:http";

export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

export interface SseClient {
  status: number;
  headers: IncomingHttpHeaders;
  messages: SseMessage[];
  /** Resolves with the first message (from the start) that matches, or rejects after the time limit. */
  waitFor(match: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  /** Resolves when the server ends or drops the stream. */
  ended: Promise<void>;
  close(): void;
}

/** Parses the SSE blocks in `buffer`; returns what is left of it. */
function parseBlocks(buffer: string, messages: SseMessage[]): string {
  let end: number;
  while ((end = buffer.indexOf("\n\n")) >= 0) {
    const block = buffer.slice(0, end);
    buffer = buffer.slice(end + 2);
    const m: SseMessage = {};
    for (const line of block.split("\n")) {
      if (line.startsWith(":")) m.comment = line.slice(1).trim();
      else {
        const colon = line.indexOf(":");
        const field = line.slice(0, colon);
        const value = line.slice(colon + 1).replace(/^ /, "");
        if (field === "id" || field === "event" || field === "data") m[field] = value;
      }
    }
    messages.push(m);
  }
  return buffer;
}

/** Decodes the chunks of a chunked body in `raw`; returns the decoded text and what is left undecoded. */
function dechunk(raw: Buffer): { text: string; rest: Buffer; done: boolean } {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = raw.indexOf("\r\n", at);
    if (lineEnd < 0) break;
    const size = parseInt(raw.subarray(at, lineEnd).toString("latin1"), 16);
    if (size === 0) return { text: Buffer.concat(parts).toString("utf8"), rest: Buffer.alloc(0), done: true };
    if (raw.length < lineEnd + 2 + size + 2) break;
    parts.push(raw.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return { text: Buffer.concat(parts).toString("utf8"), rest: raw.subarray(at), done: false };
}

export function openStream(url: string, headers: Record<string, string>): Promise<SseClient> {
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(Number(target.port), target.hostname);
    const messages: SseMessage[] = [];
    const waiters = new Set<() => void>();
    let head: Buffer<ArrayBufferLike> | undefined = Buffer.alloc(0);
    let body: Buffer<ArrayBufferLike> = Buffer.alloc(0);
    let chunked = false;
    let text = "";
    let endStream: () => void = () => {};
    const ended = new Promise<void>((done) => (endStream = done));
    socket.on("error", (err) => {
      if (head) reject(err);
      endStream();
    });
    socket.on("close", () => endStream());
    const lines = Object.entries({ host: target.host, accept: "text/event-stream", ...headers }).map(([k, v]) => `${k}: ${v}\r\n`);
    socket.write(`GET ${target.pathname}${target.search} HTTP/1.1\r\n${lines.join("")}\r\n`);
    const feed = (decoded: string) => {
      text = parseBlocks(text + decoded, messages);
      for (const w of [...waiters]) w();
    };
    socket.on("data", (data: Buffer) => {
      if (head) {
        head = Buffer.concat([head, data]);
        const split = head.indexOf("\r\n\r\n");
        if (split < 0) return;
        const [statusLine, ...fields] = head.subarray(0, split).toString("latin1").split("\r\n");
        const parsed: IncomingHttpHeaders = {};
        for (const f of fields) {
          const colon = f.indexOf(":");
          parsed[f.slice(0, colon).trim().toLowerCase()] = f.slice(colon + 1).trim();
        }
        chunked = /chunked/i.test(String(parsed["transfer-encoding"] ?? ""));
        const rest = head.subarray(split + 4);
        head = undefined;
        resolve({
          status: Number(statusLine.split(" ")[1]),
          headers: parsed,
          messages,
          ended,
          close: () => socket.destroy(),
          waitFor: (match, timeoutMs = 3000) =>
            new Promise((ok, fail) => {
              const check = () => {
                const found = messages.find(match);
                if (found) {
                  waiters.delete(check);
                  clearTimeout(timer);
                  ok(found);
                }
              };
              const timer = setTimeout(() => {
                waiters.delete(check);
                fail(new Error(`no matching message within ${timeoutMs} ms; got ${JSON.stringify(messages)}`));
              }, timeoutMs);
              waiters.add(check);
              check();
            }),
        });
        data = rest;
      }
      if (!chunked) return feed(data.toString("utf8"));
      const out = dechunk(Buffer.concat([body, data]));
      body = out.rest;
      feed(out.text);
      if (out.done) socket.end();
    });
  });
}

/** The envelope of a data message. */
export function envelopeOf(m: SseMessage): { id: string; event_type: string; data: Record<string, unknown> } {
  return JSON.parse(m.data ?? "null");
}
