import YAML from "yaml";
import {
  OPERATOR_CONFIG_YAML_LIMITS,
  parseBoundedDocument,
  parseBoundedYaml,
  PREDICTOR_YAML_LIMITS,
  REPO_CONFIG_YAML_LIMITS,
  YamlLimitError,
  type YamlLimits,
} from "../../src/analysis/yamlLimits.js";
import { aliasBomb, wideAliases } from "../helpers/yamlBombs.js";

const SMALL: YamlLimits = { maxBytes: 1_000, maxAliases: 5, maxNodes: 50, maxDepth: 4 };

function limitError(run: () => unknown): YamlLimitError {
  try {
    run();
  } catch (err) {
    if (err instanceof YamlLimitError) return err;
    throw err;
  }
  throw new Error("expected a YamlLimitError");
}

describe("bounded YAML", () => {
  it("parses ordinary YAML, anchors included, like the yaml library", () => {
    const text =
      "defaults: &defaults { retries: 3, tags: [a, b] }\nfirst: *defaults\nsecond: { <<: *defaults }\nlist: [1, two, { three: 3 }]\n";
    expect(parseBoundedYaml(text, REPO_CONFIG_YAML_LIMITS)).toEqual(YAML.parse(text));
    expect(parseBoundedYaml("", REPO_CONFIG_YAML_LIMITS)).toBeNull();
  });

  it.each([
    ["the operator config", OPERATOR_CONFIG_YAML_LIMITS],
    ["the repository config", REPO_CONFIG_YAML_LIMITS],
    ["predictor input", PREDICTOR_YAML_LIMITS],
  ] as const)("refuses the billion-laughs bomb under the limits of %s, at once", (_name, limits) => {
    const started = Date.now();
    const err = limitError(() => parseBoundedYaml(aliasBomb(), limits));
    expect(err.limit).toBe("nodes");
    expect(err.line).toBeGreaterThanOrEqual(2);
    expect(err.message).toMatch(/^expands to more than [\d,]+ values once its aliases are expanded \(an alias bomb\?\)$/);
    expect(Date.now() - started).toBeLessThan(5_000); // unbounded: 387 million strings
  });

  it("counts the whole expansion, where the yaml library's own heuristic lets a quadratic file through", () => {
    const text = wideAliases(1_000, 99);
    expect(() => YAML.parse(text)).not.toThrow(); // 100,000 values from 4 KB
    expect(limitError(() => parseBoundedYaml(text, REPO_CONFIG_YAML_LIMITS)).limit).toBe("nodes");
    expect(limitError(() => parseBoundedYaml(text, OPERATOR_CONFIG_YAML_LIMITS)).limit).toBe("nodes");
    expect(parseBoundedYaml(wideAliases(100, 20), OPERATOR_CONFIG_YAML_LIMITS)).toMatchObject({ copies: expect.any(Array) });
  });

  it("refuses a text over the size limit before parsing it, counting UTF-8 bytes", () => {
    const err = limitError(() => parseBoundedDocument(`a: "${"x".repeat(2_000)}"`, SMALL));
    expect(err).toMatchObject({ limit: "bytes", line: null });
    expect(err.message).toMatch(/^is 2 KB, over the 1000 bytes limit$/);
    // 400 characters, 1,200 bytes
    expect(limitError(() => parseBoundedDocument(`a: "${"€".repeat(400)}"`, SMALL)).limit).toBe("bytes");
  });

  it("refuses too many aliases, naming the line", () => {
    const text = "a: &a 1\nb: [*a, *a, *a]\nc: [*a, *a, *a]\n";
    expect(limitError(() => parseBoundedDocument(text, SMALL))).toMatchObject({ limit: "aliases", line: 3 });
  });

  it("refuses nesting too deep, also when an alias brings it deeper", () => {
    expect(limitError(() => parseBoundedDocument("a: [[[[[1]]]]]\n", SMALL)).limit).toBe("depth");
    const throughAlias = "a: &a [[[1]]]\nb: [[*a]]\n"; // a is 3 deep, b holds it 2 deeper
    expect(() => parseBoundedDocument("a: &a [[[1]]]\nb: *a\n", SMALL)).not.toThrow();
    expect(limitError(() => parseBoundedDocument(throughAlias, SMALL))).toMatchObject({ limit: "depth", line: 2 });
  });

  it("refuses an alias inside its own anchor (a cycle)", () => {
    expect(limitError(() => parseBoundedDocument("a: &a [1, *a]\n", SMALL))).toMatchObject({ limit: "alias_cycle", line: 1 });
  });

  it("returns a document with syntax errors as is, and parseBoundedYaml throws the syntax error", () => {
    const doc = parseBoundedDocument("a: [unclosed\n", SMALL);
    expect(doc.errors.length).toBeGreaterThan(0);
    expect(() => parseBoundedYaml("a: [unclosed\n", SMALL)).toThrow(YAML.YAMLParseError);
  });
});
