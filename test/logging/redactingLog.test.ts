import { Writable } from "node:stream";
import { pino } from "pino";
import { withKnownSecrets } from "../../src/analysis/secrets.js";
import { redactingLog } from "../../src/logging/redactingLog.js";
import { FAKE } from "../analysis/fakeSecrets.js";

function capture() {
  const lines: string[] = [];
  const log = pino({ level: "trace" }, new Writable({ write: (chunk, _enc, done) => (lines.push(chunk.toString()), done()) }));
  return { log: redactingLog(log), text: () => lines.join("") };
}

describe("the redacting logger", () => {
  it("redacts messages, fields, errors and a child's bindings, at every level", () => {
    const { log, text } = capture();
    log.info({ title: `deploy with ${FAKE.github}` }, `message ${FAKE.stripe}`);
    log.warn({ err: new Error(`request failed: ${FAKE.slack}`) }, "failed");
    log.error(new Error(`top-level ${FAKE.npm}`));
    const child = log.child({ pr_title: `x ${FAKE.huggingface}` });
    child.debug({ nested: { deeper: [FAKE.anthropic] } }, "debug");
    child.child({ y: 1 }).fatal(`fatal ${FAKE.gitlab}`);
    const out = text();
    for (const secret of [FAKE.github, FAKE.stripe, FAKE.slack, FAKE.npm, FAKE.huggingface, FAKE.anthropic, FAKE.gitlab]) {
      expect(out).not.toContain(secret.slice(4, 12));
    }
    expect(out).toContain("[REDACTED:github-token]");
    expect(out).toContain("request failed: [REDACTED:slack-token]");
    expect(out.split("\n").filter(Boolean)).toHaveLength(5);
  });

  it("hides the exact values the current review found, even without a known shape", async () => {
    const { log, text } = capture();
    await withKnownSecrets(["correct-horse-battery-staple-42"], async () =>
      log.info({ body: "password is correct-horse-battery-staple-42" }, "seen"),
    );
    expect(text()).not.toContain("correct-horse-battery-staple-42");
  });

  it("keeps everything else of the logger: levels, bindings, other methods", () => {
    const { log, text } = capture();
    expect(log.isLevelEnabled("debug")).toBe(true);
    log.child({ repo: "o/r" }).info({ n: 3 }, "plain");
    expect(JSON.parse(text())).toMatchObject({ repo: "o/r", n: 3, msg: "plain" });
  });
});
