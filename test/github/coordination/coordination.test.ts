/** Coordination end to end: conflicts between open pull requests, CODEOWNERS requests, handoffs, and its store. */
import nock from "nock";
import type { AnyEventEnvelope } from "../../../src/events/catalog.js";
import { FakeGitHub, type FakeFile } from "../../helpers/fakeGitHub.js";
import { examplePayload, withRepo } from "../../helpers/webhookExamples.js";
import { createHarness, type Harness } from "../harness.js";
import { riskyFiles } from "../fixtures.js";

/** PR #12 by bob adds a column to `users`; PR #7 by alice (riskyFiles) drops one. */
const addNickname: FakeFile[] = [
  {
    filename: "db/migrations/20261126_add_nickname.sql",
    status: "added",
    additions: 1,
    patch: ["@@ -0,0 +1 @@", "+ALTER TABLE users ADD COLUMN nickname text;"].join("\n"),
  },
];

const PR12 = {
  number: 12,
  state: "open",
  draft: false,
  title: "Add nicknames",
  body: "Users can pick a nickname.",
  user: { login: "bob", type: "User" },
  head: { sha: "c".repeat(40), ref: "nick" },
  base: { sha: "b".repeat(40), ref: "main" },
  labels: [],
  changed_files: 1,
  html_url: "https://github.com/octo-org/shop/pull/12",
};

/** Makes `pull` the fake's current pull request, keeping the previous one (and its comments) as another. */
function switchTo(fake: FakeGitHub, pull: any, files: FakeFile[]): void {
  const previous = fake.pull;
  fake.issueComments.set(previous.number, fake.comments);
  fake.otherPulls = [...fake.otherPulls.filter((p) => p.number !== pull.number), previous];
  fake.pull = pull;
  fake.comments = fake.issueComments.get(pull.number) ?? [];
  fake.issueComments.delete(pull.number);
  fake.setFiles(files);
}

function capture(h: Harness, type: string): AnyEventEnvelope[] {
  const seen: AnyEventEnvelope[] = [];
  h.handles.bus.on(type, (e) => void seen.push(e as AnyEventEnvelope));
  return seen;
}

const CONFLICT = /<!-- empathy-bot:conflict /;

describe("coordination between pull requests", () => {
  let h: Harness;
  afterEach(() => {
    nock.cleanAll();
    expect(h.fake.problems).toEqual([]); // every request the app sent is one GitHub accepts
  });

  it("two open pull requests on the same table: one conflict event, one comment on each, not repeated on re-review", async () => {
    const fake = new FakeGitHub(PR12);
    fake.setFiles(addNickname);
    h = await createHarness({ fake });
    const conflicts = capture(h, "conflict_detected");

    await h.deliver("opened"); // #12 reviewed alone: nothing to coordinate
    await h.drain();
    expect(conflicts).toHaveLength(0);
    expect(fake.comments.filter((c) => CONFLICT.test(c.body))).toHaveLength(0);

    switchTo(fake, new FakeGitHub().pull, riskyFiles); // #7 by alice, drops users.email
    await h.deliver("opened");
    await h.drain();

    expect(conflicts).toHaveLength(1);
    expect(conflicts[0].data).toMatchObject({
      agent1: "alice",
      agent2: "bob",
      resource: "table users",
      severity: "high",
      resource_kind: "table",
      repo: "octo-org/shop",
      pr_number: 7,
      other_pr_number: 12,
    });
    const on7 = fake.comments.filter((c) => CONFLICT.test(c.body));
    const on12 = fake.issueComments.get(12)!.filter((c) => CONFLICT.test(c.body));
    expect(on7).toHaveLength(1);
    expect(on12).toHaveLength(1);
    expect(on7[0].body).toContain("#12 by @bob also changes table `users`");
    expect(on12[0].body).toContain("#7 by @alice also changes table `users`");
    expect(on12[0].body).toContain("https://github.com/octo-org/shop/pull/7");

    // A new push on #7 and a re-review of #12: the same pair and table, nothing new.
    fake.pull.head.sha = "d".repeat(40);
    await h.deliver("synchronize");
    await h.drain();
    switchTo(fake, { ...PR12, head: { ...PR12.head, sha: "e".repeat(40) } }, addNickname);
    await h.deliver("synchronize");
    await h.drain();
    expect(conflicts).toHaveLength(1);
    expect(fake.comments.filter((c) => CONFLICT.test(c.body))).toHaveLength(1); // on #12
    expect(fake.issueComments.get(7)!.filter((c) => CONFLICT.test(c.body))).toHaveLength(1);
  });

  it("a closed pull request is forgotten (pull_request.closed), and one GitHub lists as closed is not reported", async () => {
    const fake = new FakeGitHub(PR12);
    fake.setFiles(addNickname);
    h = await createHarness({ fake });
    const conflicts = capture(h, "conflict_detected");
    await h.deliver("opened");
    await h.drain();
    expect(await h.handles.store.getOpenPullResources("octo-org/shop", 12)).toMatchObject({
      author: "bob",
      resources: [expect.objectContaining({ key: "table:users" })],
    });

    // The real `closed` example, pointed at #12.
    const payload: any = withRepo(examplePayload("pull_request", "closed"), { owner: fake.owner, repo: fake.repo, installationId: 2 });
    payload.pull_request.number = 12;
    payload.number = 12;
    await h.probot.receive({ id: "closed-1", name: "pull_request", payload } as any);
    await h.drain();
    expect(await h.handles.store.getOpenPullResources("octo-org/shop", 12)).toBeUndefined();

    // Stale record: #12 stored as open, but GitHub says it is closed (its closed event was missed).
    await h.handles.store.saveOpenPullResources("octo-org/shop", {
      prNumber: 12,
      author: "bob",
      headSha: PR12.head.sha,
      url: PR12.html_url,
      title: PR12.title,
      resources: [{ kind: "table", key: "table:users", label: "table `users`", path: "db/x.sql" }],
    });
    switchTo(fake, new FakeGitHub().pull, riskyFiles);
    fake.otherPulls[0].state = "closed";
    await h.deliver("opened");
    await h.drain();
    expect(conflicts).toHaveLength(0);
    expect(await h.handles.store.getOpenPullResources("octo-org/shop", 12)).toBeUndefined();
    expect(fake.find("GET", /\/pulls$/)).toHaveLength(1);
  });

  it("nearby lines of the same file are a medium conflict; distant lines are not", async () => {
    const edit = (line: number): FakeFile[] => [
      {
        filename: "src/cart.ts",
        status: "modified",
        additions: 1,
        deletions: 1,
        patch: [`@@ -${line},3 +${line},3 @@`, " a", "-b", "+c", " d"].join("\n"),
      },
    ];
    const fake = new FakeGitHub(PR12);
    fake.setFiles(edit(40));
    h = await createHarness({ fake });
    const conflicts = capture(h, "conflict_detected");
    await h.deliver("opened");
    await h.drain();
    switchTo(fake, new FakeGitHub().pull, edit(43));
    await h.deliver("opened");
    await h.drain();
    expect(conflicts.map((c) => [c.data.resource, c.data.severity])).toEqual([["src/cart.ts around lines 41-44", "medium"]]);

    switchTo(
      fake,
      { ...PR12, number: 13, html_url: "https://github.com/octo-org/shop/pull/13", user: { login: "carol", type: "User" } },
      edit(400),
    );
    await h.deliver("opened");
    await h.drain();
    expect(conflicts).toHaveLength(1);
  });
});

describe("CODEOWNERS", () => {
  let h: Harness;
  afterEach(() => {
    nock.cleanAll();
    expect(h.fake.problems).toEqual([]);
  });

  it("a pull request touching code of two owning teams: one coordination_request per head", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles); // src/orders/export.js, db/migrations/..., docs/logo.png
    fake.baseContents.set(
      ".github/CODEOWNERS",
      ["* @octo-org/everyone", "/src/ @octo-org/backend", "/db/ @octo-org/dba", "/docs/"].join("\n"),
    );
    h = await createHarness({ fake });
    const requests = capture(h, "coordination_request");
    await h.deliver("opened");
    await h.drain();
    expect(requests).toHaveLength(1);
    expect(requests[0].data).toMatchObject({
      requesting_agent: "alice",
      target_agents: ["@octo-org/backend", "@octo-org/dba"],
      priority: "high", // it also changes a table
      repo: "octo-org/shop",
      pr_number: 7,
      codeowners_path: ".github/CODEOWNERS",
      owned_paths: { "@octo-org/backend": ["src/orders/export.js"], "@octo-org/dba": ["db/migrations/20261127_drop_email.sql"] },
    });
    expect(requests[0].data.topic).toMatch(/^#7 Add order export: changes code owned by @octo-org\/backend, @octo-org\/dba$/);
    // Read at the base branch.
    expect(fake.find("GET", /contents\/\.github\/CODEOWNERS$/).map((r) => r.query.get("ref"))).toEqual(["main"]);

    await h.deliver("synchronize", { id: "same-head-again" }); // same head: already reviewed
    await h.drain();
    expect(requests).toHaveLength(1);
  });

  it("one owner, or no CODEOWNERS file: no request", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    h = await createHarness({ fake });
    const requests = capture(h, "coordination_request");
    await h.deliver("opened");
    await h.drain();
    expect(requests).toHaveLength(0);
    expect(fake.find("GET", /CODEOWNERS$/).map((r) => r.path.replace(/^.*contents\//, ""))).toEqual([
      ".github/CODEOWNERS",
      "CODEOWNERS",
      "docs/CODEOWNERS",
    ]);
  });
});

describe("handoffs", () => {
  let h: Harness;
  afterEach(() => {
    nock.cleanAll();
    expect(h.fake.problems).toEqual([]);
  });

  function assigned(body: string, sender?: { login: string; type: string }): any {
    const payload: any = withRepo(
      examplePayload("issues", "assigned", (p: any) => !!p.installation),
      { owner: "octo-org", repo: "shop", installationId: 2 },
    );
    payload.issue.body = body;
    payload.issue.number = 101;
    payload.issue.title = "Prediction (85%): Dropping users.email breaks the mobile app";
    payload.assignee = { ...payload.assignee, login: "carol" };
    if (sender) payload.sender = { ...payload.sender, ...sender };
    return payload;
  }

  it("a prediction issue assigned to a person: handoff_initiated from the assigner (or empathy-bot) to the assignee, once per delivery", async () => {
    h = await createHarness();
    const handoffs = capture(h, "handoff_initiated");
    const marked = "<!-- empathy-bot:prediction fingerprint=abc123 -->\n**Empathy predicts:** ...";
    await h.probot.receive({ id: "assign-1", name: "issues", payload: assigned(marked) } as any);
    await h.probot.receive({ id: "assign-1", name: "issues", payload: assigned(marked) } as any); // redelivery
    await h.probot.receive({ id: "assign-2", name: "issues", payload: assigned("An ordinary issue") } as any);
    await h.probot.receive({
      id: "assign-3",
      name: "issues",
      payload: assigned(marked, { login: "empathy-test[bot]", type: "Bot" }),
    } as any);
    await h.drain();
    expect(handoffs.map((e) => e.data)).toEqual([
      expect.objectContaining({
        from_agent: "Codertocat",
        to_agent: "carol",
        task: "#101 Prediction (85%): Dropping users.email breaks the mobile app",
        context: expect.objectContaining({
          kind: "prediction_issue",
          repo: "octo-org/shop",
          issue_number: 101,
          prediction_fingerprint: "abc123",
        }),
      }),
      expect.objectContaining({ from_agent: "empathy-bot", to_agent: "carol" }),
    ]);
  });

  function reviewRequested(prNumber: number): any {
    const payload: any = withRepo(examplePayload("pull_request", "review_requested"), {
      owner: "octo-org",
      repo: "shop",
      installationId: 2,
    });
    payload.pull_request.number = prNumber;
    payload.number = prNumber;
    return payload;
  }

  it("a review requested on a pull request the app reviewed: handoff from the previous reviewer to the requested one", async () => {
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    h = await createHarness({ fake });
    const handoffs = capture(h, "handoff_initiated");

    await h.probot.receive({ id: "rr-0", name: "pull_request", payload: reviewRequested(7) } as any); // not reviewed yet
    await h.drain();
    expect(handoffs).toHaveLength(0);

    await h.deliver("opened");
    await h.drain();
    fake.reviews.push({ id: 1, state: "CHANGES_REQUESTED", body: "", user: { login: "dave", type: "User" } });
    await h.probot.receive({ id: "rr-1", name: "pull_request", payload: reviewRequested(7) } as any);
    await h.probot.receive({ id: "rr-1", name: "pull_request", payload: reviewRequested(7) } as any); // redelivery
    await h.drain();
    expect(handoffs).toHaveLength(1);
    expect(handoffs[0].data).toMatchObject({
      from_agent: "dave",
      to_agent: "octocat",
      task: "Review #7 Update the README with new information.", // the title in the event
      context: { kind: "review_requested", repo: "octo-org/shop", pr_number: 7, requested_by: "Codertocat", previous_reviewers: ["dave"] },
    });
  });
});

describe("coordination store (migration 5)", () => {
  it("keeps one record per open pull request and records each coordination step once", async () => {
    const { SqliteStore } = await import("../../../src/store/sqlite/index.js");
    const store = new SqliteStore(":memory:");
    expect(store.schemaVersion()).toBeGreaterThanOrEqual(5);
    const record = { prNumber: 3, author: "bob", headSha: "1".repeat(40), url: "u", title: "t", resources: [{ key: "table:users" }] };
    await store.saveOpenPullResources("o/r", record);
    await store.saveOpenPullResources("o/r", { ...record, headSha: "2".repeat(40) });
    expect(await store.listOpenPullResources("o/r")).toEqual([{ ...record, headSha: "2".repeat(40) }]);
    expect(await store.listOpenPullResources("o/other")).toEqual([]);
    expect(await store.markCoordinationDone("o/r", "k")).toBe(true);
    expect(await store.markCoordinationDone("o/r", "k")).toBe(false);
    expect(await store.isCoordinationDone("o/r", "k")).toBe(true);
    expect(await store.isCoordinationDone("o/other", "k")).toBe(false);
    await store.deleteOpenPullResources("o/r", 3);
    expect(await store.getOpenPullResources("o/r", 3)).toBeUndefined();
    await store.close();
  });
});
