/**
 * The analysis pool with real worker processes: a file that crashes its worker (a real parser
 * abort), one that never finishes, a pull request that runs out of time; each is a skipped file
 * with its reason, the rest is analysed, and the workers are replaced.
 */
import { analyseInPool } from "../../../src/analysis/pool/isolated.js";
import { AnalysisPool } from "../../../src/analysis/pool/pool.js";
import { parsePatch } from "../../../src/analysis/diff.js";
import { addedFile, deeplyNestedPython, SQL_INJECTION_JS } from "../hostileInputs.js";

const NO_PRECHECK = { maxNestingDepth: 1e9, maxLineLength: 1e9, maxFileBytes: 1e9 };
const stalling = new URL("./stallingWorker.ts", import.meta.url);

describe("the analysis pool", () => {
  const pools: AnalysisPool[] = [];
  const pool = (options: ConstructorParameters<typeof AnalysisPool>[0]) => {
    const p = new AnalysisPool(options);
    pools.push(p);
    return p;
  };
  afterAll(async () => {
    await Promise.all(pools.map((p) => p.destroy()));
  });

  it("turns a parser abort into a skipped file, analyses the rest, and replaces the worker", async () => {
    const p = pool({ size: 1 });
    // Past ~510 nested blocks tree-sitter's Python scanner fails an assertion and aborts the process.
    const files = [addedFile("deep.py", deeplyNestedPython(515)), addedFile("src/app.js", SQL_INJECTION_JS)];
    const result = (await analyseInPool(p, { files }, { limits: NO_PRECHECK })).result;
    expect(result.skipped).toEqual([
      { path: "deep.py", reason: "not analysed: the analysis process stopped on it (a parser crash, or over the 1024 MB memory cap)" },
    ]);
    expect(result.findings.map((f) => [f.path, f.category])).toEqual([["src/app.js", "sql-injection"]]);
    expect(p.stats()).toMatchObject({ crashes: 1, busy: 0, queued: 0 });

    // The same file under the default limits never reaches a parser; the replaced worker serves the next review.
    const again = (await analyseInPool(p, { files })).result;
    expect(again.skipped).toEqual([{ path: "deep.py", reason: "not analysed: nesting deeper than 200 levels" }]);
    expect(again.findings).toHaveLength(1);
    expect(p.stats()).toMatchObject({ crashes: 1, workers: 1 });
  });

  it("stops a file that overruns its budget, and the other files are analysed on other workers", async () => {
    const p = pool({ size: 2, workerModule: stalling });
    const files = [
      addedFile("src/stall.js", "let x = 1;\n"),
      addedFile("src/app.js", SQL_INJECTION_JS),
      addedFile("src/other.js", SQL_INJECTION_JS.replace("users", "orders")),
    ];
    const result = (await analyseInPool(p, { files }, { limits: { fileTimeBudgetMs: 1500 } })).result;
    expect(result.skipped).toEqual([{ path: "src/stall.js", reason: "not analysed: time budget of 1.5 s exceeded" }]);
    expect(result.findings.map((f) => f.path).sort()).toEqual(["src/app.js", "src/other.js"]);
    expect(p.stats()).toMatchObject({ timeouts: 1, busy: 0 });
  });

  it("runs a short-lived pool's workers without V8's optimising compiler, and a long-lived pool's with it", async () => {
    const flagsOf = async (p: AnalysisPool) => {
      const outcome = await p.run(
        { stage: "file", files: [parsePatch("flags.js", "@@ -0,0 +1 @@\n+x;", { status: "added" })], contents: [], options: {} },
        { budgetMs: 60_000 },
      );
      return outcome.ok ? "" : outcome.message;
    };
    expect(await flagsOf(pool({ size: 1, workerModule: stalling, shortLived: true }))).toMatch(/^flags: .*--no-opt/);
    const longLived = await flagsOf(pool({ size: 1, workerModule: stalling }));
    expect(longLived).toMatch(/^flags: .*--max-old-space-size=1024/);
    expect(longLived).not.toContain("--no-opt");
  });

  it("skips what is left when the pull request's budget is spent", async () => {
    const p = pool({ size: 1, workerModule: stalling });
    await analyseInPool(p, { files: [addedFile("src/app.js", SQL_INJECTION_JS)] }); // a worker ready and waiting
    const files = [addedFile("src/stall.js", "let x = 1;\n"), addedFile("src/app.js", SQL_INJECTION_JS)];
    const result = (await analyseInPool(p, { files }, { limits: { fileTimeBudgetMs: 60_000, reviewTimeBudgetMs: 1000 } })).result;
    // The cross-file predictors were first in line and ran; the stalled file and the one behind it were stopped.
    expect(result.skipped).toEqual([
      { path: "src/stall.js", reason: "not analysed: the pull request's time budget of 1 s was spent" },
      { path: "src/app.js", reason: "not analysed: the pull request's time budget of 1 s was spent" },
    ]);
    expect(p.stats()).toMatchObject({ busy: 0, queued: 0 });
  });

  it("a worker that aborts is a skipped file too; a cancelled analysis rejects with the reason", async () => {
    const p = pool({ size: 1, workerModule: stalling });
    const result = (await analyseInPool(p, { files: [addedFile("src/abort.js", "x();\n"), addedFile("src/app.js", SQL_INJECTION_JS)] }))
      .result;
    expect(result.skipped.map((s) => s.path)).toEqual(["src/abort.js"]);
    expect(result.findings).toHaveLength(1);

    const job = new AbortController();
    const running = analyseInPool(p, { files: [addedFile("src/stall.js", "x();\n")] }, { signal: job.signal });
    setTimeout(() => job.abort(new Error("job time limit")), 300);
    await expect(running).rejects.toThrow("job time limit");
  });

  it("replaces every worker after its number of tasks", async () => {
    const p = pool({ size: 1, maxTasksPerWorker: 2 });
    const seen = new Set<number>();
    for (let i = 0; i < 3; i++) {
      await analyseInPool(p, { files: [addedFile("src/app.js", SQL_INJECTION_JS)] }); // two tasks: the file and the cross-file stage
      // The worker that ran them is stopped and a new one started.
      for (let wait = 0; p.workerPids().length === 0 && wait < 100; wait++) await new Promise((r) => setTimeout(r, 50));
      for (const pid of p.workerPids()) seen.add(pid);
    }
    expect(seen.size).toBe(3);
    expect(p.stats()).toMatchObject({ completed: 6, crashes: 0 });
  });

  it("merges the files' results: one prediction per package, however many manifests bump it", async () => {
    const p = pool({ size: 1 });
    const bump = (path: string) => parsePatch(path, "@@ -1 +1 @@\n-Django==4.2.11\n+Django==5.0.3", { status: "modified" });
    const { result } = await analyseInPool(p, { files: [bump("requirements.txt"), bump("services/api/requirements.txt")] });
    expect(result.predictions.filter((x) => x.kind === "dependency-major-bump").map((x) => x.path)).toEqual(["requirements.txt"]);
  });
});
