/**
 * A throwaway PostgreSQL server for tests: initdb in a temp dir, pg_ctl start on a free port
 * (loopback and a socket in the same dir), stopped and deleted afterwards. As root (CI), the
 * server binaries refuse to run, so they run as the `postgres` user through runuser. If the
 * server cannot start, start() throws: a suite that needs it fails, it never skips.
 */
import { execFileSync } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "../process/appProcess.js";
import { installDebianPackage } from "../support/debianPackage.js";

/** Debian's server binaries (/usr/lib/postgresql/VERSION/bin, newest first), then PATH's. */
function binDirs(): string[] {
  let versions: string[] = [];
  try {
    versions = readdirSync("/usr/lib/postgresql").sort((x, y) => Number(y) - Number(x));
  } catch {
    // not installed from Debian's packages
  }
  return [...versions.map((v) => `/usr/lib/postgresql/${v}/bin`), ...(process.env.PATH ?? "").split(":").filter(Boolean)];
}

function binary(name: string): string {
  const find = () =>
    binDirs()
      .map((dir) => join(dir, name))
      .find((path) => existsSync(path));
  let found = find();
  if (!found) {
    installDebianPackage("postgresql"); // a fresh machine (see test/support/debianPackage.ts)
    found = find();
  }
  if (found) return found;
  const dirs = binDirs();
  throw new Error(`PostgreSQL's ${name} was not found (looked in ${dirs.join(", ")}): install Debian's postgresql package (.ci/run does)`);
}

export interface PostgresServer {
  url: string;
  port: number;
  /** A new empty database on the server; returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

export async function startPostgres(): Promise<PostgresServer> {
  const root = userInfo().uid === 0;
  const dir = mkdtempSync(join(tmpdir(), "empathy-pg-"));
  const data = join(dir, "data");
  const port = await freePort();
  const run = (cmd: string, args: string[]) => {
    const [file, argv] = root ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
    try {
      return execFileSync(file, argv, { stdio: "pipe", encoding: "utf8", timeout: 60_000 });
    } catch (err) {
      const e = err as { stderr?: string; stdout?: string; message: string };
      throw new Error(`${cmd} ${args.join(" ")} failed: ${e.stderr || e.stdout || e.message}`);
    }
  };
  if (root) {
    chownSync(
      dir,
      Number(execFileSync("id", ["-u", "postgres"]).toString().trim()),
      Number(execFileSync("id", ["-g", "postgres"]).toString().trim()),
    );
    chmodSync(dir, 0o700);
  }
  try {
    run(binary("initdb"), ["-D", data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"]);
    run(binary("pg_ctl"), [
      "-D",
      data,
      "-l",
      join(dir, "server.log"),
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`,
      "-w",
      "start",
    ]);
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  return {
    url,
    port,
    async createDatabase(name: string) {
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE "${name.replace(/"/g, "")}"`);
      } finally {
        await client.end();
      }
      return `postgres://postgres@127.0.0.1:${port}/${name}`;
    },
    async stop() {
      try {
        run(binary("pg_ctl"), ["-D", data, "-m", "immediate", "-w", "stop"]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  };
}
