import { applied, suggest } from "./helpers.js";

const RULE = "py/unsafe-yaml";
const py = (...body: string[]) => ["import yaml", "", "def read(path):", ...body];

describe("suggested fix: yaml.safe_load", () => {
  it("replaces yaml.load(x) on its line, keeping the indentation and the rest of the line", () => {
    const code = py("    return yaml.load(open(path).read())  # settings");
    const s = suggest(RULE, "python", code, "yaml.load");
    expect(s).toEqual({ startLine: 4, endLine: 4, replacement: "    return yaml.safe_load(open(path).read())  # settings" });
  });

  it.each([
    ["yaml.load(data, Loader=yaml.Loader)", "yaml.safe_load(data)"],
    ["yaml.load(data, Loader=yaml.FullLoader)", "yaml.safe_load(data)"],
    ["yaml.load(data, Loader=yaml.UnsafeLoader)", "yaml.safe_load(data)"],
    ["yaml.load(data, yaml.CLoader)", "yaml.safe_load(data)"],
    ["yaml.load( data ,Loader = FullLoader )", "yaml.safe_load( data )"],
    ["yaml.load(stream=data)", "yaml.safe_load(stream=data)"],
    ["yaml.load_all(data, Loader=yaml.Loader)", "yaml.safe_load_all(data)"],
    ["yaml.unsafe_load(data)", "yaml.safe_load(data)"],
    ["yaml.full_load_all(data)", "yaml.safe_load_all(data)"],
  ])("%s → %s", (call, fixed) => {
    const code = py(`    docs = ${call}`);
    expect(suggest(RULE, "python", code, "yaml.")?.replacement).toBe(`    docs = ${fixed}`);
  });

  it("rewrites a call over several lines, dropping the loader line and keeping the trailing comma style", () => {
    const code = py("    return yaml.load(", "        handle.read(),", "        Loader=yaml.FullLoader,", "    )");
    const s = suggest(RULE, "python", code, "yaml.load", [4, 7])!;
    // Lines 4..6 become two lines; the closing parenthesis (line 7) is left as it is.
    expect(s).toEqual({ startLine: 4, endLine: 6, replacement: "    return yaml.safe_load(\n        handle.read()," });
    expect(applied(code, s)).toEqual(py("    return yaml.safe_load(", "        handle.read(),", "    )"));
  });

  it("covers the finding's line even when the change is on another line of the statement", () => {
    const code = py("    return yaml.load(", "        handle,", "    )");
    // The comment is on line 5 (the added one): the suggestion spans 4..5.
    expect(suggest(RULE, "python", code, "yaml.load", [4, 6], 5)).toEqual({
      startLine: 4,
      endLine: 5,
      replacement: "    return yaml.safe_load(\n        handle,",
    });
  });

  it.each([
    ["a loader that may be safe (a custom one)", py("    return yaml.load(data, Loader=MyLoader)")],
    ["an already safe loader", py("    return yaml.load(data, Loader=yaml.SafeLoader)")],
    ["another keyword", py("    return yaml.load(data, Loader=yaml.Loader, extra=1)")],
    [
      "a loader beside a comment that would be lost",
      py("    return yaml.load(", "        data,  # ours", "        Loader=yaml.Loader,", "    )"),
    ],
    ["yaml imported under another name", ["import yaml as y", "y.load(data)"]],
    ["yaml not imported (another object named yaml)", ["yaml = Loader()", "yaml.load(data)"]],
    ["two calls on the line", py("    return yaml.load(a), yaml.load(b)")],
    ["an unterminated call", py("    return yaml.load(data,")],
    ["no argument", py("    return yaml.load()")],
  ])("no suggestion: %s", (_why, code) => {
    const last = code.length;
    expect(suggest(RULE, "python", code, "load", [code.findIndex((l) => l.includes("load")) + 1, last])).toBeUndefined();
  });

  it("does not apply to another rule or language", () => {
    const code = py("    return yaml.load(data)");
    expect(suggest("py/sql-injection", "python", code, "yaml.load")).toBeUndefined();
    expect(suggest(RULE, "javascript", code, "yaml.load")).toBeUndefined();
  });
});
