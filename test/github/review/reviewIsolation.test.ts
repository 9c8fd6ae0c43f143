/**
 * A review with the analysis in real worker processes: a file that aborts its worker (a real
 * parser crash), a file over the limits, and an ordinary risky file in one pull request. The
 * pull request is still reviewed, the two files are listed as not analysed with their reasons,
 * and this process goes on serving.
 */
import nock from "nock";
import { analyseInPool } from "../../../src/analysis/pool/isolated.js";
import { AnalysisPool } from "../../../src/analysis/pool/pool.js";
import { deeplyNestedPython, minifiedLine } from "../../analysis/hostileInputs.js";
import { FakeGitHub, type FakeFile } from "../../helpers/fakeGitHub.js";
import { riskyFiles } from "../fixtures.js";
import { createHarness } from "../harness.js";

function addedFile(filename: string, text: string): FakeFile {
  const lines = text.replace(/\n$/, "").split("\n");
  return {
    filename,
    status: "added",
    additions: lines.length,
    deletions: 0,
    patch: `@@ -0,0 +1,${lines.length} @@\n${lines.map((l) => `+${l}`).join("\n")}`,
  };
}

describe("a review whose analysis crashes a worker", () => {
  const pool = new AnalysisPool({ size: 1 });
  afterAll(() => pool.destroy());
  afterEach(() => nock.cleanAll());

  it("is posted, with the crashing file and the file over a limit listed as not analysed", async () => {
    const fake = new FakeGitHub();
    fake.setFiles([
      addedFile("scripts/deep.py", deeplyNestedPython(515)),
      addedFile("public/bundle.js", minifiedLine(20_000)),
      ...riskyFiles,
    ]);
    const h = await createHarness({
      fake,
      analyse: (input, options) => analyseInPool(pool, input, options),
      // The operator lets deep nesting through, so the Python file reaches the parser and aborts it.
      settings: {
        analysisLimits: {
          maxFileBytes: 1_000_000,
          maxLineLength: 10_000,
          maxNestingDepth: 100_000,
          fileTimeBudgetMs: 20_000,
          reviewTimeBudgetMs: 60_000,
        },
      },
    });
    await h.deliver("opened");
    await h.drain();

    expect(fake.comments).toHaveLength(1);
    const summary = fake.comments[0].body as string;
    expect(summary).toContain(
      "`scripts/deep.py`: not analysed: the analysis process stopped on it (a parser crash, or over the 1024 MB memory cap)",
    );
    expect(summary).toContain("`public/bundle.js`: not analysed: a line longer than 10,000 characters (minified or generated code?)");
    // The rest of the pull request is reviewed as usual.
    expect(fake.reviews).toHaveLength(1);
    expect(fake.reviewComments.map((c) => c.path)).toContain("src/orders/export.js");
    expect(pool.stats()).toMatchObject({ crashes: 1 });
    expect(await h.handles.store.countJobs()).toMatchObject({ queued: 0, running: 0, dead: 0 });
    expect(fake.problems).toEqual([]);
  });

  it("a repository's config lowers the limits: the same file is turned away before any parser", async () => {
    const fake = new FakeGitHub();
    fake.configYaml = "analysis:\n  max_nesting_depth: 50\n";
    fake.setFiles([addedFile("scripts/deep.py", deeplyNestedPython(80)), ...riskyFiles]);
    const h = await createHarness({ fake, analyse: (input, options) => analyseInPool(pool, input, options) });
    await h.deliver("opened");
    await h.drain();
    expect(fake.comments[0].body).toContain("`scripts/deep.py`: not analysed: nesting deeper than 50 levels");
    expect(pool.stats()).toMatchObject({ crashes: 1 }); // no new crash
  });
});
