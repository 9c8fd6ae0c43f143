/**
 * One redactor at every boundary, end to end: a pull request full of provider tokens (in a
 * Dockerfile, a workflow, code, `.env`, YAML, `.npmrc` and a GCP key file, one also pasted in
 * the description) is reviewed by the app against the fake GitHub with a file-backed SQLite
 * store. No 8-character run of any token may appear in anything the app wrote: request bodies
 * to GitHub, log lines, every event on the bus, the integration bodies built from them, and the
 * database file's bytes (outbox rows, job payloads, shown items...).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import nock from "nock";
import { FakeGitHub } from "../../helpers/fakeGitHub.js";
import { SqliteStore } from "../../../src/store/sqlite/index.js";
import type { AnyEventEnvelope } from "../../../src/events/catalog.js";
import { createDatadog, createDiscord, createJira, createPagerDuty, createSlack, createTeams } from "../../../src/integrations/index.js";
import { createHarness, type Harness } from "../harness.js";
import { eightCharRuns, FAKE, leakyPullRequest, leaks } from "../../analysis/fakeSecrets.js";

function addedPatch(text: string): string {
  const lines = text.split("\n");
  return [`@@ -0,0 +1,${lines.length} @@`, ...lines.map((l) => `+${l}`)].join("\n");
}

describe("no secret from a pull request in anything the app writes", () => {
  let dir: string;
  let h: Harness;
  afterEach(() => {
    nock.cleanAll();
    rmSync(dir, { recursive: true, force: true });
  });

  it("redacts every provider token everywhere: GitHub, logs, events, integrations, the database file", async () => {
    dir = mkdtempSync(join(tmpdir(), "empathy-redaction-"));
    const { files, tokens } = leakyPullRequest();
    const runs = eightCharRuns(tokens);
    const fake = new FakeGitHub({
      title: `Deploy with registry credentials ${FAKE.huggingface}`,
      // The password has no vendor shape: only the values found in the diff hide it here.
      body: `Adds deploy config. The old token ${FAKE.github} is rotated; see ${FAKE.slackWebhook}. Staging still logs in with ${FAKE.password} until Friday.`,
    });
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
    const store = new SqliteStore(join(dir, "empathy.sqlite"));
    h = await createHarness({ fake, store });

    const events: AnyEventEnvelope[] = [];
    h.handles.bus.on("*", (e) => void events.push(e));
    // Every event goes to the outbox (rows in the database file).
    h.handles.webhooks.register({ id: "all-events", eventType: "*", url: "https://hooks.acme.io/empathy", secret: "whsec_dGVzdA==" });

    await h.deliver("opened");
    await h.drain();
    await h.handles.bus.settled();

    // The review ran and said what it found, without the values.
    expect(fake.comments).toHaveLength(1);
    const summary = fake.comments[0].body as string;
    for (const f of files) expect([f.path, summary.includes(`\`${f.path}:`)]).toEqual([f.path, true]); // every file's secrets were found
    expect(fake.reviewComments.length).toBeGreaterThan(0);
    expect(events.length).toBeGreaterThan(0);

    const integrations = [
      createSlack({ webhookUrl: "https://hooks.slack.com/services/T0/B0/x", events: ["*"] }),
      createDatadog({ apiKey: "dd", events: ["*"] }),
      createJira({ site: "acme", email: "bot@acme.io", apiToken: "t", projectKey: "ENG", events: ["*"] }),
      createPagerDuty({ routingKey: "r".repeat(32), events: ["*"] }),
      createTeams({ webhookUrl: "https://acme.webhook.office.com/x", events: ["*"] }),
      createDiscord({ webhookUrl: "https://discord.com/api/webhooks/1/x", events: ["*"] }),
    ];
    const bodies: string[] = [];
    for (const e of events) {
      const plain = JSON.parse(JSON.stringify(e));
      for (const i of integrations) bodies.push(JSON.stringify(i.buildPayload(plain)));
    }

    const written = {
      github: JSON.stringify(fake.writes().map((r) => r.body)),
      logs: h.logs.join(""),
      events: JSON.stringify(events),
      integrations: bodies.join("\n"),
    };
    await store.close();
    const dbFiles = readdirSync(dir).map((f) => readFileSync(join(dir, f)).toString("latin1"));
    const found = Object.fromEntries(
      [...Object.entries(written), ["database", dbFiles.join("\n")] as const].map(([where, text]) => [where, leaks(text, runs)]),
    );
    expect(found).toEqual({ github: [], logs: [], events: [], integrations: [], database: [] });
  }, 60_000);
});
