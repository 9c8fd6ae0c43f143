/**
 * `/empathy explain <finding>` end to end: a review through Probot and the fake GitHub (every
 * request checked against GitHub's OpenAPI description), then the command in a pull request
 * comment. The answer shows the code at the finding's line from the head commit, why it matters
 * and the fix: a ```suggestion block when the finding's suggestion fits the diff, else the
 * category's example; a secret's line is never shown.
 */
import nock from "nock";
import { replyMarker } from "../../../src/github/feedback/commands.js";
import { FakeGitHub } from "../../helpers/fakeGitHub.js";
import { examplePayload, withRepo } from "../../helpers/webhookExamples.js";
import { riskyExportJs, riskyFiles, STRIPE_SECRET } from "../fixtures.js";
import { createHarness, type Harness } from "../harness.js";

const REPO = "octo-org/shop";
let seq = 0;

/** A file whose driver is known (pg): its SQL finding carries a suggested change. */
const QUERY_JS = [
  'const { Pool } = require("pg");',
  "const db = new Pool();",
  "",
  "async function orders(req, res) {",
  '  const rows = await db.query("SELECT * FROM orders WHERE id = " + req.params.id);',
  "  res.json(rows);",
  "}",
].join("\n");

const queryFile = {
  filename: "src/orders/query.js",
  status: "added",
  additions: 7,
  deletions: 0,
  patch: ["@@ -0,0 +1,7 @@", ...QUERY_JS.split("\n").map((l) => `+${l}`)].join("\n"),
};

async function comment(h: Harness, body: string, login: string): Promise<number> {
  const payload: any = withRepo(examplePayload("issue_comment", "created"), { owner: h.fake.owner, repo: h.fake.repo, installationId: 2 });
  const n = h.fake.pull.number;
  payload.issue.number = n;
  payload.issue.pull_request = {
    url: `https://api.github.com/repos/${REPO}/pulls/${n}`,
    html_url: `https://github.com/${REPO}/pull/${n}`,
    diff_url: `https://github.com/${REPO}/pull/${n}.diff`,
    patch_url: `https://github.com/${REPO}/pull/${n}.patch`,
    merged_at: null,
  };
  payload.issue.user = { ...payload.issue.user, login: h.fake.pull.user.login };
  const commentId = 970_000 + ++seq;
  payload.comment = { ...payload.comment, id: commentId, body, user: { ...payload.comment.user, login, type: "User" } };
  payload.sender = { ...payload.sender, login, type: "User" };
  await h.probot.receive({ id: `explain-${seq}`, name: "issue_comment", payload } as any);
  return commentId;
}

function replyTo(h: Harness, commentId: number): string {
  const found = h.fake.comments.filter((c) => c.body.includes(replyMarker(commentId)));
  expect(found).toHaveLength(1);
  return found[0].body;
}

describe("/empathy explain", () => {
  let h: Harness;
  afterEach(async () => {
    expect(h.fake.problems).toEqual([]); // every request the app sent is one GitHub accepts
    expect((await h.handles.store.countJobs()).dead).toBe(0);
    nock.cleanAll();
  });

  async function reviewed(): Promise<Harness> {
    const fake = new FakeGitHub();
    fake.setFiles([...riskyFiles, queryFile as any]);
    fake.contents.set("src/orders/export.js", riskyExportJs);
    fake.contents.set("src/orders/query.js", QUERY_JS);
    h = await createHarness({ fake });
    await h.deliver("opened");
    await h.drain();
    return h;
  }

  async function shownFinding(rule: RegExp, path: string) {
    const items = await h.handles.store.findShownItems(REPO, "", 100);
    const found = items.find((s) => rule.test(String(s.item.rule ?? "")) && s.item.path === path);
    expect(found).toBeDefined();
    return found!;
  }

  it("a finding with a suggestion that fits: the code at the line, why, and a suggestion block", async () => {
    await reviewed();
    const sql = await shownFinding(/sql-injection/, "src/orders/query.js");
    expect(sql.item.suggestion).toBeDefined();
    const cid = await comment(h, `/empathy explain ${sql.fingerprint.slice(0, 10)}`, "alice");
    await h.drain();
    const reply = replyTo(h, cid);
    expect(reply).toContain(`**Finding \`${sql.fingerprint.slice(0, 8)}\`** at \`src/orders/query.js:5\`: SQL injection`);
    expect(reply).toContain("The code (lines 3–7):\n```javascript\n");
    expect(reply).toContain('  const rows = await db.query("SELECT * FROM orders WHERE id = " + req.params.id);');
    expect(reply).toContain(`**What:** ${sql.item.message}`);
    expect(reply).toMatch(/\*\*Why it matters:\*\* .*If this ships, /);
    expect(reply).toContain('```suggestion\n  const rows = await db.query("SELECT * FROM orders WHERE id = $1", [req.params.id]);\n```');
    expect(reply).toContain("https://cheatsheetseries.owasp.org/cheatsheets/SQL_Injection_Prevention_Cheat_Sheet.html");
    // The file was read at the pull request's head commit.
    expect(h.fake.find("GET", /\/contents\/src%2Forders%2Fquery\.js|\/contents\/src\/orders\/query\.js/).length).toBeGreaterThan(0);
  });

  it("a finding without a suggestion: the category's example, labelled; a secret's line is never shown", async () => {
    await reviewed();
    const sql = await shownFinding(/sql-injection/, "src/orders/export.js");
    expect(sql.item.suggestion).toBeUndefined();
    const cid = await comment(h, `/empathy explain ${sql.fingerprint.slice(0, 8)}`, "alice");
    const secret = await shownFinding(/secret/, "src/orders/export.js");
    const sid = await comment(h, `/empathy explain ${secret.fingerprint.slice(0, 8)}`, "alice");
    await h.drain();
    const reply = replyTo(h, cid);
    expect(reply).toContain("_Example (not your code):_");
    expect(reply).not.toContain("```suggestion");
    expect(reply).toContain(`rule \`${sql.item.rule}\``);
    const secretReply = replyTo(h, sid);
    expect(secretReply).toMatch(/The code at line \d+ is not shown: it holds the secret/);
    expect(secretReply).toContain("const { STRIPE_SECRET_KEY } = process.env;");
    for (const c of h.fake.comments) expect(c.body).not.toContain(STRIPE_SECRET);
  });
});
