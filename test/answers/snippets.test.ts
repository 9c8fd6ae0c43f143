/** Finding code in a question and guessing its language; the scans stay bounded on hostile input. */
import { extractCode, guessLanguage, looksLikeCode, MAX_SNIPPETS, normaliseQuestion, snippetDiff } from "../../src/answers/snippets.js";

describe("code in a question", () => {
  it("a fenced block, its tag naming the language", () => {
    const { snippets, prose } = extractCode("Why?\n```python\nx = yaml.load(f)\n```\nthanks");
    expect(snippets).toEqual([{ code: "x = yaml.load(f)", language: "python", path: "snippet-1.py", source: "fence" }]);
    expect(prose).toBe("Why? thanks");
  });

  it("inline code that looks like code; a bare name is not a snippet", () => {
    expect(extractCode("Should I use `pg` here: `db.query(sql + id)`?").snippets.map((s) => s.code)).toEqual(["db.query(sql + id)"]);
    expect(extractCode("Is `yaml` safe?").snippets).toEqual([]);
  });

  it("a snippet pasted after a colon, without the question mark", () => {
    const { snippets } = extractCode("How do I fix this SQL injection: db.query('SELECT * FROM t WHERE id=' + id)?");
    expect(snippets[0]).toMatchObject({ code: "db.query('SELECT * FROM t WHERE id=' + id)", language: "javascript", source: "colon" });
    expect(extractCode("What is this: a question about words").snippets).toEqual([]);
  });

  it("a file name in the question gives the path and the language", () => {
    expect(extractCode("In src/app.py: `data = load(request.body)`").snippets[0]).toMatchObject({ path: "src/app.py", language: "python" });
    expect(extractCode("Node.js: `const x = eval(y)`").snippets[0].path).toBe("snippet-1.js");
  });

  it("guesses the language from the snippet's shape", () => {
    expect(guessLanguage("def load(path):\n    return open(path).read()")).toBe("python");
    expect(guessLanguage("import os\nos.system(cmd)")).toBe("python");
    expect(guessLanguage('cursor.execute("SELECT %s" % x)')).toBe("python");
    expect(guessLanguage("const f = (x) => x + 1;")).toBe("javascript");
    expect(guessLanguage("const fs = require('fs')")).toBe("javascript");
    expect(guessLanguage("let n: number = 1;")).toBe("typescript");
    expect(guessLanguage("FROM node:20\nRUN npm ci")).toBe("dockerfile");
    expect(looksLikeCode("just some words")).toBe(false);
  });

  it("Slack's escapes and curly quotes are undone", () => {
    expect(normaliseQuestion("el.innerHTML = &lt;b&gt; &amp; \u2018x\u2019 \u201Cy\u201D")).toBe("el.innerHTML = <b> & 'x' \"y\"");
  });

  it("a snippet becomes a new file with every line added", () => {
    const diff = snippetDiff({ code: "a()\nb()", language: "javascript", path: "snippet-1.js", source: "fence" });
    expect(diff).toMatchObject({ path: "snippet-1.js", status: "added", additions: 2, deletions: 0 });
    expect(diff.hunks[0].lines).toEqual([
      { kind: "add", content: "a()", newLine: 1 },
      { kind: "add", content: "b()", newLine: 2 },
    ]);
  });
});

describe("hostile questions", () => {
  it("10,000 fences: a bounded scan, at most MAX_SNIPPETS kept", () => {
    const started = Date.now();
    const out = extractCode("```js\na();\n```\n".repeat(10_000));
    expect(Date.now() - started).toBeLessThan(500);
    expect(out.snippets).toHaveLength(MAX_SNIPPETS);
    expect(out.truncated).toBe(true);
  });

  it("a fence with no end runs to the end", () => {
    expect(extractCode("look ```js\nfoo(bar);\nbaz();").snippets[0].code).toBe("foo(bar);\nbaz();");
  });

  it("1 MB of backticks and colons is cut and scanned quickly", () => {
    const started = Date.now();
    const out = extractCode("`:".repeat(500_000));
    expect(Date.now() - started).toBeLessThan(500);
    expect(out.truncated).toBe(true);
  });
});
