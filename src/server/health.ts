/** GET /health: liveness plus the job queue's counts, for operators and load balancers. */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { JobStore } from "../store/store.js";

export function healthHandler(store: JobStore) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/health") return false;
    const jobs = await store.countJobs();
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ status: "ok", jobs }));
    return true;
  };
}
