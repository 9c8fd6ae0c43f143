/**
 * A server binary a test needs, installed from Debian's packages when it is missing (a fresh
 * machine, where only `npm install && npm test` was run): as root, through apt-get, waiting for
 * apt's lock if another suite installs at the same time. Elsewhere (not root, no apt-get) the
 * caller's error says what to install; a suite that needs the server fails, it never skips.
 */
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";

export function installDebianPackage(pkg: string): void {
  if (process.platform !== "linux" || process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get")) return;
  const apt = (args: string[]) =>
    execFileSync("/usr/bin/apt-get", ["-o", "DPkg::Lock::Timeout=300", ...args], {
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
      stdio: "ignore",
      timeout: 600_000,
    });
  apt(["update"]);
  apt(["install", "-y", "--no-install-recommends", pkg]);
}
