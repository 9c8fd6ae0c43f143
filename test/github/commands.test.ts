import { explain, helpText, parseCommand } from "../../src/github/commands.js";

describe("parsing /empathy commands", () => {
  it("reads the command on the first line", () => {
    expect(parseCommand("/empathy dismiss abcdef12\nbecause it is a constant")).toEqual({ name: "dismiss", arg: "abcdef12" });
    expect(parseCommand("  /EMPATHY Explain `abcdef12`  ")).toEqual({ name: "explain", arg: "`abcdef12`" });
    expect(parseCommand("/empathy review")).toEqual({ name: "review", arg: "" });
    expect(parseCommand("/empathy")).toEqual({ name: "help", arg: "" });
  });

  it("unknown words become help; non-commands and non-strings are null", () => {
    expect(parseCommand("/empathy please-fix")).toEqual({ name: "help", arg: "", unknown: "please-fix" });
    expect(parseCommand("/empathyx help")).toBeNull();
    expect(parseCommand("LGTM /empathy review")).toBeNull();
    expect(parseCommand(undefined)).toBeNull();
    expect(parseCommand(42)).toBeNull();
  });

  it("help never echoes markup from the unknown word", () => {
    expect(helpText("`rm -rf`\n@all")).toMatch(/^I don't know the command `rm -rf@all`/);
  });

  it("explains a prediction with its impact", () => {
    const text = explain("0123456789abcdef", { id: "pred-0123", kind: "migration-drop-column", prediction: "The app breaks.", severity: "high", impact: "Mobile users.", recommendation: "Deprecate first.", path: "db/m.sql", line: 2, confidence: 0.8 });
    expect(text).toContain("**What:** The app breaks.");
    expect(text).toContain("**Why it matters:** A high prediction (migration-drop-column, confidence 80%). Mobile users.");
    expect(text).toContain("**How to fix:** Deprecate first.");
  });
});
