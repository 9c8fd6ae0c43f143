/**
 * The process's one logger, shared by Probot and the app: Probot's own logger (pino, formatted
 * by @probot/pino from the LOG_* settings: LOG_LEVEL, LOG_FORMAT, LOG_LEVEL_IN_STRING,
 * LOG_MESSAGE_KEY, SENTRY_DSN, read by src/config/env.ts as Probot reads them),
 * with every line passing the redactor as text before it is formatted or leaves the process. So
 * the lines Probot writes itself (a rejected webhook, a request log) hide secrets as the app's do,
 * and no field carries more than MAX_LOG_STRING characters.
 */
import { getTransformStream } from "@probot/pino";
import { Transform } from "node:stream";
import pino, { type Logger } from "pino";
import { redact } from "../analysis/secrets.js";
import { mapLogValue } from "./redactingLog.js";

/** How the process logs (`readSettings().log`). */
export interface ProcessLogSettings {
  /** LOG_LEVEL; default info. */
  level: string;
  format: "pretty" | "json";
  /** LOG_LEVEL_IN_STRING=true: JSON lines give the level as a word. */
  levelInString: boolean;
  /** LOG_MESSAGE_KEY; default msg. */
  messageKey: string;
  /** SENTRY_DSN: errors also go to Sentry. */
  sentryDsn: string | undefined;
}

/** Longest string a log field keeps: a stack fits, a request body does not. */
export const MAX_LOG_STRING = 4000;

function cut(text: string): string {
  return text.length <= MAX_LOG_STRING ? text : `${text.slice(0, MAX_LOG_STRING)}… (${text.length} characters)`;
}

/** pino writes each log line as one chunk; the redactor sees it whole. */
export function redactingStream(): Transform {
  return new Transform({
    transform(chunk: Buffer | string, _encoding, done) {
      done(null, redact(chunk.toString()));
    },
  });
}

/** The streams between pino and the destination: lines pass them asynchronously. */
const pipelines: Array<[Transform, Transform]> = [];

/**
 * Resolves once every line logged so far has left the pipeline (or after `timeoutMs`): call it
 * before `process.exit`, which would otherwise drop the last lines (the ones that say why).
 */
export async function processLogFlushed(timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const busy = () => pipelines.some((streams) => streams.some((s) => s.writableLength > 0 || s.readableLength > 0));
  do await new Promise((resolve) => setImmediate(resolve));
  while (busy() && Date.now() < deadline);
}

/** `destination`: where the formatted lines go (standard output, as Probot's own logger). */
export async function processLog(settings: ProcessLogSettings, destination: NodeJS.WritableStream = process.stdout): Promise<Logger> {
  const format = await getTransformStream({
    logFormat: settings.format,
    logLevelInString: settings.levelInString,
    sentryDsn: settings.sentryDsn,
  });
  const redacting = redactingStream();
  redacting.pipe(format).pipe(destination);
  pipelines.push([redacting, format]);
  return pino(
    {
      level: settings.level,
      name: "probot",
      messageKey: settings.messageKey,
      // Bounded lines: a rejected webhook's error carries the whole body (a private repository's
      // event); errors keep name, message, stack, status and code, and long strings are cut.
      hooks: {
        logMethod(args, method) {
          method.apply(this, args.map((a) => mapLogValue(a, cut)) as Parameters<typeof method>);
        },
      },
    },
    redacting,
  );
}
