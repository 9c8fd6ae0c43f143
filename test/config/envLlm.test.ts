/** readSettings' llm group: off unless EMPATHY_LLM_URL is set; a half configuration stops start-up without echoing a value. */
import { readSettings } from "../../src/config/env.js";

const KEY = "sk-live-ENVTEST-0123456789abcdef";

describe("readSettings: the language model", () => {
  it("is off without EMPATHY_LLM_URL", () => {
    expect(readSettings({}).llm).toBeUndefined();
    expect(readSettings({ EMPATHY_LLM_URL: "  " }).llm).toBeUndefined();
  });

  it("reads the URL (without a trailing slash), the model, the key, the timeout and the budget", () => {
    expect(
      readSettings({ EMPATHY_LLM_URL: "https://api.example.com/v1/", EMPATHY_LLM_MODEL: "gpt-x", EMPATHY_LLM_API_KEY: ` ${KEY} ` }).llm,
    ).toEqual({ url: "https://api.example.com/v1", model: "gpt-x", apiKey: KEY, timeoutMs: 10_000, tokenBudget: 20_000 });
    expect(
      readSettings({
        EMPATHY_LLM_URL: "http://127.0.0.1:11434/v1",
        EMPATHY_LLM_MODEL: "local",
        EMPATHY_LLM_TIMEOUT_SECONDS: "30",
        EMPATHY_LLM_TOKEN_BUDGET: "5000",
      }).llm,
    ).toEqual({ url: "http://127.0.0.1:11434/v1", model: "local", apiKey: undefined, timeoutMs: 30_000, tokenBudget: 5000 });
  });

  it("stops start-up on a half or bad configuration, naming the variable and never the key", () => {
    const cases: [NodeJS.ProcessEnv, RegExp][] = [
      [{ EMPATHY_LLM_URL: "https://api.example.com/v1" }, /EMPATHY_LLM_MODEL is required/],
      [{ EMPATHY_LLM_API_KEY: KEY }, /need EMPATHY_LLM_URL/],
      [{ EMPATHY_LLM_URL: "api.example.com", EMPATHY_LLM_MODEL: "m" }, /EMPATHY_LLM_URL must be an http/],
      [{ EMPATHY_LLM_URL: "file:///etc/passwd", EMPATHY_LLM_MODEL: "m" }, /EMPATHY_LLM_URL must be an http/],
      [{ EMPATHY_LLM_URL: `https://user:${KEY}@api.example.com/v1`, EMPATHY_LLM_MODEL: "m" }, /must not carry credentials/],
      [
        { EMPATHY_LLM_URL: "https://a.example/v1", EMPATHY_LLM_MODEL: "m", EMPATHY_LLM_TIMEOUT_SECONDS: "0" },
        /EMPATHY_LLM_TIMEOUT_SECONDS/,
      ],
      [{ EMPATHY_LLM_URL: "https://a.example/v1", EMPATHY_LLM_MODEL: "m", EMPATHY_LLM_TOKEN_BUDGET: "lots" }, /EMPATHY_LLM_TOKEN_BUDGET/],
    ];
    for (const [env, message] of cases) {
      let thrown: Error | undefined;
      try {
        readSettings({ ...env, EMPATHY_LLM_API_KEY: env.EMPATHY_LLM_API_KEY ?? (env.EMPATHY_LLM_URL ? KEY : undefined) });
      } catch (error) {
        thrown = error as Error;
      }
      expect(thrown?.message).toMatch(message);
      expect(thrown?.message).not.toContain(KEY);
    }
  });
});
