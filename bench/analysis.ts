/** Time to analyse a 10,000-line diff through the CLI's engine, beside the time to only parse it (baseline). */
import { runAnalysis } from "../src/analysis/analyze.js";
import { parseUnifiedDiff } from "../src/analysis/diff.js";
import { EmpathyOS } from "../src/engine/empathyOS.js";
import { generateDiff } from "./generateDiff.js";

function best(runs: number, fn: () => unknown): number {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

async function bestAsync(runs: number, fn: () => Promise<unknown>): Promise<number> {
  let min = Infinity;
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await fn();
    min = Math.min(min, performance.now() - t);
  }
  return min;
}

export async function benchAnalysis(lines = 10_000): Promise<void> {
  const diff = generateDiff(lines);
  const parseMs = best(5, () => parseUnifiedDiff(diff));
  let findings = 0;
  const analyseMs = await bestAsync(5, async () => {
    const result = await runAnalysis({ files: parseUnifiedDiff(diff) });
    findings = result.findings.length + result.predictions.length;
  });
  const engine = new EmpathyOS({ userId: "bench" });
  const t = performance.now();
  await engine.interact({
    input: "bench",
    context: { repo: "bench/bench", analysis: await runAnalysis({ files: parseUnifiedDiff(diff) }) },
  });
  const endToEndMs = performance.now() - t;
  console.log(`\nAnalysis of a ${lines.toLocaleString("en")}-line diff (best of 5; target: under 1 s)`);
  console.table([
    { step: "baseline: parse the diff only", ms: parseMs.toFixed(1) },
    {
      step: "parse + rules + predictors",
      ms: analyseMs.toFixed(1),
      "lines/s": Math.round((lines / analyseMs) * 1000).toLocaleString("en"),
      items: findings,
    },
    { step: "parse + analysis + engine.interact (once)", ms: endToEndMs.toFixed(1) },
  ]);
}
