/**
 * The analysis in the test's own process, for tests about what the app does with findings
 * (the review, Slack, integrations). The worker pool itself is tested with real processes in
 * test/analysis/pool and test/process.
 */
import { analyseChange } from "../../src/analysis/analyze.js";
import type { AnalyseChange } from "../../src/analysis/pool/isolated.js";

export const analyseInProcess: AnalyseChange = (input, { signal: _signal, ...options }) => analyseChange(input, options);
