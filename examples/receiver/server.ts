/**
 * A small receiver for the Empathy bot's webhooks: verifies the Standard Webhooks signature
 * (X-Empathy-Signature alone only with `allowLegacy`) with ./verify.mjs, drops duplicate
 * deliveries by the signed `webhook-id` (and already-handled events by their `id`), and handles
 * each catalog event type. Run it:
 *
 *     EMPATHY_WEBHOOK_SECRET=... npx tsx examples/receiver/server.ts     # PORT=8787 HOST=127.0.0.1
 *
 * or import `createReceiver` / `createRequestHandler` from this file. See README.md here. Outside
 * this repository, copy verify.mjs (and verify.d.mts) and the parts of this file you need; the
 * event catalog import below only gives `handleEvent` its types.
 */
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from "node:http";
import { pathToFileURL } from "node:url";
import { isEventType, type AnyEventEnvelope, type EventCatalog } from "../../src/events/catalog.js";
// The verification helper: a self-contained file (node:crypto only) to copy into your own receiver.
import { MemorySeenStore, verifyWebhookSignature, type SeenStore, type SignatureScheme } from "./verify.mjs";

export interface DeliveryInfo {
  /** The signed `webhook-id`: the same on every retry of one delivery; null for a legacy (allowLegacy) delivery, which signs no id. */
  deliveryId: string | null;
  scheme: SignatureScheme;
}

export interface ReceiverOptions {
  /** The shared secret (or several, during a rotation). */
  secret: string | readonly string[];
  /** Called once per event (a batch calls it per element). Throwing answers 500, so the sender retries. */
  onEvent?: (event: AnyEventEnvelope, info: DeliveryInfo) => void | Promise<void>;
  /** Where handled delivery and event ids are remembered; default in memory for 24 h. */
  seenStore?: SeenStore;
  /** Replay window for `webhook-timestamp`; default 300 s. */
  toleranceSeconds?: number;
  /**
   * Also accept `X-Empathy-Signature` alone, for a sender that cannot send Standard Webhooks.
   * Default false: it signs the body only, so a captured request could be replayed at any time;
   * only the event ids in the (signed) body, remembered in `seenStore`, stop a repeat.
   */
  allowLegacy?: boolean;
  /** Largest body accepted; default 1 MiB. */
  maxBodyBytes?: number;
  /** Log lines; default console.log. */
  log?: (line: string) => void;
}

type Json = Record<string, unknown>;

/** One line per catalog event type; custom types are logged as such. */
export function handleEvent(event: AnyEventEnvelope, log: (line: string) => void = console.log): void {
  const type = event.event_type;
  const d = (event.data ?? {}) as Json;
  const pct = (x: unknown) => (typeof x === "number" ? `${Math.round(x * 100)}%` : "?");
  if (!isEventType(type)) {
    log(`[custom] ${type}: ${JSON.stringify(d).slice(0, 200)}`);
    return;
  }
  // Typed views of the catalog's data shapes (fields may still be absent on the wire).
  const data = <K extends keyof EventCatalog>(_k: K) => d as Partial<EventCatalog[K]>;
  switch (type) {
    case "interaction_started":
      log(`interaction started by ${data(type).user_id} in ${data(type).repo}`);
      break;
    case "interaction_completed":
      log(`interaction completed at level ${data(type).level} (${pct(data(type).confidence)}) in ${data(type).duration_ms} ms`);
      break;
    case "level_transition":
      log(`level ${data(type).from_level} -> ${data(type).to_level}: ${data(type).reason}`);
      break;
    case "level_1_response":
      log(`level 1 response in ${data(type).repo}#${data(type).pr_number}`);
      break;
    case "level_2_clarification":
      log(`level 2: ${data(type).questions?.length ?? 0} question(s) in ${data(type).repo}#${data(type).pr_number}`);
      break;
    case "level_3_proactive_suggestion":
      log(`level 3: ${data(type).suggestions?.length ?? 0} suggestion(s) in ${data(type).repo}#${data(type).pr_number}`);
      break;
    case "level_4_prediction":
      log(
        `PREDICTION (${pct(data(type).confidence)}, ${data(type).severity}): ${data(type).prediction} [${data(type).repo}#${data(type).pr_number}]`,
      );
      break;
    case "level_5_transformation":
      log(`level 5: ${data(type).pattern_name} seen in ${data(type).occurrences} PRs: ${data(type).proposal}`);
      break;
    case "pattern_learned":
      log(`pattern learned: ${data(type).pattern_name} (${pct(data(type).confidence)})`);
      break;
    case "pattern_applied":
      log(`pattern applied: ${data(type).pattern_name} (success: ${data(type).success})`);
      break;
    case "pattern_updated":
      log(`pattern ${data(type).pattern_name}: ${pct(data(type).old_confidence)} -> ${pct(data(type).new_confidence)}`);
      break;
    case "trust_increased":
      log(`trust of ${data(type).user_id} up to ${pct(data(type).new_trust)}`);
      break;
    case "trust_decreased":
      log(`trust of ${data(type).user_id} down to ${pct(data(type).new_trust)}`);
      break;
    case "trust_milestone":
      log(`trust milestone ${data(type).milestone} for ${data(type).user_id}`);
      break;
    case "coordination_request":
      log(`coordination request from ${data(type).requesting_agent}: ${data(type).topic}`);
      break;
    case "conflict_detected":
      log(`conflict on ${data(type).resource} between ${data(type).agent1} and ${data(type).agent2}`);
      break;
    case "handoff_initiated":
      log(`handoff ${data(type).from_agent} -> ${data(type).to_agent}: ${data(type).task}`);
      break;
    case "prediction_failure":
      log(`prediction ${data(type).prediction_id} failed: ${data(type).reason}`);
      break;
    case "error":
      log(`bot error ${data(type).error_type}: ${data(type).error_message}`);
      break;
    case "test":
      log(`test event ${event.id}`);
      break;
    default: {
      const unhandled: never = type; // a catalog type without a case fails to compile
      log(`unhandled ${String(unhandled)}`);
    }
  }
}

function isEnvelope(value: unknown): value is AnyEventEnvelope {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const v = value as Json;
  return (
    typeof v.event_type === "string" &&
    v.event_type !== "" &&
    v.data !== null &&
    typeof v.data === "object" &&
    (v.id === undefined || typeof v.id === "string")
  );
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new BodyTooLarge());
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function reply(res: ServerResponse, status: number, body: Json): void {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json" });
  res.end(JSON.stringify(body));
}

/** The request handler: mount it on any path of your own server. */
export function createRequestHandler(options: ReceiverOptions): RequestListener {
  const secrets = typeof options.secret === "string" ? [options.secret] : [...options.secret];
  if (secrets.length === 0 || secrets.some((s) => typeof s !== "string" || s === ""))
    throw new TypeError("createReceiver: secret is required");
  const log = options.log ?? console.log;
  const onEvent = options.onEvent ?? ((event: AnyEventEnvelope) => handleEvent(event, log));
  const seen = options.seenStore ?? new MemorySeenStore();
  const maxBodyBytes = options.maxBodyBytes ?? 1024 * 1024;
  /** Deliveries being handled: a concurrent retry waits for the first and shares its outcome. */
  const inFlight = new Map<string, Promise<number>>();

  const handle = async (deliveryId: string | null, scheme: SignatureScheme, raw: Buffer): Promise<{ status: number; body: Json }> => {
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw.toString("utf8"));
    } catch {
      return { status: 400, body: { error: "malformed JSON" } };
    }
    const events = Array.isArray(parsed) ? parsed : [parsed];
    if (events.length === 0 || !events.every(isEnvelope)) {
      return { status: 400, body: { error: "expected an event envelope { id, event_type, timestamp, data } or an array of them" } };
    }
    let handled = 0;
    let skipped = 0;
    for (const event of events) {
      if (event.id && (await seen.has(`event:${event.id}`))) {
        skipped++;
        continue;
      }
      await onEvent(event, { deliveryId, scheme });
      if (event.id) await seen.add(`event:${event.id}`);
      handled++;
    }
    if (deliveryId) await seen.add(`delivery:${deliveryId}`);
    return { status: 200, body: { status: "ok", handled, duplicates: skipped } };
  };

  return (req, res) => {
    void (async () => {
      if (req.method !== "POST") {
        res.setHeader("allow", "POST");
        return reply(res, 405, { error: "use POST" });
      }
      let raw: Buffer;
      try {
        raw = await readBody(req, maxBodyBytes);
      } catch (err) {
        return reply(res, err instanceof BodyTooLarge ? 413 : 400, {
          error: err instanceof BodyTooLarge ? "body too large" : "could not read the body",
        });
      }
      const verified = verifyWebhookSignature(raw, req.headers, secrets, {
        toleranceSeconds: options.toleranceSeconds,
        allowLegacy: options.allowLegacy === true,
      });
      if (!verified.ok) {
        log(`rejected: ${verified.reason}`);
        return reply(res, 401, { error: verified.reason });
      }
      const id = verified.id;
      if (id !== null) {
        if (await seen.has(`delivery:${id}`)) return reply(res, 200, { status: "duplicate" });
        const running = inFlight.get(id);
        if (running) {
          const status = await running;
          return reply(
            res,
            status === 200 ? 200 : 500,
            status === 200 ? { status: "duplicate" } : { error: "the first attempt of this delivery failed" },
          );
        }
      }
      const work = handle(id, verified.scheme, raw);
      const statusOf = work.then(
        (r) => r.status,
        () => 500,
      );
      if (id !== null) {
        inFlight.set(id, statusOf);
        void statusOf.finally(() => inFlight.delete(id));
      }
      try {
        const { status, body } = await work;
        reply(res, status, body);
      } catch (err) {
        log(`handler failed: ${(err as Error).message}`);
        reply(res, 500, { error: "handler failed; retry later" });
      }
    })().catch((err) => {
      log(`receiver error: ${(err as Error).message}`);
      reply(res, 500, { error: "internal error" });
    });
  };
}

/** An http.Server (not yet listening) that receives the bot's webhooks on any path. */
export function createReceiver(options: ReceiverOptions): Server {
  return createServer(createRequestHandler(options));
}

/** Entry point: `npx tsx examples/receiver/server.ts`. */
export async function main(env: NodeJS.ProcessEnv = process.env): Promise<Server> {
  const secret = env.EMPATHY_WEBHOOK_SECRET;
  if (!secret) {
    console.error("Set EMPATHY_WEBHOOK_SECRET to the secret of the webhook registration.");
    process.exit(1);
  }
  const host = env.HOST ?? "127.0.0.1";
  const port = Number(env.PORT ?? 8787);
  const server = createReceiver({ secret });
  await new Promise<void>((resolve) => server.listen(port, host, resolve));
  const address = server.address();
  const actual = typeof address === "object" && address ? address.port : port;
  console.log(`listening on http://${host}:${actual}`);
  const stop = () => server.close(() => process.exit(0));
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
  return server;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) void main();
