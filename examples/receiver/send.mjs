// Sends one signed `test` event to a receiver, as the bot would:
//
//   EMPATHY_WEBHOOK_SECRET=... node examples/receiver/send.mjs [URL] [--id ID]
//
// URL defaults to http://127.0.0.1:8787/webhooks/empathy; `--id` sets the delivery's webhook-id
// (default a fresh one; send the same id twice to see the duplicate dropped). Prints the answer's
// status and body; exits 0 on a 2xx answer, 1 otherwise, 2 on bad arguments. Needs Node.js 18+.
import { randomUUID } from "node:crypto";
import { parseArgs } from "node:util";
import { signWebhook } from "./verify.mjs";

let parsed;
try {
  parsed = parseArgs({ options: { id: { type: "string" } }, allowPositionals: true });
} catch (error) {
  console.error(`send.mjs: ${error.message}\nusage: node examples/receiver/send.mjs [URL] [--id ID]`);
  process.exit(2);
}
const url = parsed.positionals[0] ?? "http://127.0.0.1:8787/webhooks/empathy";
const secret = process.env.EMPATHY_WEBHOOK_SECRET;
if (!secret) {
  console.error("send.mjs: set EMPATHY_WEBHOOK_SECRET to the receiver's secret");
  process.exit(2);
}

const id = parsed.values.id ?? `msg_${randomUUID()}`;
const body = JSON.stringify({
  id: `evt_${randomUUID()}`,
  event_type: "test",
  timestamp: new Date().toISOString(),
  data: { note: "sent by hand" },
});
const headers = { "content-type": "application/json", ...signWebhook({ id, timestamp: new Date(), body, secret }) };
try {
  const res = await fetch(url, { method: "POST", headers, body });
  console.log(res.status, await res.text());
  process.exitCode = res.ok ? 0 : 1;
} catch (error) {
  console.error(`send.mjs: ${url}: ${error.cause?.message ?? error.message}`);
  process.exitCode = 1;
}
