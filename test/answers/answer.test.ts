/**
 * Questions answered as in Slack: the code in them analysed by the review's own analysis (in this
 * process here; the worker pool in the app), the engine deciding level and confidence, the fix
 * from the suggested-change fixers; questions without code from the knowledge base; unknown
 * questions honestly; hostile input bounded.
 */
import { answerQuestion, type Answer, type AnswerDeps } from "../../src/answers/answer.js";
import { CATEGORY_KNOWLEDGE } from "../../src/answers/knowledge.js";
import { answerMarkdown } from "../../src/answers/render.js";
import { MAX_QUESTION_CHARS, MAX_SNIPPET_LINES, MAX_SNIPPETS } from "../../src/answers/snippets.js";
import { analyseInPool, type AnalyseChange } from "../../src/analysis/pool/isolated.js";
import { AnalysisPool } from "../../src/analysis/pool/pool.js";
import { redactSecrets } from "../../src/analysis/secrets.js";
import type { AnalysisInput } from "../../src/analysis/types.js";
import { EmpathyOS } from "../../src/engine/empathyOS.js";
import { analyseInProcess } from "../helpers/inProcessAnalysis.js";

/** A Stripe-shaped live key, built so the test file holds no secret literal. */
const STRIPE_KEY = ["sk", "live", "51H8sdfJKLsdf8sdfKJsdf8sdfQ"].join("_");

function deps(analyse: AnalyseChange | null = analyseInProcess, engine = new EmpathyOS()): AnswerDeps {
  return { engine, analyse: analyse ?? undefined, userId: "U1", context: { repo: "slack", platform: "slack" } };
}

async function ask(question: string, d = deps()): Promise<Answer> {
  return answerQuestion(question, d);
}

describe("questions that carry code", () => {
  it("the issue's own question: a JavaScript SQL injection after a colon, fixed with a placeholder, level 3 or more", async () => {
    const a = await ask("How do I fix this SQL injection: db.query('SELECT * FROM t WHERE id=' + id)?");
    expect(a.kind).toBe("code");
    expect(a.topic).toBe("sql-injection");
    expect(a.findings[0]).toMatchObject({ rule: "js/sql-injection", line: 1, code: "db.query('SELECT * FROM t WHERE id=' + id)" });
    expect(a.fixedCode?.code).toBe("db.query('SELECT * FROM t WHERE id=$1', [id])");
    expect(a.fixedCode?.note).toMatch(/node-postgres/);
    expect(a.level).toBeGreaterThanOrEqual(3);
    expect(a.confidence).toBeGreaterThan(0);
    expect(a.predictions.some((p) => /^If this ships, /.test(p))).toBe(true);
    expect(a.explanation.split(/(?<=\.)\s/).length).toBeGreaterThanOrEqual(2);
    const md = answerMarkdown(a);
    expect(md.indexOf("**Fixed code:**")).toBeLessThan(md.indexOf("**Why it matters:**"));
    expect(md).not.toMatch(/Noted:/);
  });

  it("Python SQL injection in a fence with its tag: a bound parameter", async () => {
    const a = await ask("Is this OK?\n```python\ncursor.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)\n```");
    expect(a.topic).toBe("sql-injection");
    expect(a.findings[0].rule).toBe("py/sql-injection");
    expect(a.fixedCode).toEqual(expect.objectContaining({ language: "python" }));
    expect(a.fixedCode!.code).toMatch(/cursor\.execute\("SELECT \* FROM users WHERE name = %s", \(name,\)\)/);
    expect(a.level).toBeGreaterThanOrEqual(3);
  });

  it("command injection: execFile with an argument array", async () => {
    const a = await ask(
      "How do I make this safe?\n```js\nconst { exec } = require('child_process');\nexec('git log ' + req.query.branch);\n```",
    );
    expect(a.topic).toBe("command-injection");
    expect(a.fixedCode?.code).toContain("execFile(");
    expect(a.fixedCode?.code).toMatch(/\["log", req\.query\.branch\]|\['log', req\.query\.branch\]/);
    expect(a.level).toBeGreaterThanOrEqual(3);
  });

  it("XSS, the language taken from the file named in the question: textContent", async () => {
    const a = await ask("In app.js I do `el.innerHTML = req.query.name;` — is that XSS?");
    expect(a.topic).toBe("xss");
    expect(a.fixedCode).toEqual({ language: "javascript", code: "el.textContent = req.query.name;" });
    expect(a.level).toBeGreaterThanOrEqual(3);
  });

  it("where no mechanical fix is certain, the category's example is shown, labelled as an example", async () => {
    const a = await ask("In app.js I do `el.innerHTML = location.hash.slice(1);` — is that XSS?");
    expect(a.topic).toBe("xss");
    expect(a.fixedCode).toBeUndefined();
    expect(a.example?.after).toContain("textContent");
    expect(answerMarkdown(a)).toContain("_Example (not your code):_");
  });

  it("unsafe YAML: yaml.safe_load", async () => {
    const a = await ask("Why is this flagged?\n```\nimport yaml\nconfig = yaml.load(request.data)\n```");
    expect(a.findings[0].rule).toBe("py/unsafe-yaml");
    expect(a.topic).toBe("insecure-deserialization");
    expect(a.fixedCode?.code).toBe("import yaml\nconfig = yaml.safe_load(request.data)");
    expect(a.level).toBeGreaterThanOrEqual(3);
  });

  it("a hard-coded secret: found, the fix shown as the example, and the value never echoed", async () => {
    const a = await ask(`Is this fine? \`const stripe = new Stripe('${STRIPE_KEY}');\``);
    expect(a.topic).toBe("hardcoded-secret");
    expect(a.level).toBeGreaterThanOrEqual(3);
    expect(a.example?.after).toContain("process.env");
    const everything = JSON.stringify(a) + answerMarkdown(a);
    expect(everything).not.toContain(STRIPE_KEY);
    expect(a.findings[0].code).toContain("[REDACTED");
  });

  it("a secret already hidden on arrival (Slack redacts commands) is still a hard-coded secret", async () => {
    const question = redactSecrets(`Can I ship this: const stripe = new Stripe('${STRIPE_KEY}');`);
    expect(question).not.toContain(STRIPE_KEY);
    const a = await ask(question);
    expect(a.topic).toBe("hardcoded-secret");
    expect(a.findings[0].message).toMatch(/treat it as exposed/);
    expect(a.level).toBeGreaterThanOrEqual(3);
  });

  it("code with nothing to find says so, at level 1, and answers the words from the knowledge base", async () => {
    const a = await ask("Is this SQL injection safe: db.query('SELECT * FROM t WHERE id = $1', [id])");
    expect(a.kind).toBe("code");
    expect(a.topic).toBe("no-findings");
    expect(a.findings).toEqual([]);
    expect(a.explanation).toMatch(/found nothing to fix/);
    expect(a.explanation).toMatch(/SQL injection/);
    expect(a.level).toBe(1);
  });

  it("the engine's cap holds: a target level of 2 shows no findings", async () => {
    const a = await ask(
      "How do I fix this SQL injection: db.query('SELECT * FROM t WHERE id=' + id)?",
      deps(analyseInProcess, new EmpathyOS({ targetLevel: 2 })),
    );
    expect(a.level).toBeLessThanOrEqual(2);
    expect(a.findings).toEqual([]);
    expect(a.fixedCode).toBeUndefined();
  });

  it("without an analysis function, code questions fall back to the knowledge base and say so", async () => {
    const a = await ask("How do I fix this SQL injection: db.query('SELECT * FROM t WHERE id=' + id)?", deps(null));
    expect(a.kind).toBe("knowledge");
    expect(a.topic).toBe("sql-injection");
    expect(a.notes.join(" ")).toMatch(/not available/);
  });
});

describe("in the worker pool, as the app analyses", () => {
  const pool = new AnalysisPool({ size: 1 });
  afterAll(() => pool.destroy());

  it("the question's code is analysed in a worker process and answered the same way", async () => {
    const calls: number[] = [];
    const analyse: AnalyseChange = (input, options) => (calls.push(input.files.length), analyseInPool(pool, input, options));
    const a = await ask("How do I fix this SQL injection: db.query('SELECT * FROM t WHERE id=' + id)?", deps(analyse));
    expect(calls).toEqual([1]);
    expect(pool.stats()).toMatchObject({ workers: 1 });
    expect(a.fixedCode?.code).toBe("db.query('SELECT * FROM t WHERE id=$1', [id])");
    expect(a.level).toBeGreaterThanOrEqual(3);
  });
});

describe("questions without code", () => {
  it.each(CATEGORY_KNOWLEDGE.map((e) => [e.id, e.title] as const))("%s: answered from the knowledge base", async (id, title) => {
    const a = await ask(`What is ${title.toLowerCase()} and how do I prevent it?`);
    expect(a.kind).toBe("knowledge");
    expect(a.topic).toBe(id);
    expect(a.example).toBeDefined();
    expect(a.link?.url).toMatch(/^https:\/\//);
    expect(a.explanation.length).toBeGreaterThan(50);
  });

  it("levels, commands and configuration", async () => {
    expect((await ask("What does level 4 mean?")).topic).toBe("4");
    expect((await ask("How do I dismiss a false positive?")).topic).toBe("pr-dismiss");
    expect((await ask("How do I lower the noise with min_severity?")).topic).toBe("review.min_severity");
    expect((await ask("What goes in .github/empathy.yml?")).topic).toBe("config");
  });

  it("an unknown question: an honest 'I can't answer that' with the topics, never an echo", async () => {
    const question = "What is the weather in Paris tomorrow?";
    const a = await ask(question);
    expect(a.kind).toBe("unknown");
    expect(a.explanation).toMatch(/^I can't answer that/);
    expect(a.topics).toEqual(expect.arrayContaining(["SQL injection", "the empathy levels (1–5)"]));
    expect(answerMarkdown(a)).not.toContain("Paris");
  });
});

describe("hostile questions are bounded", () => {
  /** The analysis, recording what it was asked to read. */
  function recording(): { analyse: AnalyseChange; inputs: AnalysisInput[] } {
    const inputs: AnalysisInput[] = [];
    return { inputs, analyse: (input, options) => (inputs.push(input), analyseInProcess(input, options)) };
  }

  it(`a 1 MB question: only the first ${MAX_QUESTION_CHARS} characters are read`, async () => {
    const r = recording();
    const started = Date.now();
    const a = await ask("How do I fix this: db.query('SELECT ' + id) " + "x = 1; ".repeat(150_000), deps(r.analyse));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(a.notes.join(" ")).toMatch(/first 8,000 characters/);
    for (const input of r.inputs) for (const f of input.files) expect(f.additions).toBeLessThanOrEqual(MAX_SNIPPET_LINES);
  });

  it(`10,000 code fences: at most ${MAX_SNIPPETS} snippets analysed`, async () => {
    const r = recording();
    const a = await ask("```js\neval(x)\n```\n".repeat(10_000), deps(r.analyse));
    expect(r.inputs).toHaveLength(1);
    expect(r.inputs[0].files.length).toBeLessThanOrEqual(MAX_SNIPPETS);
    expect(a.notes.join(" ")).toMatch(/were analysed/);
  });

  it("a fence with no end runs to the end of the question and is analysed once", async () => {
    const r = recording();
    const a = await ask("Fix this?\n```js\nconst { exec } = require('child_process');\nexec('rm -rf ' + req.body.dir);", deps(r.analyse));
    expect(r.inputs[0].files).toHaveLength(1);
    expect(a.topic).toBe("command-injection");
  });

  it(`a snippet of 5,000 lines is cut to ${MAX_SNIPPET_LINES}`, async () => {
    const r = recording();
    await ask("```js\n" + "a();\n".repeat(5_000) + "```", deps(r.analyse));
    expect(r.inputs[0].files[0].additions).toBeLessThanOrEqual(MAX_SNIPPET_LINES);
  });
});
