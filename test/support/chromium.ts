/**
 * Debian's Chromium for the browser tests, driven by playwright-core: installed where it is
 * missing (as .ci/run does), launched headless without the sandbox or background networking.
 */
import { existsSync } from "node:fs";
import { chromium, type Browser } from "playwright-core";
import { installDebianPackage } from "./debianPackage.js";

const CHROMIUM = "/usr/bin/chromium";

export async function launchChromium(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) installDebianPackage("chromium");
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}
