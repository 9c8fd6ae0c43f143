/** What every `empathy` command shares: its I/O, usage errors, argument parsing, times. */
import { parseArgs, type ParseArgsConfig } from "node:util";
import { didYouMean } from "../config/didYouMean.js";

export interface CliIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  readStdin: () => string;
  cwd: string;
  /** The environment (DATABASE_URL, EMPATHY_*), read through readSettings; runCli gives process.env when left out. */
  env?: NodeJS.ProcessEnv;
}

/** A mistake in the command line: the message, then the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(
    message: string,
    readonly usage?: string,
  ) {
    super(message);
  }
}

/** A problem with the input or the environment (a file missing, not a diff, no store): the message alone, exit code 2. */
export class InputError extends Error {}

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util parseArgs, with its errors as usage errors in plain words (and a did-you-mean for a mistyped option). */
export function parseCommandArgs<O extends Options>(args: string[], options: O, usage: string) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (error) {
    const message = (error as Error).message;
    const unknown = /^Unknown option '(--?[^']+)'/.exec(message);
    if (unknown) {
      const names = Object.keys(options).map((o) => `--${o}`);
      const suggestion = didYouMean(unknown[1].replace(/^--?/, ""), Object.keys(options));
      throw new UsageError(
        `unknown option ${unknown[1]}${suggestion ? ` (did you mean --${suggestion}?)` : `; options: ${names.join(", ")}`}`,
        usage,
      );
    }
    const missing = /^Option '(?:-\w, )?(--[^ ]+) <value>' argument missing/.exec(message);
    if (missing) throw new UsageError(`${missing[1]} needs a value`, usage);
    const ambiguous = /^Option '(?:-\w, )?(--[^' ]+)' argument is ambiguous/.exec(message);
    if (ambiguous) throw new UsageError(`${ambiguous[1]} needs a value (one that starts with a dash goes as ${ambiguous[1]}=VALUE)`, usage);
    throw new UsageError(message.replace(/\. To specify a positional argument starting with a '-'.*$/s, ""), usage);
  }
}

/** Refuses positional arguments beyond the `expected` ones, naming the first. */
export function noExtraArguments(positionals: string[], expected: number, usage: string, what: string): void {
  if (positionals.length > expected) throw new UsageError(`unexpected argument "${positionals[expected]}": ${what}`, usage);
}

const DURATION = /^(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?|w|weeks?)$/i;
const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * A time given on the command line: an ISO 8601 date or date-time (`2025-01-31`,
 * `2025-01-31T14:00Z`; a date alone is midnight UTC), or a duration back from now (`30m`, `2h`,
 * `7d`, `1w`). ms since the epoch.
 */
export function parseTime(text: string, now: number, option: string, usage: string): number {
  const t = text.trim();
  const duration = DURATION.exec(t);
  if (duration) {
    const unit = duration[2].toLowerCase();
    const ms = UNIT_MS[unit.startsWith("mi") || unit === "m" ? "m" : unit[0]];
    return now - Math.round(Number(duration[1]) * ms);
  }
  if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(t)) {
    const ms = Date.parse(t.replace(" ", "T"));
    if (Number.isFinite(ms)) return ms;
  }
  throw new UsageError(
    `${option} "${text}" is not a time: give a date (2025-01-31), a date and time (2025-01-31T14:00Z) or a duration back from now (30m, 2h, 7d)`,
    usage,
  );
}

/** A positive whole number from the command line. */
export function parsePositiveInt(text: string, option: string, usage: string, max = 100_000): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < 1 || n > max)
    throw new UsageError(`${option} is a whole number from 1 to ${max.toLocaleString("en-US")}`, usage);
  return n;
}

/** `2025-01-31 14:00:05Z`: UTC to the second, for tables. */
export function formatTime(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return "-";
  return new Date(ms)
    .toISOString()
    .replace("T", " ")
    .replace(/\.\d{3}Z$/, "Z");
}

/** ISO 8601 for JSON output. */
export function isoTime(ms: number | null | undefined): string | null {
  return ms === null || ms === undefined ? null : new Date(ms).toISOString();
}

/** `3 min ago`, `2 h ago`, `in 40 s` */
export function ago(ms: number, now: number): string {
  const d = now - ms;
  const abs = Math.abs(d);
  const text =
    abs < 60_000
      ? `${Math.round(abs / 1000)} s`
      : abs < 3_600_000
        ? `${Math.round(abs / 60_000)} min`
        : abs < 172_800_000
          ? `${Math.round(abs / 3_600_000)} h`
          : `${Math.round(abs / 86_400_000)} d`;
  return d >= 0 ? `${text} ago` : `in ${text}`;
}

/** One line of at most `max` characters (whitespace folded, an ellipsis when cut). */
export function oneLine(text: string | null | undefined, max: number): string {
  if (text === null || text === undefined) return "";
  const folded = text.replace(/\s+/g, " ").trim();
  return folded.length > max ? `${folded.slice(0, max - 1)}…` : folded;
}

/** A plain-text table: columns padded to their widest cell, the last one left as it is. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i])))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** ` (did you mean X?)` when a mistyped word is close to one of the candidates, else "". */
export function suggest(word: string, candidates: readonly string[]): string {
  const close = didYouMean(word, candidates);
  return close === undefined ? "" : ` (did you mean ${close}?)`;
}
