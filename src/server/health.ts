/** GET /health: liveness plus the review jobs' and webhook deliveries' counts, for operators and load balancers. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { JobStore, WebhookStore } from "../store/store.js";

export function healthHandler(store: JobStore & Pick<WebhookStore, "countWebhookDeliveries">) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/health") return false;
    const [jobs, webhooks] = await Promise.all([store.countJobs(), store.countWebhookDeliveries()]);
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "ok", jobs, webhooks }));
    return true;
  };
}
