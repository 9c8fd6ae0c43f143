import { PassThrough } from "node:stream";
import { readSettings } from "../../src/config/env.js";
import { MAX_LOG_STRING, processLog } from "../../src/logging/processLog.js";
import { FAKE } from "../analysis/fakeSecrets.js";

async function capture(env: NodeJS.ProcessEnv = { LOG_FORMAT: "json" }) {
  const out = new PassThrough();
  let text = "";
  out.on("data", (d) => (text += d));
  const log = await processLog(readSettings(env).log, out);
  const lines = async () => {
    await new Promise((r) => setImmediate(r));
    return text
      .trim()
      .split("\n")
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  };
  return { log, lines };
}

describe("processLog (the logger Probot and the app share)", () => {
  it("redacts every line as text, also what serializers add, and honours LOG_LEVEL", async () => {
    const { log, lines } = await capture({ LOG_FORMAT: "json", LOG_LEVEL: "warn" });
    log.info(`hidden at warn ${FAKE.github}`);
    log.warn({ headers: { authorization: `token ${FAKE.github}` } }, `the key ${FAKE.stripe} was used`);
    const [line, ...rest] = await lines();
    expect(rest).toEqual([]);
    const text = JSON.stringify(line);
    expect(text).not.toContain(FAKE.github.slice(4, 16));
    expect(text).not.toContain(FAKE.stripe.slice(8, 20));
    expect(line.msg).toMatch(/^the key .+ was used$/);
  });

  it("keeps an error's name, message and stack but not the request body it carries, and cuts long strings", async () => {
    const { log, lines } = await capture();
    const err = Object.assign(new Error("signature does not match event payload and secret"), {
      status: 400,
      event: { id: "1", name: "pull_request", payload: JSON.stringify({ body: "private-body" }) },
    });
    log.error({ err }, "rejected");
    log.info({ note: "x".repeat(MAX_LOG_STRING + 10) }, "long");
    const [rejected, long] = await lines();
    expect(rejected.err).toMatchObject({ type: "Error", message: "signature does not match event payload and secret", status: 400 });
    expect(rejected.err.stack).toContain("processLog.test");
    expect(JSON.stringify(rejected)).not.toContain("private-body");
    expect(long.note).toBe(`${"x".repeat(MAX_LOG_STRING)}… (${MAX_LOG_STRING + 10} characters)`);
  });
});
