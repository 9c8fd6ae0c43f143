/**
 * secretlint 12 (the last release for Node 20) profiles every run whether anyone reads it: a
 * `performance.mark` per rule per file, kept forever by a PerformanceObserver whose callback scans
 * every mark so far. In a long-lived analysis worker each file then costs more than the last (a
 * 17,000-line review went from 0.6 s to 3.7 s after a few runs). Upstream made profiling opt-in
 * later (secretlint 13, Node 22+); until then marks are switched off here, before the first lint.
 */
import { secretLintProfiler } from "@secretlint/profiler";

export function disableSecretlintProfiling(): void {
  secretLintProfiler.mark = () => undefined;
}
