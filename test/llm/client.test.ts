/** chatCompletion against a loopback stand-in: the request's shape, the key's one place, and each failure by its reason. */
import { chatCompletion, LlmError, MAX_RESPONSE_BYTES, parseCompletion } from "../../src/llm/client.js";
import { startStandIn, type StandIn } from "./standIn.js";

const KEY = "sk-test-KEY-3f9a8b7c6d5e4f3a2b1c";

describe("chatCompletion", () => {
  let standIn: StandIn;
  beforeEach(async () => {
    standIn = await startStandIn();
  });
  afterEach(async () => {
    await standIn.close();
  });

  const settings = (over: { timeoutMs?: number; apiKey?: string } = {}) => ({
    url: standIn.url,
    model: "stand-in-model",
    apiKey: "apiKey" in over ? over.apiKey : KEY,
    timeoutMs: over.timeoutMs ?? 5000,
  });
  const ask = (over: { timeoutMs?: number; apiKey?: string } = {}) =>
    chatCompletion(settings(over), { messages: [{ role: "user", content: "hello" }], maxTokens: 50 });
  const failure = async (promise: Promise<unknown>) => {
    try {
      await promise;
    } catch (error) {
      return error as LlmError;
    }
    throw new Error("expected a failure");
  };

  it("posts the model, messages and cap to <url>/chat/completions, the key only as a bearer token", async () => {
    standIn.mode = { kind: "answer", content: "Hi there", usage: { prompt: 12, completion: 3 } };
    await expect(ask()).resolves.toEqual({ content: "Hi there", totalTokens: 15 });
    expect(standIn.requests).toHaveLength(1);
    const [req] = standIn.requests;
    expect(req.method).toBe("POST");
    expect(req.path).toBe("/v1/chat/completions");
    expect(req.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(JSON.parse(req.body)).toEqual({
      model: "stand-in-model",
      messages: [{ role: "user", content: "hello" }],
      max_tokens: 50,
      temperature: 0,
    });
    // The key is in that header and nowhere else: not the body, not the path, not another header.
    expect(req.body).not.toContain(KEY);
    const otherHeaders = Object.entries(req.headers).filter(([name]) => name !== "authorization");
    expect(JSON.stringify(otherHeaders) + req.path).not.toContain(KEY);
  });

  it("sends no Authorization header without a key (a local server)", async () => {
    await ask({ apiKey: undefined });
    expect(standIn.requests[0].headers.authorization).toBeUndefined();
  });

  it("stops a slow answer at the timeout", async () => {
    standIn.mode = { kind: "slow", delayMs: 5000 };
    const started = Date.now();
    const error = await failure(ask({ timeoutMs: 300 }));
    expect(error).toBeInstanceOf(LlmError);
    expect(error.reason).toBe("timeout");
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("names an HTTP error by its status, never with the key or the body", async () => {
    standIn.mode = { kind: "status", status: 500 };
    const error = await failure(ask());
    expect(error.reason).toBe("http");
    expect(error.status).toBe(500);
    expect(error.message).toBe("language model request failed: HTTP 500");
    expect(`${error.message}${error.stack}`).not.toContain(KEY);
  });

  it("refuses malformed JSON, an empty content and an answer over the size bound", async () => {
    standIn.mode = { kind: "malformed" };
    expect((await failure(ask())).reason).toBe("malformed");
    standIn.mode = { kind: "empty" };
    expect((await failure(ask())).reason).toBe("empty");
    standIn.mode = { kind: "huge", bytes: MAX_RESPONSE_BYTES + 10 };
    expect((await failure(ask())).reason).toBe("too_large");
  });

  it("does not follow a redirect: the key never reaches the place it points to", async () => {
    const elsewhere = await startStandIn();
    try {
      standIn.mode = { kind: "redirect", location: `${elsewhere.url}/chat/completions` };
      const error = await failure(ask());
      expect(error.reason).toBe("http");
      expect(error.status).toBe(307);
      expect(elsewhere.requests).toHaveLength(0);
    } finally {
      await elsewhere.close();
    }
  });

  it("says network when nothing answers, without the URL's text", async () => {
    const url = standIn.url;
    await standIn.close();
    const error = await failure(chatCompletion({ url, model: "m", apiKey: KEY, timeoutMs: 2000 }, { messages: [], maxTokens: 1 }));
    expect(error.reason).toBe("network");
    expect(error.message).not.toContain("127.0.0.1");
    standIn = await startStandIn(); // for afterEach
  });
});

describe("parseCompletion", () => {
  it("reads usage as total, else prompt plus completion, else nothing", () => {
    const body = (usage: unknown) => JSON.stringify({ choices: [{ message: { content: "x" } }], usage });
    expect(parseCompletion(body({ total_tokens: 9 })).totalTokens).toBe(9);
    expect(parseCompletion(body({ prompt_tokens: 4, completion_tokens: 2 })).totalTokens).toBe(6);
    expect(parseCompletion(body(undefined)).totalTokens).toBeUndefined();
    expect(parseCompletion(body({ total_tokens: -1 })).totalTokens).toBeUndefined();
  });

  it("refuses shapes that are not a completion", () => {
    for (const text of ["null", "[]", '{"choices": {}}', '{"choices": [{"message": {"content": 42}}]}']) {
      expect(() => parseCompletion(text)).toThrow(LlmError);
    }
    expect(() => parseCompletion('{"choices": []}')).toThrow(/empty/);
  });
});
