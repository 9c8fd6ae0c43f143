/** groundingViolation: what the model's prose may and may not say, given the prompt's grounds. */
import { groundingViolation } from "../../src/llm/grounding.js";
import { answerPrompt, groupFiles, type Grounds } from "../../src/llm/prompt.js";
import { parsePatch } from "../../src/analysis/diff.js";
import { FAKE } from "../analysis/fakeSecrets.js";

const grounds: Grounds = answerPrompt({
  question: "Is db.query('SELECT ' + id) in src/db/users.ts safe? We use node 20.5 and see https://docs.example.com/db",
  facts: ["Parameterised queries keep values apart from the SQL text."],
  findings: [{ rule: "js/sql-injection", category: "sql-injection", severity: "high", confidence: 0.9, path: "src/db/users.ts", line: 12 }],
  predictions: [
    { kind: "missing-tests", prediction: "No test covers it", severity: "medium", confidence: 0.7, path: "src/db/users.ts", line: 12 },
  ],
  level: 4,
  confidence: 0.85,
  deterministicText: "SQL injection at src/db/users.ts:12.",
}).grounds;

const check = (text: string) => groundingViolation(text, grounds, 2000);

describe("groundingViolation", () => {
  it("accepts prose that repeats what it was given", () => {
    for (const text of [
      "The id is concatenated into the query in src/db/users.ts, so pass it as a parameter.",
      "This high severity SQL injection (js/sql-injection, 90%, or 0.9) sits at level 4; overall confidence 85%.",
      "The medium risk prediction says no test covers it; one finding needs a fix.",
      "Use the driver's placeholders and/or a query builder; node 20.5 supports both. See https://docs.example.com/db.",
      "Client/server code is unaffected: `db.query(sql, [id])` keeps the value apart.",
    ]) {
      expect([text, check(text)]).toEqual([text, undefined]);
    }
  });

  it.each([
    ["", "empty"],
    ["x".repeat(2001), "too_long"],
    ["```\ncode\n```", "markup"],
    ["## Heading", "markup"],
    ["<img src=x onerror=alert(1)>", "markup"],
    ["<!channel> look", "markup"],
    ["![pixel](https://t.example/p.png)", "markup"],
    ["Read https://evil.example/x first.", "link"],
    ["Thanks @someone for the patch.", "mention"],
    [`Use ${FAKE.github} as the token.`, "secret"],
    ["It also trips py/unsafe-yaml.", "rule_id"],
    ["See js/prototype-pollution.", "rule_id"],
    ["A critical severity problem.", "severity"],
    ["The severity is low.", "severity"],
    ["This is a low-risk change.", "severity"],
    ["About 95% likely.", "confidence"],
    ["Confidence 0.99.", "confidence"],
    ["This calls for level 5.", "level"],
    ["There is also an XSS here.", "category"],
    ["A path traversal too.", "category"],
    ["Hard-coded secret in config.", "category"],
    ["I found two vulnerabilities.", "count"],
    ["There are 3 high findings.", "count"],
  ])("refuses %j (%s)", (text, violation) => {
    expect(check(text)).toBe(violation);
  });

  it("judges categories against what the input says: a question about XSS may be answered about XSS", () => {
    const about = answerPrompt({
      question: "What is XSS?",
      facts: [],
      findings: [],
      deterministicText: "Cross-site scripting is …",
    }).grounds;
    expect(
      groundingViolation("XSS lets a page run an attacker's script; cross-site scripting is fixed with textContent.", about, 2000),
    ).toBeUndefined();
    expect(groundingViolation("It is like SQL injection.", about, 2000)).toBe("category");
    expect(groundingViolation("One finding here.", about, 2000)).toBe("count");
  });
});

describe("groupFiles", () => {
  const file = (path: string, additions = 1) => parsePatch(path, undefined, { status: "modified", additions, deletions: 0 });

  it("groups by top-level folder, a common root's subfolders apart, root files together, largest first", () => {
    const groups = groupFiles([
      file("src/llm/a.ts", 10),
      file("src/llm/b.ts"),
      file("src/app.ts"),
      file("docs/x.md", 20),
      file("README.md"),
    ]);
    expect(groups.map((g) => [g.name, g.files.length, g.additions])).toEqual([
      ["docs/", 1, 20],
      ["src/llm/", 2, 11],
      ["(root)", 1, 1],
      ["src/", 1, 1],
    ]);
  });

  it("keeps at most twelve groups, the smallest merged", () => {
    const groups = groupFiles(Array.from({ length: 30 }, (_, i) => file(`f${i}/x.ts`, 100 - i)));
    expect(groups).toHaveLength(12);
    expect(groups[11]).toMatchObject({ name: "(other folders)" });
    expect(groups[11].files).toHaveLength(19);
  });
});
