/** The knowledge base covers what the app knows, with the right references, and matching is deterministic. */
import { CATEGORY_KNOWLEDGE, COMMAND_KNOWLEDGE, CONFIG_KNOWLEDGE, LEVEL_KNOWLEDGE } from "../../src/answers/knowledge.js";
import { matchKnowledge } from "../../src/answers/match.js";
import { CATEGORIES } from "../../src/analysis/types.js";
import { DEFAULT_CONFIG } from "../../src/config/repoConfig.js";
import { LEVEL_NAMES } from "../../src/engine/levels.js";
import { helpText } from "../../src/github/feedback/commands.js";
import { HELP_TEXT } from "../../src/server/slackCommands.js";

/** The CWE entries checked against cwe.mitre.org for these categories. */
const EXPECTED_CWE: Record<string, string> = {
  "sql-injection": "CWE-89",
  "command-injection": "CWE-78",
  "code-injection": "CWE-94",
  xss: "CWE-79",
  "path-traversal": "CWE-22",
  "insecure-deserialization": "CWE-502",
  "hardcoded-secret": "CWE-798",
  "weak-crypto": "CWE-327",
  ssrf: "CWE-918",
  "open-redirect": "CWE-601",
  "insecure-tls": "CWE-295",
  "insecure-randomness": "CWE-338",
  "debug-leftover": "CWE-489",
  "dependency-risk": "CWE-1104",
};

describe("the knowledge base", () => {
  it("has one entry per category the analysis knows, each complete", () => {
    expect(CATEGORY_KNOWLEDGE.map((e) => e.id).sort()).toEqual([...CATEGORIES].sort());
    for (const e of CATEGORY_KNOWLEDGE) {
      for (const text of [e.what, e.exploit, e.fix, e.ifShips, e.example.before, e.example.after]) expect(text.trim()).not.toBe("");
      expect(e.example.before).not.toBe(e.example.after);
      expect(e.keywords.every((k) => k === k.toLowerCase())).toBe(true);
      expect(e.link.url).toMatch(/^https:\/\//);
    }
  });

  it("names the CWE entry of each security category and links to it or to the OWASP cheat sheet", () => {
    for (const e of CATEGORY_KNOWLEDGE) {
      expect(e.cwe).toBe(EXPECTED_CWE[e.id]);
      const owasp = /^https:\/\/cheatsheetseries\.owasp\.org\/cheatsheets\/[A-Za-z_]+_Cheat_Sheet\.html$/.test(e.link.url);
      const cwe = /^https:\/\/cwe\.mitre\.org\/data\/definitions\/(\d+)\.html$/.exec(e.link.url);
      if (cwe) expect(`CWE-${cwe[1]}`).toBe(e.cwe);
      if (e.cwe) expect(owasp || cwe !== null).toBe(true);
    }
  });

  it("explains every empathy level by its name", () => {
    for (const level of [1, 2, 3, 4, 5] as const) {
      const entry = LEVEL_KNOWLEDGE.find((e) => e.id === String(level));
      expect(entry?.title).toContain(LEVEL_NAMES[level]);
    }
  });

  it("explains every command the help texts list", () => {
    const documented = COMMAND_KNOWLEDGE.map((e) => e.title).join(" ");
    for (const word of ["dismiss", "explain", "review", "config", "help"]) expect(helpText()).toContain(`/empathy ${word}`);
    for (const word of ["dismiss", "explain", "review", "config", "help", "status"]) expect(documented).toContain(`/empathy ${word}`);
    expect(HELP_TEXT).toContain("/empathy status");
  });

  it("names only configuration keys that exist, and every top-level key", () => {
    const config = DEFAULT_CONFIG as unknown as Record<string, Record<string, unknown>>;
    for (const e of CONFIG_KNOWLEDGE.filter((c) => c.kind === "config")) {
      const [top, sub] = e.id.split(".");
      expect(Object.keys(config)).toContain(top);
      if (sub) expect(Object.keys(config[top])).toContain(sub);
    }
    const covered = new Set(CONFIG_KNOWLEDGE.map((e) => e.id.split(".")[0]));
    for (const key of Object.keys(config)) expect(covered).toContain(key);
  });
});

describe("matching a question", () => {
  it("is deterministic and picks the most specific entry", () => {
    const q = "How do I stop SQL injection in my queries?";
    expect(matchKnowledge(q)).toEqual(matchKnowledge(q));
    expect(matchKnowledge(q)[0].entry.id).toBe("sql-injection");
    expect(matchKnowledge("what is SSRF")[0].entry.id).toBe("ssrf");
    expect(matchKnowledge("is pickle safe to load?")[0].entry.id).toBe("insecure-deserialization");
    expect(matchKnowledge("what does level 5 transformative do")[0].entry.id).toBe("5");
  });

  it("matches whole words only, and nothing for unrelated text", () => {
    expect(matchKnowledge("tell me about quesadillas")).toEqual([]); // "sql" inside a word is not SQL
    expect(matchKnowledge("")).toEqual([]);
  });
});
