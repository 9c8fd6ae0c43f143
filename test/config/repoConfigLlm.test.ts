/** The repository's `llm` key: a repository may refuse the operator's language model; anything but a boolean is reported and ignored. */
import { readFileSync } from "node:fs";
import { Ajv2020 } from "ajv/dist/2020.js";
import { DEFAULT_CONFIG, knownRepoConfigKeys, parseRepoConfigText, resolveRepoConfig } from "../../src/config/repoConfig.js";

describe("repository config: llm", () => {
  it("defaults to true (use the operator's model if there is one); `llm: false` refuses it", () => {
    expect(DEFAULT_CONFIG.llm).toBe(true);
    const { raw } = parseRepoConfigText("llm: false\n");
    expect(resolveRepoConfig(raw)).toEqual({ config: { ...DEFAULT_CONFIG, llm: false }, problems: [] });
    expect(knownRepoConfigKeys([])).toContain("llm");
  });

  it("reports a value that is not a boolean, keeps the default and the rest of the file", () => {
    for (const bad of ['"no"', "0", "{ enabled: false }"]) {
      const { raw } = parseRepoConfigText(`llm: ${bad}\ntarget_level: 3\n`);
      const { config, problems } = resolveRepoConfig(raw);
      expect(config.llm).toBe(true);
      expect(config.target_level).toBe(3);
      expect(problems).toEqual([{ file: ".github/empathy.yml", key: "llm", message: expect.stringMatching(/boolean/) }]);
    }
  });

  it("suggests llm for a mistyped key", () => {
    const { problems } = resolveRepoConfig({ lm: false });
    expect(problems[0].message).toMatch(/did you mean llm\?/);
  });

  it("the published JSON Schema describes it as the app reads it", () => {
    const schema = JSON.parse(readFileSync(new URL("../../schema/empathy.schema.json", import.meta.url), "utf8"));
    expect(schema.properties.llm).toMatchObject({ type: "boolean", default: true });
    const validate = new Ajv2020({ allErrors: true }).compile(schema);
    expect(validate({ llm: false })).toBe(true);
    expect(validate({ llm: "false" })).toBe(false);
  });
});
