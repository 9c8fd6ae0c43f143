import { aliasNames, declaredTypes, dottedKeys } from "../../../src/analysis/ast/textScan.js";
import { prng as random } from "../fakeSecrets.js";

/** Text made of the pieces these scanners care about, in random order. */
function text(rand: () => number, pieces: readonly string[], length: number): string {
  let out = "";
  while (out.length < length) out += pieces[Math.floor(rand() * pieces.length)];
  return out;
}

const ESCAPE = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("textScan: one pass gives what the per-name regexes gave", () => {
  it("declaredTypes has exactly the pairs the receiver regex matches", () => {
    const rand = random(1);
    const pieces = [
      "svc",
      "Svc",
      "Foo",
      "foo",
      "a",
      "b1",
      "_x",
      "x$",
      "$y",
      "#p",
      "new",
      "await",
      " ",
      "  ",
      "\n",
      "\t",
      "=",
      "==",
      ":",
      "?",
      ".",
      ",",
      ";",
      "<",
      ">",
      "(",
      ")",
      "this.",
      "List<Foo>",
      "Foo<Bar<Baz>>",
    ];
    const names = ["svc", "Svc", "Foo", "foo", "a", "b1", "_x", "new", "await", "List", "Bar", "Baz", "y", "p"];
    for (let round = 0; round < 1500; round++) {
      const t = text(rand, pieces, 5 + Math.floor(rand() * 60));
      const pairs = declaredTypes(t);
      for (const raw of names) {
        for (const owner of names) {
          const r = ESCAPE(raw);
          const c = ESCAPE(owner);
          const expected = new RegExp(
            `(?<![\\w$.])${r}\\??\\s*[:=]\\s*(?:new\\s+|await\\s+)?(?:[\\w$]+\\.)?${c}\\b|\\b${c}(?:<[^>\\n]*>)?\\s+${r}\\b`,
          ).test(t);
          if (pairs.has(`${raw}\u0000${owner}`) !== expected)
            throw new Error(`${JSON.stringify(t)}: ${raw} / ${owner}: expected ${expected}`);
        }
      }
    }
  });

  it("aliasNames gives the first names the definition regex captures", () => {
    const rand = random(2);
    const definitions = [
      "promisify\\(\\s*(?:exec|execSync|child_process\\.exec)\\s*\\)",
      "\\?\\s*(?:https?|require\\(\\s*['\"](?:node:)?https?['\"]\\s*\\))\\s*:\\s*(?:https?|require\\(\\s*['\"](?:node:)?https?['\"]\\s*\\))(?![\\w$.])",
      "\\s+x",
    ];
    const pieces = [
      "sh",
      "a",
      "run1",
      "$b",
      "9c",
      " ",
      "  ",
      "\n",
      "=",
      "==",
      ":",
      ";",
      ".",
      "(",
      ")",
      "promisify(exec)",
      "promisify( exec )",
      "util.",
      "? http : https",
      "?https:http",
      " x",
      "const ",
      "let ",
    ];
    for (let round = 0; round < 3000; round++) {
      const t = text(rand, pieces, 5 + Math.floor(rand() * 80));
      for (const definition of definitions) {
        const expected = new Set<string>();
        const re = new RegExp(`([A-Za-z_$][\\w$]*)\\s*(?::[^=\\n]*)?=\\s*[^\\n;]*?(?:${definition})`, "g");
        for (const m of t.matchAll(re)) if (expected.size < 5) expected.add(m[1]);
        expect({ t, definition, names: aliasNames(t, definition, 5) }).toEqual({ t, definition, names: [...expected] });
      }
    }
  });

  it("aliasNames stays fast on lines built to make the regex backtrack", () => {
    // Measured as work, not time: the regex tries every position and scans to the line's end.
    const t = `${"a: ".repeat(1300)}\n`.repeat(50) + "const sh = promisify(exec)";
    expect(aliasNames(t, "promisify\\(\\s*exec\\s*\\)", 5)).toEqual(["sh"]);
  });

  it("dottedKeys holds every dotted name a guard can mention", () => {
    const rand = random(3);
    const pieces = ["req", "query", "id", "x", "$u", "_", ".", "..", "(", ")", " ", "!", "===", "'a'", "?.", "[", "]", "#", "1"];
    const names = ["req", "req.query", "req.query.id", "x", "x.id", "$u", "query.id", "id"];
    for (let round = 0; round < 2000; round++) {
      const t = text(rand, pieces, 3 + Math.floor(rand() * 40));
      const keys = dottedKeys(t);
      for (const n of names) {
        const mentioned = new RegExp(`(?<![\\w$.])${ESCAPE(n)}(?![\\w$])`).test(t);
        if (mentioned && !keys.has(n)) throw new Error(`${JSON.stringify(t)}: ${n} not among ${[...keys].join(", ")}`);
      }
    }
  });
});
