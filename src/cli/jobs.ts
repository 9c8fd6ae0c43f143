/** `empathy jobs list|show|replay`: the app's durable job queue, read and requeued from the command line. */
import { redact, redactDeep } from "../analysis/secrets.js";
import { jobSubject } from "../jobs/queue.js";
import type { JobRecord, JobStatus } from "../store/store.js";
import {
  ago,
  formatTime,
  isoTime,
  noExtraArguments,
  oneLine,
  parseCommandArgs,
  parsePositiveInt,
  parseTime,
  table,
  UsageError,
  type CliIo,
  suggest,
} from "./common.js";
import { DATABASE_HELP, DATABASE_OPTION, openOperatorStore } from "./store.js";

const STATUSES: JobStatus[] = ["queued", "running", "done", "dead"];

export const JOBS_USAGE = `Usage: empathy jobs list [--status STATUS] [--type TYPE] [--since TIME] [--limit N] [--json]
       empathy jobs show ID [--json]
       empathy jobs replay (ID... | --since TIME | --all) [--json]

The app's job queue (reviews, feedback, prediction issues, coordination) in its store. A job
that kept failing is dead-lettered; replay puts it back in the queue with a fresh set of
attempts, and the running app takes it within a second or two (a stopped app, at its start).
Safe while the app runs on the same store: each command is one short statement.

  list                 most recently updated first
    --status STATUS    ${STATUSES.join(", ")}
    --type TYPE        e.g. review
    --since TIME       updated at or after TIME: 2025-01-31, 2025-01-31T14:00Z, or 30m, 2h, 7d ago
    --limit N          at most N jobs (default 20)
  show ID              one job: its state, last error and payload (secrets redacted)
  replay ID...         the dead-lettered jobs with these ids
  replay --since TIME  every job dead-lettered at or after TIME
  replay --all         every dead-lettered job
  --json               machine-readable output
${DATABASE_HELP}
  -h, --help           this text
`;

const OPTIONS = {
  status: { type: "string" },
  type: { type: "string" },
  since: { type: "string" },
  limit: { type: "string" },
  all: { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  ...DATABASE_OPTION,
} as const;

export async function jobsCommand(argv: string[], io: CliIo, now = Date.now()): Promise<number> {
  const { values, positionals } = parseCommandArgs(argv, OPTIONS, JOBS_USAGE);
  if (values.help) {
    io.stdout(JOBS_USAGE);
    return 0;
  }
  const [sub, ...rest] = positionals;
  if (sub !== "list" && sub !== "show" && sub !== "replay") {
    throw new UsageError(
      sub === undefined
        ? "jobs needs a subcommand: list, show or replay"
        : `unknown jobs subcommand "${sub}"${suggest(sub, ["list", "show", "replay"])}: list, show or replay`,
      JOBS_USAGE,
    );
  }
  const only = (allowed: string[]) => {
    for (const name of ["status", "type", "since", "limit", "all"] as const) {
      if (values[name] !== undefined && !allowed.includes(name)) throw new UsageError(`--${name} does not go with jobs ${sub}`, JOBS_USAGE);
    }
  };
  if (sub === "list") {
    only(["status", "type", "since", "limit"]);
    noExtraArguments(positionals, 1, JOBS_USAGE, "jobs list takes options only");
    if (values.status !== undefined && !STATUSES.includes(values.status as JobStatus))
      throw new UsageError(`--status is one of ${STATUSES.join(", ")}`, JOBS_USAGE);
    const since = values.since === undefined ? undefined : parseTime(values.since, now, "--since", JOBS_USAGE);
    const limit = values.limit === undefined ? 20 : parsePositiveInt(values.limit, "--limit", JOBS_USAGE);
    const { store, shown } = await openOperatorStore(io, values.database);
    try {
      const counts = await store.countJobs();
      const jobs = await store.listRecentJobs({ status: values.status as JobStatus | undefined, type: values.type, since, limit });
      if (values.json) {
        io.stdout(`${JSON.stringify({ store: shown, counts, jobs: jobs.map(jobJson) }, null, 2)}\n`);
        return 0;
      }
      io.stdout(`Jobs in ${shown}: ${STATUSES.map((s) => `${counts[s]} ${s}`).join(", ")}\n\n`);
      if (jobs.length === 0) {
        io.stdout("No job matches.\n");
        return 0;
      }
      const rows = jobs.map((j) => [
        String(j.id),
        j.status,
        j.type,
        String(j.attempts),
        `${formatTime(j.updatedAt)} (${ago(j.updatedAt, now)})`,
        subjectText(j.payload),
        oneLine(redact(j.lastError ?? ""), 70),
      ]);
      io.stdout(`${table(["ID", "STATUS", "TYPE", "ATTEMPTS", "UPDATED", "SUBJECT", "LAST ERROR"], rows)}\n`);
      if (jobs.length === limit) io.stdout(`\nThe ${limit} most recently updated; --limit N shows more.\n`);
      return 0;
    } finally {
      await store.close();
    }
  }
  if (sub === "show") {
    only([]);
    if (rest.length === 0) throw new UsageError("jobs show needs a job id", JOBS_USAGE);
    noExtraArguments(positionals, 2, JOBS_USAGE, "jobs show takes one id");
    const id = jobId(rest[0]);
    const { store } = await openOperatorStore(io, values.database);
    try {
      const job = await store.getJob(id);
      if (!job) {
        io.stderr(`empathy: no job ${id}\n`);
        return 1;
      }
      if (values.json) {
        io.stdout(`${JSON.stringify(jobJson(job), null, 2)}\n`);
        return 0;
      }
      const lines = [
        `Job ${job.id}: ${job.type}, ${job.status}`,
        `  subject:     ${subjectText(job.payload)}`,
        `  attempts:    ${job.attempts}`,
        `  created:     ${formatTime(job.createdAt)} (${ago(job.createdAt, now)})`,
        `  updated:     ${formatTime(job.updatedAt)} (${ago(job.updatedAt, now)})`,
        `  ${job.status === "queued" ? "runs at:  " : "run at:   "}   ${formatTime(job.runAt)}`,
        `  dedupe key:  ${job.dedupeKey ?? "-"}`,
        `  last error:  ${job.lastError === null ? "-" : redact(job.lastError)}`,
        "  payload:",
        ...JSON.stringify(redactDeep(job.payload), null, 2)
          .split("\n")
          .map((l) => `    ${l}`),
      ];
      if (job.status === "dead") lines.push("", `To run it again: empathy jobs replay ${job.id}`);
      io.stdout(`${lines.join("\n")}\n`);
      return 0;
    } finally {
      await store.close();
    }
  }
  // replay
  only(["since", "all"]);
  const modes = [rest.length > 0, values.since !== undefined, values.all === true].filter(Boolean).length;
  if (modes !== 1) throw new UsageError("jobs replay takes job ids, or --since TIME, or --all (one of them)", JOBS_USAGE);
  const ids = rest.map(jobId);
  const since = values.since === undefined ? undefined : parseTime(values.since, now, "--since", JOBS_USAGE);
  const { store } = await openOperatorStore(io, values.database);
  try {
    const before = new Map<number, JobRecord | undefined>();
    for (const id of ids) before.set(id, await store.getJob(id));
    const replayed = await store.replayDeadJobs(ids.length > 0 ? { ids } : { since }, Date.now());
    const requeued = await Promise.all(replayed.map(async (id) => (await store.getJob(id)) ?? before.get(id)));
    const refused = ids
      .filter((id) => !replayed.includes(id))
      .map((id) => {
        const job = before.get(id);
        return { id, reason: job === undefined ? "no such job" : `it is ${job.status}, not dead-lettered` };
      });
    if (values.json) {
      io.stdout(`${JSON.stringify({ replayed, refused }, null, 2)}\n`);
      return refused.length > 0 ? 1 : 0;
    }
    for (const job of requeued)
      if (job) io.stdout(`Requeued job ${job.id} (${job.type}${subjectSuffix(job.payload)}) with a fresh set of attempts.\n`);
    for (const r of refused) io.stderr(`empathy: job ${r.id} not replayed: ${r.reason}\n`);
    if (replayed.length === 0 && refused.length === 0) {
      io.stdout(values.all ? "No dead-lettered job to replay.\n" : `No job was dead-lettered since ${formatTime(since)}.\n`);
    } else if (replayed.length > 0) {
      io.stdout("The running app takes them within a second or two; a stopped app, when it starts.\n");
    }
    return refused.length > 0 ? 1 : 0;
  } finally {
    await store.close();
  }
}

function jobId(text: string): number {
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text)) || Number(text) < 1)
    throw new UsageError(`"${text}" is not a job id (a number, as jobs list shows)`, JOBS_USAGE);
  return Number(text);
}

function subjectText(payload: unknown): string {
  const s = jobSubject(payload);
  if (!s.repo) return "-";
  return s.pull_number === undefined ? s.repo : `${s.repo}#${s.pull_number}`;
}

function subjectSuffix(payload: unknown): string {
  const s = subjectText(payload);
  return s === "-" ? "" : ` ${s}`;
}

function jobJson(j: JobRecord) {
  return {
    id: j.id,
    type: j.type,
    status: j.status,
    attempts: j.attempts,
    ...jobSubject(j.payload),
    last_error: j.lastError === null ? null : redact(j.lastError),
    dedupe_key: j.dedupeKey,
    run_at: isoTime(j.runAt),
    created_at: isoTime(j.createdAt),
    updated_at: isoTime(j.updatedAt),
    payload: redactDeep(j.payload),
  };
}
