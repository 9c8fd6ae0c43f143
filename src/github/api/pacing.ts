/**
 * GitHub's write pacing across instances. GitHub counts its secondary rate limits per app and
 * installation, not per process. Probot paces its calls with @octokit/plugin-throttling (writes
 * at least a second apart, per installation); with `REDIS_URL` set, Probot keeps that limiter's
 * state in Redis (bottleneck's IORedisConnection, through the `ioredis` dependency), so every
 * instance of the app shares one pace. Without it each process paces alone.
 *
 * This module reads `REDIS_URL` (settings.redisUrl) the way Probot does, says which mode is in
 * use (naming the Redis host only, never a user name or password), and checks that Redis answers
 * before the process starts (`npm start`), so a wrong or unreachable URL stops start-up with one
 * clear line instead of Probot's client logging a connection error (with its stack) every few
 * seconds.
 */
import { Redis } from "ioredis";
import { errorMessage } from "../../text/errorMessage.js";

export type GitHubPacing =
  { mode: "redis"; /** `host:port` of the Redis server: nothing else of the URL. */ host: string; url: string } | { mode: "process" };

/** A problem with REDIS_URL, worded for the operator (it never contains the URL's credentials). */
export class RedisUrlError extends Error {
  override name = "RedisUrlError";
}

const DEFAULT_PORT = 6379;

/** `host:port` of a Redis URL, for logs: no user name, password or database. */
export function redisHost(url: URL): string {
  return `${url.hostname}:${url.port || DEFAULT_PORT}`;
}

/**
 * Which pacing Probot uses with this `REDIS_URL` (settings.redisUrl): set and not blank is shared
 * pacing through that Redis, else per process. Throws RedisUrlError when the value is not a
 * `redis://` or `rediss://` URL with a host (ioredis would read anything else as a socket path or
 * a port and retry it forever).
 */
export function githubPacing(redisUrl: string | undefined): GitHubPacing {
  const value = (redisUrl ?? "").trim();
  if (!value) return { mode: "process" };
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new RedisUrlError(
      "REDIS_URL is not a URL: use redis://[:password@]host[:port][/db] (or rediss:// for TLS), or unset it to pace GitHub calls per process",
    );
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new RedisUrlError(`REDIS_URL must start with redis:// or rediss:// (it starts with ${url.protocol}//)`);
  }
  if (!url.hostname) throw new RedisUrlError("REDIS_URL has no host: use redis://[:password@]host[:port][/db]");
  return { mode: "redis", host: redisHost(url), url: value };
}

/** The start-up log line that says how GitHub calls are paced. */
export function describePacing(pacing: GitHubPacing): { fields: Record<string, string>; message: string } {
  if (pacing.mode === "redis") {
    return {
      fields: { write_pacing: "redis", redis: pacing.host },
      message: `GitHub write pacing: shared by every instance through Redis at ${pacing.host}`,
    };
  }
  return {
    fields: { write_pacing: "process" },
    message:
      "GitHub write pacing: per process (REDIS_URL is not set); several instances each pace alone and together may send GitHub that many times the write rate of one",
  };
}

export interface RedisCheckOptions {
  /** Connection attempts before giving up (Redis may be starting next to the app). Default 3. */
  attempts?: number;
  /** Pause between attempts. Default 1000 ms. */
  retryDelayMs?: number;
  /** Time limit of each attempt (connect and PING). Default 3000 ms. */
  timeoutMs?: number;
}

/**
 * Connects to the Redis at `pacing.url` and sends PING, a few times if needed; throws
 * RedisUrlError naming the host and the reason (refused, timed out, authentication...) when it
 * never answers. The connection is closed either way.
 */
export async function checkRedis(pacing: Extract<GitHubPacing, { mode: "redis" }>, options: RedisCheckOptions = {}): Promise<void> {
  const attempts = Math.max(1, options.attempts ?? 3);
  const timeoutMs = options.timeoutMs ?? 3000;
  let reason = "";
  for (let attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs ?? 1000));
    const client = new Redis(pacing.url, {
      lazyConnect: true,
      connectTimeout: timeoutMs,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
      enableOfflineQueue: false,
    });
    // The connection's own error (ECONNREFUSED, ENOTFOUND...) says more than connect()'s
    // "Connection is closed"; it is reported below, once, without the stack.
    let connectionError: unknown;
    client.on("error", (err) => (connectionError ??= err));
    let timer: NodeJS.Timeout | undefined;
    try {
      const ping = (async () => {
        await client.connect();
        return client.ping();
      })();
      ping.catch(() => undefined);
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${timeoutMs} ms`)), timeoutMs);
      });
      await Promise.race([ping, timeout]);
      return;
    } catch (err) {
      reason = oneLine(connectionError ?? err);
    } finally {
      clearTimeout(timer);
      client.disconnect();
    }
  }
  throw new RedisUrlError(
    `REDIS_URL: Redis at ${pacing.host} did not answer (${reason}; ${attempts} attempt${attempts === 1 ? "" : "s"}). GitHub write pacing is shared through it: start Redis or fix REDIS_URL (or unset it to pace per process)`,
  );
}

/** An error's message on one line, with no URL credentials (ioredis quotes what it was given). */
function oneLine(err: unknown): string {
  const message = errorMessage(err);
  return message
    .replace(/\/\/[^@/\s]*@/g, "//")
    .replace(/\s+/g, " ")
    .trim()
    .slice(0, 300);
}
