/**
 * A throwaway Redis server for tests: Debian's `redis-server` on a free loopback port, with no
 * persistence (`--save ''`, `--appendonly no`) and its working directory in a temp dir, stopped
 * and deleted afterwards. If it cannot start, start() throws: a suite that needs it fails, it
 * never skips. Where redis-server is missing, Debian's package is installed first (as root).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { freePort } from "../process/appProcess.js";
import { installDebianPackage } from "./debianPackage.js";

/** Debian's binary, then PATH's; installed first where it is missing (see debianPackage.ts). */
function redisServerBinary(): string {
  const dirs = ["/usr/bin", "/usr/sbin", "/usr/local/bin", ...(process.env.PATH ?? "").split(":").filter(Boolean)];
  const find = () => dirs.map((dir) => join(dir, "redis-server")).find((path) => existsSync(path));
  let found = find();
  if (!found) {
    installDebianPackage("redis-server");
    found = find();
  }
  if (!found)
    throw new Error(`redis-server was not found (looked in ${dirs.join(", ")}): install Debian's redis-server package (.ci/run does)`);
  return found;
}

export interface RedisServer {
  url: string;
  port: number;
  /** A client of this server (closed by stop()). */
  client(): Redis;
  stop(): Promise<void>;
}

const READY = /Ready to accept connections/;

export interface RedisServerOptions {
  /** `requirepass`: clients must give it (the URL is then redis://:PASSWORD@127.0.0.1:PORT). */
  password?: string;
}

export async function startRedis(options: RedisServerOptions = {}): Promise<RedisServer> {
  const binary = redisServerBinary();
  let lastError: Error | undefined;
  // A free port can be taken between the check and the server's bind: try a few.
  for (let attempt = 0; attempt < 3; attempt++) {
    const dir = mkdtempSync(join(tmpdir(), "empathy-redis-"));
    const port = await freePort();
    const child = spawn(
      binary,
      [
        "--port",
        String(port),
        "--bind",
        "127.0.0.1",
        "--save",
        "",
        "--appendonly",
        "no",
        "--dir",
        dir,
        "--daemonize",
        "no",
        "--protected-mode",
        "yes",
        "--loglevel",
        "notice",
        ...(options.password ? ["--requirepass", options.password] : []),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let output = "";
    child.stdout!.on("data", (d) => (output += d));
    child.stderr!.on("data", (d) => (output += d));
    const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
    const started = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 20_000);
      const check = () => {
        if (READY.test(output)) {
          clearTimeout(timer);
          resolve(true);
        }
      };
      child.stdout!.on("data", check);
      child.stderr!.on("data", check);
      child.once("error", (err) => {
        output += `\n${err.message}`;
        clearTimeout(timer);
        resolve(false);
      });
      void exited.then(() => {
        clearTimeout(timer);
        resolve(READY.test(output));
      });
    });
    if (!started) {
      child.kill("SIGKILL");
      rmSync(dir, { recursive: true, force: true });
      lastError = new Error(`redis-server did not start on port ${port}:\n${output}`);
      continue;
    }
    return server(child, exited, dir, port, options.password);
  }
  throw lastError!;
}

function server(child: ChildProcess, exited: Promise<number | null>, dir: string, port: number, password?: string): RedisServer {
  const url = password ? `redis://:${encodeURIComponent(password)}@127.0.0.1:${port}` : `redis://127.0.0.1:${port}`;
  const clients: Redis[] = [];
  return {
    url,
    port,
    client() {
      const c = new Redis(url, { maxRetriesPerRequest: 1 });
      clients.push(c);
      return c;
    },
    async stop() {
      for (const c of clients) c.disconnect();
      if (child.exitCode === null && child.signalCode === null) {
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
