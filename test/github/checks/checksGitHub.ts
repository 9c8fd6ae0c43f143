/**
 * The fake GitHub with the Checks API and the code scanning upload, as GitHub answers them:
 * at most 50 annotations a request (422 beyond), annotations appended by each update, a completed
 * run that cannot go back to in progress (422), runs listed per commit by name. Every request still
 * goes through the fake's OpenAPI check first (FakeGitHub.handle).
 */
import { FakeGitHub } from "../../helpers/fakeGitHub.js";

export interface FakeCheckRun {
  id: number;
  name: string;
  head_sha: string;
  external_id: string | null;
  status: string;
  conclusion: string | null;
  started_at: string | null;
  completed_at: string | null;
  output: { title: string | null; summary: string | null; annotations_count: number };
  annotations: any[];
  /** The annotations each request sent (create or update), in order. */
  annotationBatches: number[];
  app: { id: number; slug: string };
}

type Reply = Awaited<ReturnType<FakeGitHub["handle"]>>;

let nextRunId = 5000;

export class ChecksGitHub extends FakeGitHub {
  checkRuns: FakeCheckRun[] = [];
  sarifUploads: any[] = [];
  /** 403 answers every Checks API request like an installation that has not accepted `checks: write`. */
  checksStatus = 200;
  /** 403: no `security_events` permission; 404: code scanning not enabled (GitHub says "not found" for both in places). */
  codeScanningStatus = 202;
  /** How many updates that complete a run answer 502 (after the request is checked). */
  completionFaults = 0;

  override async handle(method: string, pathWithQuery: string, rawBody: string): Promise<Reply> {
    const reply = await super.handle(method, pathWithQuery, rawBody);
    // Only what the base fake does not know (its own 404); an injected fault is passed on as it is.
    if (reply.status !== 404 || (reply.body as { message?: string } | undefined)?.message !== "Not Found") return reply;
    const url = new URL(pathWithQuery, "http://x");
    const body = rawBody ? JSON.parse(rawBody) : undefined;
    return this.routeChecks(method, decodeURIComponent(url.pathname), url.searchParams, body) ?? reply;
  }

  /** The runs of one commit, oldest first. */
  runsFor(sha = this.pull.head.sha): FakeCheckRun[] {
    return this.checkRuns.filter((r) => r.head_sha === sha);
  }

  private routeChecks(method: string, path: string, query: URLSearchParams, body: any): Reply | undefined {
    const repo = this.repoPath;
    const isChecks = path.startsWith(`${repo}/check-runs`) || /\/commits\/[^/]+\/check-runs$/.test(path);
    if (isChecks && this.checksStatus !== 200) {
      return { status: this.checksStatus, body: { message: "Resource not accessible by integration" } };
    }
    if (method === "POST" && path === `${repo}/check-runs`) {
      const annotations = body.output?.annotations ?? [];
      if (annotations.length > 50) return unprocessable("Only 50 annotations are allowed per request");
      if (body.status === "completed" && !body.conclusion) return unprocessable("conclusion is required");
      const run: FakeCheckRun = {
        id: nextRunId++,
        name: body.name,
        head_sha: body.head_sha,
        external_id: body.external_id ?? null,
        status: body.conclusion ? "completed" : (body.status ?? "queued"),
        conclusion: body.conclusion ?? null,
        started_at: body.started_at ?? null,
        completed_at: body.completed_at ?? null,
        output: { title: body.output?.title ?? null, summary: body.output?.summary ?? null, annotations_count: annotations.length },
        annotations: [...annotations],
        annotationBatches: annotations.length ? [annotations.length] : [],
        app: { id: 1, slug: this.appSlug },
      };
      this.checkRuns.push(run);
      return { status: 201, body: this.view(run) };
    }
    const one = new RegExp(`^${repo}/check-runs/(\\d+)$`).exec(path);
    if (one && method === "PATCH") {
      const run = this.checkRuns.find((r) => r.id === Number(one[1]));
      if (!run) return { status: 404, body: { message: "Not Found" } };
      if (body.conclusion && this.completionFaults > 0) {
        this.completionFaults--;
        return { status: 502, body: { message: "fault injected (502)" } };
      }
      const annotations = body.output?.annotations ?? [];
      if (annotations.length > 50) return unprocessable("Only 50 annotations are allowed per request");
      const changesState = body.status !== undefined || body.conclusion !== undefined || body.completed_at !== undefined;
      if (run.status === "completed" && changesState) return unprocessable("The check run has already completed");
      if (body.status === "completed" && !body.conclusion) return unprocessable("conclusion is required");
      if (body.conclusion)
        Object.assign(run, { status: "completed", conclusion: body.conclusion, completed_at: body.completed_at ?? null });
      else if (body.status) run.status = body.status;
      if (body.output) {
        run.output.title = body.output.title ?? run.output.title;
        run.output.summary = body.output.summary ?? run.output.summary;
        run.annotations.push(...annotations); // appended, never replaced
        run.output.annotations_count = run.annotations.length;
        if (annotations.length) run.annotationBatches.push(annotations.length);
      }
      return { status: 200, body: this.view(run) };
    }
    const list = new RegExp(`^${repo}/commits/([^/]+)/check-runs$`).exec(path);
    if (list && method === "GET") {
      let runs = this.checkRuns.filter((r) => r.head_sha === list[1] && (!query.get("check_name") || r.name === query.get("check_name")));
      if ((query.get("filter") ?? "latest") === "latest") {
        runs = runs.filter((r) => !runs.some((o) => o.name === r.name && o.app.slug === r.app.slug && o.id > r.id));
      }
      const perPage = Number(query.get("per_page") ?? 30);
      const page = Number(query.get("page") ?? 1);
      const slice = [...runs].reverse().slice((page - 1) * perPage, page * perPage);
      return { status: 200, body: { total_count: runs.length, check_runs: slice.map((r) => this.view(r)) } };
    }
    if (method === "POST" && path === `${repo}/code-scanning/sarifs`) {
      this.sarifUploads.push(body);
      if (this.codeScanningStatus !== 202) {
        return {
          status: this.codeScanningStatus,
          body: {
            message:
              this.codeScanningStatus === 403
                ? "Resource not accessible by integration"
                : "Advanced Security must be enabled for this repository",
          },
        };
      }
      const id = `sarif-${this.sarifUploads.length}`;
      return { status: 202, body: { id, url: `https://api.github.com${repo}/code-scanning/sarifs/${id}` } };
    }
    return undefined;
  }

  private view(run: FakeCheckRun) {
    const { annotations: _a, annotationBatches: _b, ...rest } = run;
    return {
      ...rest,
      node_id: `CR_${run.id}`,
      url: `https://api.github.com${this.repoPath}/check-runs/${run.id}`,
      html_url: `https://github.com/${this.owner}/${this.repo}/runs/${run.id}`,
      details_url: null,
      output: { ...run.output, text: null, annotations_url: `https://api.github.com${this.repoPath}/check-runs/${run.id}/annotations` },
      check_suite: { id: 1 },
      pull_requests: [],
    };
  }
}

function unprocessable(message: string): Reply {
  return { status: 422, body: { message: "Unprocessable Entity", errors: [message] } };
}
