/**
 * The pathological section of `npm run bench:analysis`: inputs a stranger's pull request may
 * hold to stall or crash the analysis, each analysed in the worker pool (as the app does) beside
 * ordinary code of the same size and language. Each must finish within its budget or be turned
 * away by a pre-check; none may take the process down.
 */
import { analyseInPool } from "../src/analysis/pool/isolated.js";
import { AnalysisPool } from "../src/analysis/pool/pool.js";
import { DEFAULT_LIMITS, type AnalysisLimits } from "../src/analysis/limits.js";
import type { AnalysisResult } from "../src/analysis/types.js";
import {
  addedFile,
  deeplyNestedPython,
  functionPairs,
  minifiedLine,
  nestedParentheses,
  repeatedStatement,
} from "../test/analysis/hostileInputs.js";
import { generateFiles } from "./generateDiff.js";

/** Ordinary generated code of one language, about `bytes` long, cut between two functions (a blank line) so it parses. */
function ordinary(extension: ".js" | ".py", bytes: number): string {
  const unit = generateFiles(5_000)
    .filter((f) => f.path.endsWith(extension))
    .map((f) => f.text)
    .join("");
  let text = unit;
  while (text.length < bytes) text += unit;
  return text.slice(0, text.lastIndexOf("\n\n", bytes) + 1);
}

interface Case {
  name: string;
  path: string;
  text: string;
  limits?: Partial<AnalysisLimits>;
}

const CASES: Case[] = [
  { name: "Python nested 515 levels", path: "deep.py", text: deeplyNestedPython(515) },
  {
    name: "Python nested 515 levels, pre-check off (parser abort)",
    path: "deep.py",
    text: deeplyNestedPython(515),
    limits: { maxNestingDepth: 1e9 },
  },
  { name: "3,200 function pairs", path: "pairs.js", text: functionPairs(3_200) },
  { name: "5 MB single-line minified file", path: "bundle.js", text: minifiedLine(5_000_000) },
  { name: "10,000 nested parentheses", path: "parens.js", text: nestedParentheses(10_000) },
  { name: "50,000 lines of one repeated statement", path: "repeat.js", text: repeatedStatement(50_000) },
  // Under the limits, so analysed: its time shows the analysis is linear.
  { name: "19,000 lines of one repeated statement", path: "repeat.js", text: repeatedStatement(19_000) },
];

function outcome(result: AnalysisResult, path: string): string {
  const skipped = result.skipped.find((s) => s.path === path);
  if (skipped) return skipped.reason;
  return `analysed: ${result.findings.length} findings, ${result.predictions.length} predictions`;
}

export async function benchPathological(): Promise<void> {
  const pool = new AnalysisPool({ size: 1 });
  try {
    // A warm worker before each run, as in a running app (a crash or a timeout replaced the last one).
    const warm = () => analyseInPool(pool, { files: [addedFile("warm.js", "const a = 1;\n")] });
    const rows: object[] = [];
    for (const c of CASES) {
      const normalText = ordinary(c.path.endsWith(".py") ? ".py" : ".js", c.text.length);
      for (const [kind, text] of [
        ["hostile", c.text],
        ["ordinary, same size", normalText],
      ] as const) {
        const path = c.path;
        await warm();
        const started = performance.now();
        // Whole content as the app would fetch it, so the pre-check sees the file as it is.
        const result = (
          await analyseInPool(
            pool,
            { files: [addedFile(path, text)], fileContents: new Map([[path, text]]) },
            { limits: { ...DEFAULT_LIMITS, ...c.limits } },
          )
        ).result;
        rows.push({
          case: c.name,
          input: kind,
          kb: Math.round(text.length / 1024),
          ms: Math.round(performance.now() - started),
          outcome: outcome(result, path),
        });
      }
    }
    console.log(
      `\nPathological inputs in the worker pool, each beside ordinary code of the same size (budget: ${DEFAULT_LIMITS.fileTimeBudgetMs / 1000} s a file; limits: ${DEFAULT_LIMITS.maxFileBytes.toLocaleString("en")} bytes, ${DEFAULT_LIMITS.maxLineLength.toLocaleString("en")}-character lines, nesting ${DEFAULT_LIMITS.maxNestingDepth})`,
    );
    console.table(rows);
    console.log(`pool after the run: ${JSON.stringify(pool.stats())}`);
  } finally {
    await pool.destroy();
  }
}
