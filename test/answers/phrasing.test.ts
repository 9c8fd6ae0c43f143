/**
 * A question's answer worded by the operator's language model, wired as the app wires it
 * (answers/phrasing.ts with llm/phrase.ts `phraseAnswer`) against a recording stand-in on loopback:
 * only the prose is replaced (the findings, fixed code, level and confidence stay the bot's), an
 * ungrounded text or a failure leaves the deterministic answer, an unknown question is never sent,
 * and a secret in the question never reaches the model.
 */
import { answerQuestion, type Answer } from "../../src/answers/answer.js";
import { phrased, phrasingInput, type PhraseAnswer } from "../../src/answers/phrasing.js";
import { EmpathyOS } from "../../src/engine/empathyOS.js";
import { MemoryLlmSpend } from "../../src/llm/budget.js";
import { phraseAnswer } from "../../src/llm/phrase.js";
import { FAKE } from "../analysis/fakeSecrets.js";
import { analyseInProcess } from "../helpers/inProcessAnalysis.js";
import { recordingLog, startStandIn, type StandIn } from "../llm/standIn.js";

const QUESTION = "How do I fix this SQL injection: db.query('SELECT * FROM t WHERE id=' + id)?";
const WORDED = "The id is pasted into the SQL text, so whoever sends it can rewrite the query. Send it apart, as a parameter.";

const ask = (question: string) =>
  answerQuestion(question, {
    engine: new EmpathyOS(),
    analyse: analyseInProcess,
    userId: "U1",
    context: { repo: "slack", platform: "slack" },
  });

describe("an answer worded by the language model", () => {
  let standIn: StandIn;
  let log: ReturnType<typeof recordingLog>;
  let phrase: PhraseAnswer;
  beforeEach(async () => {
    standIn = await startStandIn({ kind: "answer", content: WORDED, usage: { prompt: 300, completion: 40 } });
    log = recordingLog();
    const settings = { url: standIn.url, model: "stand-in", apiKey: "test-key-0123456789", timeoutMs: 2000, tokenBudget: 20_000 };
    const spend = new MemoryLlmSpend();
    phrase = (input) => phraseAnswer(input, { settings, repoAllows: true, spend, budgetKey: "slack:T1:U1:2026-12-05", log });
  });
  afterEach(async () => {
    await standIn.close();
  });

  it("replaces only the prose: the findings, the fixed code, the level and the confidence stay the bot's", async () => {
    const plain = await ask(QUESTION);
    const worded = await phrased(QUESTION, plain, phrase);
    expect(standIn.requests).toHaveLength(1);
    const prompt = standIn.requests[0].body;
    expect(prompt).toContain("js/sql-injection"); // grounded on the finding
    expect(worded.explanation).toBe(WORDED);
    expect(worded.fix).toBeUndefined();
    const keep = (a: Answer) => ({ findings: a.findings, fixedCode: a.fixedCode, level: a.level, confidence: a.confidence, link: a.link });
    expect(keep(worded)).toEqual(keep(plain));
  });

  it("keeps the deterministic answer when the model's text names a severity it was not given", async () => {
    standIn.mode = { kind: "answer", content: "This is a critical issue with 99% confidence: fix it now." };
    const plain = await ask(QUESTION);
    expect(await phrased(QUESTION, plain, phrase)).toEqual(plain);
    expect(log.lines.some((l) => l.startsWith("warn") && l.includes("grounding"))).toBe(true);
  });

  it("keeps the deterministic answer when the model fails, or the phrasing layer throws", async () => {
    standIn.mode = { kind: "status", status: 500 };
    const plain = await ask(QUESTION);
    expect(await phrased(QUESTION, plain, phrase)).toEqual(plain);
    expect(await phrased(QUESTION, plain, () => Promise.reject(new Error("store down")))).toEqual(plain);
  });

  it("never sends a question it cannot answer, and never sends a secret in the question", async () => {
    const unknown = await ask("What is the weather like on Mars?");
    expect(unknown.kind).toBe("unknown");
    expect(await phrased("What is the weather like on Mars?", unknown, phrase)).toEqual(unknown);
    expect(standIn.requests).toHaveLength(0);

    const question = `Is this safe: const key = "${FAKE.stripe}"; const gh = "${FAKE.github}";`;
    await phrased(question, await ask(question), phrase);
    expect(standIn.requests).toHaveLength(1); // it was sent, redacted
    const sent = standIn.requests.map((r) => r.body).join("\n");
    expect(sent).not.toContain(FAKE.stripe);
    expect(sent).not.toContain(FAKE.github);
  });

  it("hands the model the answer's facts and its deterministic text to reword", async () => {
    const plain = await ask(QUESTION);
    const input = phrasingInput(QUESTION, plain);
    expect(input.facts[0]).toBe(plain.explanation);
    expect(input.deterministicText).toContain(plain.explanation);
    expect(input.findings).toEqual([expect.objectContaining({ rule: "js/sql-injection", severity: plain.findings[0].severity, line: 1 })]);
  });
});
