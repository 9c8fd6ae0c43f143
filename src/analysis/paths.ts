/** What a file path tells the analysers: its language, and whether it is a test. */

export type Language = "javascript" | "python";

const JS_EXT = /\.(?:js|jsx|mjs|cjs|ts|tsx|mts|cts)$/i;
const PY_EXT = /\.py$/i;

/** The rule language of a file, or undefined when no language rules apply (secrets still do). */
export function languageOf(path: string): Language | undefined {
  if (path.endsWith(".d.ts")) return undefined; // declarations hold no behaviour
  if (JS_EXT.test(path)) return "javascript";
  if (PY_EXT.test(path)) return "python";
  return undefined;
}

const TEST_PATH =
  /(?:^|\/)(?:test|tests|__tests__|spec|specs)\/|\.(?:test|spec)\.[^/]+$|(?:^|\/)test_[^/]*\.py$|_test\.(?:py|go)$|_spec\.rb$/i;

export function isTestFile(path: string): boolean {
  return TEST_PATH.test(path);
}
