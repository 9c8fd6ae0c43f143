/**
 * The app process `npm run bench:scale` starts: what `npm start` runs (lib/runner.js: Probot's
 * `run` with the built app and its redacting logger, the app's graceful stop), except that
 * Probot's pacing of GitHub calls (@octokit/plugin-throttling: writes a second apart per
 * installation, comments three) is turned off, because the bench's GitHub stand-in has no rate
 * limits to respect and the bench measures the app, not the pacing. The app has no setting for
 * that (REDIS_URL only chooses where the pacing is kept), so this entry passes Probot an Octokit
 * class with `throttle: { enabled: false }`; everything else is the built app in lib/.
 *
 * Run as `node --import tsx bench/scaleApp.ts` with the app's environment (APP_ID, PRIVATE_KEY,
 * WEBHOOK_SECRET, GHE_HOST, DATABASE_URL, …). The bench sets no REDIS_URL and writes no .env.
 */
import { ProbotOctokit } from "probot";

// The built app (lib/ has no type declarations: typed here by what is used).
const lib = async <T>(path: string): Promise<T> => (await import(new URL(`../lib/${path}`, import.meta.url).href)) as T;
const { runApp } = await lib<{
  runApp: (options: {
    Octokit?: typeof ProbotOctokit;
    onLog?: (log: { info: (fields: object, message: string) => void }) => void;
  }) => Promise<void>;
}>("runner.js");

// A function, not an object: Probot layers its own defaults on top, which would bring the
// default `throttle.enabled: true` back over an object's `throttle`.
const Unpaced = ProbotOctokit.defaults((options: Record<string, any>) => ({
  ...options,
  throttle: { ...options.throttle, enabled: false },
})) as typeof ProbotOctokit;

// As lib/main.js (the same runner: settings, logger, graceful stop), with pacing off.
await runApp({
  Octokit: Unpaced,
  onLog: (log) => log.info({ github_pacing: "off" }, "bench: GitHub call pacing is off (the stand-in GitHub has no rate limits)"),
});
