/**
 * The app on a PostgreSQL store end to end: a pull request reviewed through Probot, the job
 * queue and the fake GitHub, with everything durable in a real PostgreSQL server started for
 * this suite (a redelivery handled once, a new push commenting only what is new, the prediction
 * issues not opened twice). If PostgreSQL cannot start, the suite fails.
 */
import { jest } from "@jest/globals";
import nock from "nock";
import { PostgresStore } from "../../src/store/postgres/index.js";
import { createHarness, type Harness } from "../github/harness.js";
import { riskyFiles, riskyFilesNextPush } from "../github/fixtures.js";
import { FakeGitHub } from "../helpers/fakeGitHub.js";
import { postgresForSuite } from "./postgresSuite.js";

jest.setTimeout(60_000);

const server = postgresForSuite();

describe("the app on PostgreSQL", () => {
  let h: Harness;
  let store: PostgresStore;
  afterEach(async () => {
    nock.cleanAll();
    expect(h.fake.problems).toEqual([]);
    await store.close();
  });

  it("reviews a pull request once per delivery and head, and on a new push comments only what is new", async () => {
    store = await PostgresStore.open({ connectionString: await server.createDatabase("app_review"), poolSize: 4 });
    const fake = new FakeGitHub();
    fake.setFiles(riskyFiles);
    h = await createHarness({ fake, store });
    await h.deliver("opened", { id: "same-delivery" });
    await h.deliver("opened", { id: "same-delivery" });
    await h.drain();
    expect(fake.reviews).toHaveLength(1);
    expect(fake.comments).toHaveLength(1);
    const repo = `${fake.owner}/${fake.repo}`;
    expect(await store.getReview(repo, fake.pull.number, fake.pull.head.sha)).toEqual({ reviewId: expect.any(Number) });
    const posted = await store.listPostedFindings(repo, fake.pull.number);
    expect(posted.length).toBe(fake.reviewComments.length);
    const issues = fake.issues.length;
    expect(issues).toBeGreaterThanOrEqual(1);

    fake.pull.head.sha = "c".repeat(40);
    fake.setFiles(riskyFilesNextPush);
    await h.deliver("synchronize");
    await h.drain();
    expect(fake.reviews).toHaveLength(2);
    expect(fake.reviewComments.slice(posted.length).map((c) => `${c.path}:${c.line}`)).toEqual(["src/orders/export.js:16"]);
    expect(fake.comments).toHaveLength(1);
    expect(fake.comments[0].body).toMatch(/### Since the last review\n1 new · 0 resolved · \d+ unchanged/);
    expect(fake.issues).toHaveLength(issues);
    expect(await store.countJobs()).toMatchObject({ queued: 0, running: 0, dead: 0 });
  });
});
