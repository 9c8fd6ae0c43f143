/**
 * `/empathy <question>` end to end: a signed slash command, the durable job, the app's analysis
 * (in-process here, the worker pool in production) and the engine, and the reply Slack receives at
 * the response URL: the fix first in a code block, level and confidence in the context line.
 */
import nock from "nock";
import { blockText, captureResponseUrl, commandBody, createSlackHarness, postCommand, type SlackHarness } from "./slackHarness.js";

const STRIPE_KEY = ["sk", "live", "51H8sdfJKLsdf8sdfKJsdf8sdfQ"].join("_");

function contextLine(message: any): string {
  return message.blocks.filter((b: any) => b.type === "context").flatMap((b: any) => b.elements.map((e: any) => e.text))[0];
}

describe("Slack /empathy <question>", () => {
  let h: SlackHarness;
  beforeEach(async () => {
    h = await createSlackHarness();
  });
  afterEach(async () => {
    await h.close();
    nock.cleanAll();
    nock.enableNetConnect();
  });

  async function ask(text: string): Promise<any> {
    const reply = captureResponseUrl();
    const res = await postCommand(h.url, commandBody(text));
    expect(res.status).toBe(200);
    await h.drain();
    expect(reply.bodies).toHaveLength(1);
    return reply.bodies[0];
  }

  it("the issue's question: the fixed query first, in a code block, at level 3 or more; not 'Noted'", async () => {
    const completed: any[] = [];
    h.handles.bus.on("interaction_completed", (e: any) => completed.push(e.data));
    const message = await ask("How do I fix this SQL injection: db.query('SELECT * FROM t WHERE id=' + id)?");
    expect(message.response_type).toBe("in_channel"); // not about a repository: as before
    const sections = message.blocks.filter((b: any) => b.type === "section").map((b: any) => b.text.text);
    expect(sections[0]).toBe("*SQL injection*");
    expect(sections[1]).toBe(
      "*Fixed code*\n```\ndb.query('SELECT * FROM t WHERE id=$1', [id])\n```\n_Assuming node-postgres (`pg`); with mysql or mysql2 the placeholder is `?`._",
    );
    expect(sections[2]).toMatch(/^\*What I found\*/);
    expect(blockText(message)).not.toMatch(/Noted/);
    expect(completed[0].level).toBeGreaterThanOrEqual(3);
    // The engine's own summary (in the events) says what was done and does not echo the question.
    expect(completed[0].response).toMatch(/^Answered a question: 1 line\(s\) of code in it analysed\./);
    expect(contextLine(message)).toBe(`Empathy Level ${completed[0].level} | Confidence: ${Math.round(completed[0].confidence * 100)}%`);
    expect(message.text).toMatch(/^SQL injection: level [3-5], confidence \d+%$/);
  });

  it("code with Slack's escapes (&lt; &gt; &amp;) is read as typed", async () => {
    // Slack sends `=>` in a command's text as `=&gt;`.
    const message = await ask("Is this XSS? ```js\nconst show = (req) =&gt; { el.innerHTML = req.query.name; };\n```");
    expect(blockText(message)).toContain("el.textContent = req.query.name;");
    expect(blockText(message)).toContain("=&gt;"); // escaped again for mrkdwn
  });

  it("a hard-coded secret: redacted before it is stored, still answered as a secret, never echoed", async () => {
    const message = await ask(`Can I ship this? \`const stripe = new Stripe('${STRIPE_KEY}');\``);
    const jobs = await h.store.listJobs("done", 10);
    expect(JSON.stringify(jobs)).not.toContain(STRIPE_KEY);
    expect(JSON.stringify(message)).not.toContain(STRIPE_KEY);
    expect(blockText(message)).toContain("Hard-coded secret");
    expect(blockText(message)).toContain("const { STRIPE_SECRET_KEY } = process.env;");
    expect(contextLine(message)).toMatch(/^Empathy Level [3-5] \|/);
  });

  it("a question without code is answered from the knowledge base, with its reference", async () => {
    const message = await ask("What is server-side request forgery?");
    expect(blockText(message)).toContain("Server-side request forgery (SSRF)");
    expect(blockText(message)).toContain(
      "<https://cheatsheetseries.owasp.org/cheatsheets/Server_Side_Request_Forgery_Prevention_Cheat_Sheet.html|",
    );
  });

  it("an unknown question: 'I can't answer that' and what it can do, not an echo", async () => {
    const message = await ask("Who won the football match yesterday?");
    const text = blockText(message);
    expect(text).toContain("I can't answer that");
    expect(text).toContain("SQL injection");
    expect(text).not.toContain("football");
  });

  it("300 code fences: stored cut to 8,000 characters, at most 3 snippets analysed, answered", async () => {
    const message = await ask("```js\nconst { exec } = require('child_process'); exec('ls ' + req.query.d);\n```\n".repeat(300));
    const [job] = await h.store.listJobs("done", 10);
    expect((job.payload as any).text.length).toBeLessThanOrEqual(8_000);
    expect(blockText(message)).toContain("Command injection");
    expect(blockText(message)).toMatch(/pieces of code found; the first 3 were analysed/);
  });

  it("a body over the route's 64 KB limit is refused with 413 and nothing queued", async () => {
    const res = await postCommand(h.url, commandBody("x".repeat(1_000_000)));
    expect(res.status).toBe(413);
    expect((await h.store.countJobs()).queued).toBe(0);
  });
});
