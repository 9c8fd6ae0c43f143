/** A minimal Server-Sent Events reader over node:http, for the stream tests. */
import { get, type ClientRequest, type IncomingMessage } from "node:http";

export interface SseMessage {
  id?: string;
  event?: string;
  data?: string;
  comment?: string;
}

export interface SseClient {
  status: number;
  headers: IncomingMessage["headers"];
  messages: SseMessage[];
  /** Resolves with the first message (from the start) that matches, or rejects after the time limit. */
  waitFor(match: (m: SseMessage) => boolean, timeoutMs?: number): Promise<SseMessage>;
  /** Resolves when the server ends or drops the stream. */
  ended: Promise<void>;
  close(): void;
}

export function openStream(url: string, headers: Record<string, string>): Promise<SseClient> {
  return new Promise((resolve, reject) => {
    const req: ClientRequest = get(url, { headers: { accept: "text/event-stream", ...headers } }, (res) => {
      const messages: SseMessage[] = [];
      const waiters = new Set<() => void>();
      let buffer = "";
      res.setEncoding("utf8");
      res.on("data", (chunk: string) => {
        buffer += chunk;
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
        for (const w of [...waiters]) w();
      });
      const ended = new Promise<void>((done) => {
        res.on("end", done);
        res.on("close", done);
        res.on("error", () => done());
      });
      resolve({
        status: res.statusCode ?? 0,
        headers: res.headers,
        messages,
        ended,
        close: () => req.destroy(),
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
    });
    req.on("error", reject);
  });
}

/** The envelope of a data message. */
export function envelopeOf(m: SseMessage): { id: string; event_type: string; data: Record<string, unknown> } {
  return JSON.parse(m.data ?? "null");
}
