/**
 * GitHub, through an installation's Octokit (Probot's: retries and throttling on): issues,
 * pull request comments, labels, a pull request's files and diff, and subscriptions to bus
 * events. These are direct calls that need GitHub's answer (an issue number, the files), so
 * they use Octokit rather than the webhook outbox; Octokit brings authentication, pagination,
 * media types, retries on 5xx and the secondary-rate-limit throttling that GitHub requires.
 *
 * From the operator config (`integrations.github`), events can open issues in a tracking
 * repository (`repository: acme/incidents`), e.g. every level 5 "recurring problem" across all
 * repositories; the app's own prediction issues, in the pull request's repository, are separate
 * (src/github/predictions/predictionIssues.ts).
 */
import { z } from "zod";
import type { EventBus, EventHandler } from "../events/bus.js";
import type { AnyEventEnvelope, EventEnvelope } from "../events/catalog.js";
import type { Log, Octokit, RepoRef } from "../github/api/types.js";
import {
  deliveryKeys,
  eventFilter,
  IntegrationError,
  listSetting,
  type DeliveryOptions,
  DEFAULT_EVENTS,
  DEFAULT_MIN_SEVERITY,
  checkEvents,
} from "./common.js";
import { codeSpanText, escapeGitHub, fitEscaped, safeUrl } from "./markup.js";
import { contextLine, toNotice, truncate, type NoticeEnvelope } from "./notice.js";
import { pct } from "../text/percent.js";

/** GitHub's limit for an issue or comment body. */
export const GITHUB_BODY_LIMIT = 65_536;

/** An installation Octokit, or how to get the one for a repository (the app is installed per account). */
export type OctokitSource = Octokit | ((ref: RepoRef) => Promise<Octokit>);

export interface GitHubOptions extends Pick<DeliveryOptions, "events" | "minConfidence" | "minSeverity"> {
  octokit: OctokitSource;
  /** Where events open issues ("owner/repo"); without it, events open none (use `on()`). */
  repository?: string;
  /** Labels of the issues events open; default ["empathy-bot"]. */
  labels?: string[];
  log?: Log;
  name?: string;
}

export interface PrRef extends RepoRef {
  pullNumber: number;
}

export interface PullRequestFile {
  filename: string;
  status: string;
  additions: number;
  deletions: number;
  changes: number;
  patch?: string;
  previous_filename?: string;
  sha: string;
}

export type GitHubEventHandler<T extends string> = (
  event: T extends "*" ? AnyEventEnvelope : EventEnvelope<T>,
  github: GitHubIntegration,
) => unknown;

function isOctokit(source: OctokitSource): source is Octokit {
  return typeof source === "object" && source !== null && "rest" in source;
}

export function parseRepository(fullName: string): RepoRef {
  const m = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/.exec(fullName.trim());
  if (!m) throw new IntegrationError("github", `"${fullName}" is not a repository (owner/name)`);
  return { owner: m[1], repo: m[2] };
}

/** The issue an event opens: title, body (Markdown) and labels. */
export function githubIssue(
  envelope: NoticeEnvelope,
  labels: string[] = ["empathy-bot"],
): { title: string; body: string; labels: string[] } {
  const n = toNotice(envelope);
  // Text from the pull request: escaped after its cut, so it notifies no one and links nowhere.
  const md = (text: string, max: number) => fitEscaped(text, max, escapeGitHub);
  const facts: string[] = [];
  if (n.confidence !== null) facts.push(`**Confidence:** ${pct(n.confidence)}`);
  if (n.severity !== null) facts.push(`**Severity:** ${n.severity}`);
  if (n.repo !== null) facts.push(`**Repository:** ${n.repo}${n.prNumber !== null ? `#${n.prNumber}` : ""}`);
  if (n.tags.length > 0) facts.push(`**Tags:** ${md(n.tags.join(", "), 1000)}`);
  const lines = [md(n.text, 40_000), ""];
  if (facts.length > 0) lines.push(facts.join(" · "), "");
  if (n.impact) lines.push(`**Impact:** ${md(n.impact, 5000)}`, "");
  if (n.evidence) lines.push(`**Evidence:** \`${fitEscaped(codeSpanText(n.evidence), 1000)}\``, "");
  if (n.recommendation) lines.push(`**Recommendation:** ${md(n.recommendation, 5000)}`, "");
  const url = safeUrl(n.url);
  if (url) lines.push(`**Pull request:** ${url}`, "");
  lines.push(`<sub>${contextLine(n)} · event \`${n.eventType}\`</sub>`);
  if (n.fingerprint) lines.push(`<!-- empathy-integration:${n.fingerprint} -->`);
  return {
    title: truncate(n.title.replace(/\s+/g, " "), 256),
    body: truncate(lines.join("\n"), GITHUB_BODY_LIMIT),
    labels: [...new Set(labels)],
  };
}

export class GitHubIntegration {
  readonly service = "github";
  readonly name: string;
  private bus: EventBus | null = null;
  private readonly pending: { type: string; handler: (event: AnyEventEnvelope) => unknown; off: (() => void) | null }[] = [];
  private readonly filed = new Set<string>();

  constructor(private readonly options: GitHubOptions) {
    if (!options?.octokit) throw new IntegrationError("github", "an installation Octokit (octokit) is required");
    if (options.repository !== undefined) parseRepository(options.repository);
    this.name = options.name ?? "github";
  }

  /** Ids of webhook registrations: none (GitHub calls go through Octokit). */
  readonly registrationIds: readonly string[] = [];

  /** Subscribes the `on()` handlers (and, with `repository`, the issue opener) to the bus. */
  attach(bus: EventBus): void {
    if (this.bus === bus) return;
    if (this.bus) throw new IntegrationError("github", "already attached to another bus");
    this.bus = bus;
    for (const p of this.pending) p.off = bus.on(p.type, p.handler as EventHandler<string>);
    // Subscribed by on(), now that the bus is known.
    if (this.options.repository !== undefined) this.fileIssuesFromEvents(this.options.repository);
  }

  /**
   * Runs `handler(event, github)` for each bus event of that type ("*": all). Handlers may be
   * async; a failure becomes an `error` event on the bus (never affects the emitter). Returns
   * a function that unsubscribes. Before `attach`, the subscription waits for it.
   */
  on<T extends string>(type: T, handler: GitHubEventHandler<T>): () => void {
    const wrapped = (event: AnyEventEnvelope) => handler(event as never, this);
    const entry = { type, handler: wrapped, off: null as (() => void) | null };
    this.pending.push(entry);
    if (this.bus) entry.off = this.bus.on(type, wrapped as EventHandler<string>);
    return () => {
      entry.off?.();
      const i = this.pending.indexOf(entry);
      if (i >= 0) this.pending.splice(i, 1);
    };
  }

  async createIssue(
    input: RepoRef & { title: string; body?: string; labels?: string[]; assignees?: string[] },
  ): Promise<{ number: number; url: string }> {
    const octokit = await this.octokitFor(input);
    const { data } = await octokit.rest.issues.create({
      owner: input.owner,
      repo: input.repo,
      title: truncate(input.title, 256),
      ...(input.body !== undefined ? { body: truncate(input.body, GITHUB_BODY_LIMIT) } : {}),
      ...(input.labels?.length ? { labels: input.labels } : {}),
      ...(input.assignees?.length ? { assignees: input.assignees } : {}),
    });
    return { number: data.number, url: data.html_url };
  }

  /** A comment on the pull request's conversation (an issue comment). */
  async commentOnPr(input: PrRef & { body: string }): Promise<{ id: number; url: string }> {
    const octokit = await this.octokitFor(input);
    const { data } = await octokit.rest.issues.createComment({
      owner: input.owner,
      repo: input.repo,
      issue_number: input.pullNumber,
      body: truncate(input.body, GITHUB_BODY_LIMIT),
    });
    return { id: data.id, url: data.html_url };
  }

  /** Adds labels to an issue or pull request; returns all its labels. */
  async addLabels(input: RepoRef & { issueNumber: number; labels: string[] }): Promise<string[]> {
    if (input.labels.length === 0) return [];
    const octokit = await this.octokitFor(input);
    const { data } = await octokit.rest.issues.addLabels({
      owner: input.owner,
      repo: input.repo,
      issue_number: input.issueNumber,
      labels: input.labels,
    });
    return data.map((l) => l.name);
  }

  /** Every file of the pull request (all pages; GitHub lists at most 3,000). */
  async getPrFiles(input: PrRef): Promise<PullRequestFile[]> {
    const octokit = await this.octokitFor(input);
    const files = await octokit.paginate(octokit.rest.pulls.listFiles, {
      owner: input.owner,
      repo: input.repo,
      pull_number: input.pullNumber,
      per_page: 100,
    });
    return files as PullRequestFile[];
  }

  /** The pull request's unified diff (`application/vnd.github.diff`). */
  async getPrDiff(input: PrRef): Promise<string> {
    const octokit = await this.octokitFor(input);
    const res = await octokit.rest.pulls.get({
      owner: input.owner,
      repo: input.repo,
      pull_number: input.pullNumber,
      mediaType: { format: "diff" },
    });
    return res.data as unknown as string;
  }

  private async octokitFor(ref: RepoRef): Promise<Octokit> {
    const source = this.options.octokit;
    return isOctokit(source) ? source : source(ref);
  }

  /** Config mode: matching events open an issue in the tracking repository, once per fingerprint in this process. */
  private fileIssuesFromEvents(repository: string): void {
    const target = parseRepository(repository);
    const events = this.options.events ?? DEFAULT_EVENTS;
    checkEvents("github", events);
    // min_severity: medium unless configured, as for the other services.
    const filter = eventFilter({ ...this.options, minSeverity: this.options.minSeverity ?? DEFAULT_MIN_SEVERITY.other });
    for (const type of events) {
      this.on(type, async (event) => {
        if (filter && !filter((event.data ?? {}) as Record<string, unknown>)) return;
        const issue = githubIssue(event, this.options.labels);
        const key = (event.data as { fingerprint?: unknown })?.fingerprint;
        const dedupe = typeof key === "string" ? `${event.event_type}:${key}` : null;
        if (dedupe && this.filed.has(dedupe)) return;
        if (dedupe) this.filed.add(dedupe);
        try {
          const created = await this.createIssue({ ...target, ...issue });
          this.options.log?.info({ integration: this.name, event_type: event.event_type, issue: created.url }, "integration issue opened");
        } catch (err) {
          if (dedupe) this.filed.delete(dedupe);
          throw err;
        }
      });
    }
  }
}

export function createGitHub(options: GitHubOptions): GitHubIntegration {
  return new GitHubIntegration(options);
}

/**
 * The installation Octokit for a repository, from the app's credentials: `auth()` is the app
 * (JWT), `auth(id)` an installation (Probot's `app.auth`).
 */
export function octokitForRepository(auth: (installationId?: number) => Promise<Octokit>): (ref: RepoRef) => Promise<Octokit> {
  const cache = new Map<string, number>();
  return async (ref) => {
    const key = `${ref.owner}/${ref.repo}`.toLowerCase();
    let id = cache.get(key);
    if (id === undefined) {
      const app = await auth();
      const { data } = await app.rest.apps.getRepoInstallation({ owner: ref.owner, repo: ref.repo });
      id = data.id;
      cache.set(key, id);
    }
    return auth(id);
  };
}

export const githubConfigSchema = z
  .object(
    {
      enabled: deliveryKeys.enabled,
      events: deliveryKeys.events,
      min_confidence: deliveryKeys.min_confidence,
      min_severity: deliveryKeys.min_severity,
      name: deliveryKeys.name,
      repository: z
        .string({ error: "must be a repository (owner/name)" })
        .regex(/^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/, "must be a repository (owner/name)"),
      labels: listSetting().optional(),
    },
    { error: "must be a mapping (repository:, events:, ...)" },
  )
  .strict();

export type GitHubConfig = z.infer<typeof githubConfigSchema>;

export function githubOptionsFromConfig(c: GitHubConfig, octokit: OctokitSource, log?: Log): GitHubOptions {
  return {
    octokit,
    repository: c.repository,
    labels: c.labels,
    events: c.events,
    minConfidence: c.min_confidence,
    minSeverity: c.min_severity,
    name: c.name,
    log,
  };
}
