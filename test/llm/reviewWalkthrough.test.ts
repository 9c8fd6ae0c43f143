/**
 * The walkthrough in the review job, end to end: the app reviews a pull request full of provider
 * tokens against the fake GitHub, with EMPATHY_LLM_* pointing at the loopback stand-in. The
 * summary carries the model's paragraphs under our headings; no 8-character run of any token
 * reaches the stand-in (the review's found values included); `llm: false` in the repository's
 * config means no request at all.
 */
import nock from "nock";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import { createHarness } from "../github/harness.js";
import { eightCharRuns, leakyPullRequest, leaks } from "../analysis/fakeSecrets.js";
import { startStandIn, type StandIn } from "./standIn.js";

function addedPatch(text: string): string {
  const lines = text.split("\n");
  return [`@@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`)].join("\n");
}

/** Answers one paragraph per group the prompt names. */
function paragraphs(messages: { content: string }[]): string {
  const names = [...messages[1].content.matchAll(/^Group "([^"]+)"/gm)].map((m) => m[1]);
  return JSON.stringify({ groups: Object.fromEntries(names.map((n) => [n, `Adds the deploy settings of ${n}.`])) });
}

describe("the review job's walkthrough", () => {
  let standIn: StandIn;
  beforeEach(async () => {
    standIn = await startStandIn({ kind: "answer", content: paragraphs, usage: { prompt: 900, completion: 120 } });
  });
  afterEach(async () => {
    nock.cleanAll();
    await standIn.close();
  });

  async function review(configYaml: string | null) {
    const { files, tokens } = leakyPullRequest();
    const fake = new FakeGitHub();
    fake.configYaml = configYaml;
    fake.setFiles(
      files.map((f) => ({
        filename: f.path,
        status: "added",
        additions: f.text.split("\n").length,
        deletions: 0,
        patch: addedPatch(f.text),
      })),
    );
    for (const f of files) fake.contents.set(f.path, f.text);
    const llm = { url: standIn.url, model: "stand-in", apiKey: "sk-standin-key-0123456789", timeoutMs: 5000, tokenBudget: 50_000 };
    const h = await createHarness({ fake, settings: { llm } });
    await h.deliver("opened");
    await h.drain();
    return { fake, h, runs: eightCharRuns(tokens) };
  }

  it("puts the model's paragraphs in the summary, and sends no secret of the change", async () => {
    const { fake, h, runs } = await review(null);
    expect(standIn.requests).toHaveLength(1);
    expect(leaks(standIn.requests.map((r) => r.body).join("\n"), runs)).toEqual([]);
    const summary = fake.comments[0].body as string;
    expect(summary).toContain("### Walkthrough");
    expect(summary).toMatch(/Adds the deploy settings of /);
    expect(summary).toContain("### Findings");
    expect(h.logs.join("")).not.toContain("sk-standin-key-0123456789");
  }, 60_000);

  it("sends nothing when the repository says llm: false", async () => {
    const { fake } = await review("llm: false\n");
    expect(standIn.requests).toHaveLength(0);
    expect(fake.comments[0].body as string).not.toContain("### Walkthrough");
  }, 60_000);
});
