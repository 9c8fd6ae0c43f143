/**
 * Suggested changes in the review: a finding with a mechanical fix gets a ```suggestion block over
 * exactly its lines, and the fake GitHub (every request checked against GitHub's REST API
 * description) accepts the review; a suggestion whose lines are not all in one hunk of the new
 * side would make GitHub reject the whole review, so that comment is sent without it.
 */
import nock from "nock";
import { FakeGitHub, type FakeFile } from "../../helpers/fakeGitHub.js";
import { parsePatch } from "../../../src/analysis/diff.js";
import { withKnownSecrets } from "../../../src/analysis/secrets.js";
import type { Finding } from "../../../src/analysis/types.js";
import { suggestionFits } from "../../../src/analysis/diff.js";
import { selectInlineComments } from "../../../src/github/review/inlineReview.js";
import { createHarness, type Harness } from "../harness.js";

function addedPatch(text: string): string {
  const lines = text.split("\n");
  return [`@@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`)].join("\n");
}

/** GitHub's rule for a comment over lines start..line: every one of them on the new side of one hunk. */
function rangeInOneHunk(patch: string, start: number, end: number): boolean {
  const hunks: Array<Set<number>> = [];
  let n = 0;
  for (const l of patch.split("\n")) {
    const h = /^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@/.exec(l);
    if (h) {
      n = Number(h[1]);
      hunks.push(new Set());
    } else if (!l.startsWith("-") && !l.startsWith("\\")) hunks[hunks.length - 1].add(n++);
  }
  return hunks.some((lines) => Array.from({ length: end - start + 1 }, (_, i) => start + i).every((x) => lines.has(x)));
}

const settingsPy = [
  "import yaml",
  "",
  "",
  "def read(path):",
  "    with open(path) as f:",
  "        return yaml.load(f, Loader=yaml.FullLoader)",
  "",
].join("\n");

const dbPy = [
  "import sqlite3",
  "",
  "",
  "def find(conn, name):",
  "    return conn.execute(",
  "        f\"SELECT * FROM users WHERE name = '{name}'\"",
  "    ).fetchall()",
  "",
].join("\n");

/** A statement that starts above the hunk: the suggestion over it cannot be applied on this diff. */
const loadPy = [
  "import yaml",
  "",
  "",
  "def load(stream):",
  "    data = yaml.load(",
  "        read_all(",
  "            stream,",
  "            limit=MAX,",
  "        ),",
  "        Loader=yaml.Loader,",
  "    )",
  "    return data",
].join("\n");
const loadPatch = [
  "@@ -7,6 +7,6 @@ def load(stream):",
  "             stream,",
  "             limit=MAX,",
  "         ),",
  "-        Loader=yaml.SafeLoader,",
  "+        Loader=yaml.Loader,",
  "     )",
  "     return data",
].join("\n");

describe("suggested changes in the review", () => {
  let h: Harness;
  afterEach(() => {
    nock.cleanAll();
    expect(h.fake.problems).toEqual([]); // every request the app sent is one GitHub's API description accepts
  });

  it("posts suggestions that apply, and the comment without one whose lines are not in one hunk", async () => {
    const fake = new FakeGitHub();
    const files: FakeFile[] = [
      { filename: "app/settings.py", status: "added", additions: 7, deletions: 0, patch: addedPatch(settingsPy) },
      { filename: "app/db.py", status: "added", additions: 8, deletions: 0, patch: addedPatch(dbPy) },
      { filename: "app/load.py", status: "modified", additions: 1, deletions: 1, patch: loadPatch },
    ];
    fake.setFiles(files);
    fake.contents.set("app/settings.py", settingsPy);
    fake.contents.set("app/db.py", dbPy);
    fake.contents.set("app/load.py", loadPy);
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();

    expect(fake.reviews).toHaveLength(1);
    const byPath = new Map(fake.reviewComments.map((c) => [c.path, c]));

    // One line: the suggestion replaces the commented line.
    const settings = byPath.get("app/settings.py");
    expect(settings).toMatchObject({ line: 6, side: "RIGHT" });
    expect(settings.start_line).toBeUndefined();
    expect(settings.body).toContain("```suggestion\n        return yaml.safe_load(f)\n```");

    // Several lines: start_line..line, exactly the lines the suggestion replaces.
    const db = byPath.get("app/db.py");
    expect(db).toMatchObject({ start_line: 5, start_side: "RIGHT", line: 6, side: "RIGHT" });
    expect(db.body).toContain('```suggestion\n    return conn.execute(\n        "SELECT * FROM users WHERE name = ?", (name,)\n```');

    // Lines 5..10 are not in the hunk (7..12): the finding is commented on its line, without a suggestion.
    const load = byPath.get("app/load.py");
    expect(load).toMatchObject({ line: 10, side: "RIGHT" });
    expect(load.start_line).toBeUndefined();
    expect(load.body).not.toContain("```suggestion");
    expect(load.body).toMatch(/safe_load/); // the recommendation still says what to do
    expect(rangeInOneHunk(loadPatch, 5, 10)).toBe(false); // what GitHub would have rejected

    // Every comment sent is one GitHub accepts: its lines in one hunk of the new side.
    for (const c of fake.reviewComments) {
      const patch = files.find((f) => f.filename === c.path)!.patch!;
      expect([c.path, rangeInOneHunk(patch, c.start_line ?? c.line, c.line)]).toEqual([c.path, true]);
    }
  }, 30_000);
});

describe("selectInlineComments with suggestions", () => {
  const file = parsePatch("app/x.py", addedPatch("import yaml\ncfg = yaml.load(text)\nother()"));
  const finding = (over: Partial<Finding> = {}): Finding => ({
    rule: "py/unsafe-yaml",
    category: "insecure-deserialization",
    path: "app/x.py",
    line: 2,
    side: "RIGHT",
    severity: "high",
    confidence: 0.85,
    message: "YAML is loaded with a loader that can construct arbitrary Python objects.",
    recommendation: "Use `yaml.safe_load(data)`.",
    fingerprint: "0123456789abcdef",
    suggestion: { startLine: 2, endLine: 2, replacement: "cfg = yaml.safe_load(text)" },
    ...over,
  });

  it("drops a suggestion whose range leaves the diff, or does not include the commented line", () => {
    expect(suggestionFits({ startLine: 2, endLine: 3, replacement: "a\nb" }, 2, file)).toBe(true);
    expect(suggestionFits({ startLine: 2, endLine: 4, replacement: "a" }, 2, file)).toBe(false);
    expect(suggestionFits({ startLine: 3, endLine: 3, replacement: "a" }, 2, file)).toBe(false);
    const [c] = selectInlineComments(
      [finding({ suggestion: { startLine: 1, endLine: 9, replacement: "x" } })],
      [file],
      new Set(),
      10,
    ).comments;
    expect(c).toMatchObject({ line: 2 });
    expect(c.startLine).toBeUndefined();
    expect(c.body).not.toContain("suggestion");
  });

  it("never sends a suggestion that redaction would change (it would commit a placeholder), nor the secret", () => {
    const secret = "hunter2-staging-password";
    const item = finding({ suggestion: { startLine: 2, endLine: 2, replacement: `cfg = yaml.safe_load(text)  # ${secret}` } });
    const [c] = withKnownSecrets([secret], () => selectInlineComments([item], [file], new Set(), 10).comments);
    expect(c.body).not.toContain(secret);
    expect(c.body).not.toContain("```suggestion");
    // Without the secret known, the same suggestion is sent as written.
    const [plain] = selectInlineComments([finding()], [file], new Set(), 10).comments;
    expect(plain.body).toContain("```suggestion\ncfg = yaml.safe_load(text)\n```");
  });

  it("fences a suggestion containing backticks with a longer fence", () => {
    const replacement = "q = f'```{x}'";
    const [c] = selectInlineComments([finding({ suggestion: { startLine: 2, endLine: 2, replacement } })], [file], new Set(), 10).comments;
    expect(c.body).toContain(`\`\`\`\`suggestion\n${replacement}\n\`\`\`\``);
  });
});
