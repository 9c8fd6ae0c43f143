/**
 * A stand-in for an OpenAI-compatible chat-completions endpoint, on loopback: a real HTTP server
 * that records every request (path, headers, raw body) and answers as `mode` says.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type StandInMode =
  /** 200 with `content` (a function of the request's messages, or a text) and, with `usage`, token counts. */
  | {
      kind: "answer";
      content: string | ((messages: { role: string; content: string }[]) => string);
      usage?: { prompt: number; completion: number };
    }
  /** Answers after `delayMs` (beyond the client's timeout). */
  | { kind: "slow"; delayMs: number }
  | { kind: "status"; status: number }
  | { kind: "malformed" }
  | { kind: "empty" }
  /** A body of `bytes` bytes. */
  | { kind: "huge"; bytes: number }
  | { kind: "redirect"; location: string };

export interface StandIn {
  url: string;
  requests: RecordedRequest[];
  mode: StandInMode;
  close(): Promise<void>;
}

export async function startStandIn(mode: StandInMode = { kind: "answer", content: "ok" }): Promise<StandIn> {
  const pending = new Set<NodeJS.Timeout>();
  const standIn = { url: "", requests: [] as RecordedRequest[], mode, close: async () => undefined };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks).toString("utf8");
      standIn.requests.push({ method: req.method ?? "", path: req.url ?? "", headers: req.headers, body });
      const m = standIn.mode;
      const json = (status: number, value: unknown) => {
        res.writeHead(status, { "content-type": "application/json" });
        res.end(JSON.stringify(value));
      };
      switch (m.kind) {
        case "answer": {
          const messages = (JSON.parse(body) as { messages: { role: string; content: string }[] }).messages;
          const content = typeof m.content === "function" ? m.content(messages) : m.content;
          json(200, {
            id: "chatcmpl-1",
            object: "chat.completion",
            choices: [{ index: 0, message: { role: "assistant", content }, finish_reason: "stop" }],
            ...(m.usage
              ? {
                  usage: {
                    prompt_tokens: m.usage.prompt,
                    completion_tokens: m.usage.completion,
                    total_tokens: m.usage.prompt + m.usage.completion,
                  },
                }
              : {}),
          });
          return;
        }
        case "slow": {
          const t = setTimeout(() => {
            pending.delete(t);
            if (!res.destroyed) json(200, { choices: [{ message: { content: "late" } }] });
          }, m.delayMs);
          pending.add(t);
          return;
        }
        case "status":
          json(m.status, { error: { message: "stand-in failure" } });
          return;
        case "malformed":
          res.writeHead(200, { "content-type": "application/json" });
          res.end('{"choices": [{"message": {"content": "half');
          return;
        case "empty":
          json(200, { choices: [{ message: { role: "assistant", content: "" } }] });
          return;
        case "huge":
          res.writeHead(200, { "content-type": "application/json" });
          res.end(`{"choices":[{"message":{"content":"${"a".repeat(m.bytes)}"}}]}`);
          return;
        case "redirect":
          res.writeHead(307, { location: m.location });
          res.end();
          return;
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  standIn.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  standIn.close = async () => {
    for (const t of pending) clearTimeout(t);
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return standIn;
}

/** A logger that keeps every line as text, for asserting what was (and was not) logged. */
export function recordingLog() {
  const lines: string[] = [];
  const write = (level: string) => (obj: object, msg?: string) => lines.push(`${level} ${JSON.stringify(obj)} ${msg ?? ""}`);
  return { lines, warn: write("warn"), debug: write("debug"), info: write("info"), error: write("error") };
}
