import { createPrivateKey } from "node:crypto";
import { availableExamples, exampleEvent, examplePayload, withRepo } from "./webhookExamples.js";
import { testPrivateKey } from "./keys.js";

describe("examplePayload", () => {
  it("returns a real pull_request.opened payload", () => {
    const payload = examplePayload("pull_request", "opened");
    expect(payload.action).toBe("opened");
    expect(typeof payload.pull_request.head.sha).toBe("string");
    expect(payload.pull_request.head.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(examplePayload("pull_request.opened")).toEqual(payload);
  });

  it("returns deep clones", () => {
    const a = examplePayload("issues.opened");
    a.issue.title = "changed";
    expect(examplePayload("issues.opened").issue.title).not.toBe("changed");
  });

  it("filters with pick", () => {
    const p = examplePayload("pull_request.opened", undefined, (p) => p.installation !== undefined);
    expect(p.installation?.id).toEqual(expect.any(Number));
    // no example has a merged PR: take a closed one and set merged yourself
    expect(() => examplePayload("pull_request", "closed", (p) => p.pull_request.merged === true)).toThrow(/pick predicate/);
    const merged = examplePayload("pull_request", "closed");
    merged.pull_request.merged = true;
    expect(merged.pull_request.merged).toBe(true);
  });

  it("throws clearly when nothing matches", () => {
    expect(() => examplePayload("pull_request", "merged")).toThrow(
      /no example for "pull_request\.merged"\. Actions with examples: .*opened.*synchronize/,
    );
    expect(() => examplePayload("no_such_event")).toThrow(/no webhook event "no_such_event"/);
    expect(() => examplePayload("issues.opened", undefined, () => false)).toThrow(/none of the 4 "issues\.opened" examples/);
  });

  it("lists the available examples", () => {
    const all = availableExamples();
    expect(all.pull_request).toEqual(expect.arrayContaining(["opened", "synchronize", "closed", "reopened", "ready_for_review"]));
    expect(all.issue_comment).toEqual(["created", "deleted", "edited"]);
    expect(all.pull_request_review_thread).toEqual(["resolved", "unresolved"]);
    expect(all.installation).toEqual(expect.arrayContaining(["created", "deleted"]));
  });
});

describe("withRepo", () => {
  it("moves a payload to another repository and installation consistently", () => {
    const original = examplePayload("pull_request.opened");
    const moved = withRepo(original, { owner: "octo", repo: "hello", installationId: 77 });

    expect(moved.repository.owner.login).toBe("octo");
    expect(moved.repository.name).toBe("hello");
    expect(moved.repository.full_name).toBe("octo/hello");
    expect(moved.repository.url).toBe("https://api.github.com/repos/octo/hello");
    expect(moved.repository.owner.url).toBe("https://api.github.com/users/octo");
    expect(moved.pull_request.base.repo.full_name).toBe("octo/hello");
    expect(moved.pull_request.url).toBe(`https://api.github.com/repos/octo/hello/pulls/${moved.number}`);
    expect(moved.installation?.id).toBe(77);
    expect(JSON.stringify(moved)).not.toMatch(/Codertocat\/Hello-World/);
    // the sender is a person, not the repository owner: left alone
    expect(moved.sender?.login).toBe(original.sender?.login);
    // input untouched
    expect(original.repository.full_name).toBe("Codertocat/Hello-World");
  });

  it("builds events for probot.receive", () => {
    const event = exampleEvent("issue_comment.created", { owner: "o", repo: "r", installationId: 1 });
    expect(event.name).toBe("issue_comment");
    expect(event.id).toMatch(/^test-delivery-\d+$/);
    expect(event.payload.action).toBe("created");
    expect(event.payload.repository.full_name).toBe("o/r");
    expect(event.payload.installation?.id).toBe(1);
  });
});

describe("testPrivateKey", () => {
  it("is a cached RSA 2048 PEM key", () => {
    const pem = testPrivateKey();
    expect(pem).toMatch(/^-----BEGIN RSA PRIVATE KEY-----\n/);
    expect(testPrivateKey()).toBe(pem);
    const key = createPrivateKey(pem);
    expect(key.asymmetricKeyType).toBe("rsa");
    expect(key.asymmetricKeyDetails?.modulusLength).toBe(2048);
  });
});
