// The lint gate (`npm run lint`, run by `npm test`): typescript-eslint's recommended rules and the
// type-aware ones a Node service needs most: no promise left floating, and none handed to a
// caller that ignores its result (an event listener, a timer), where a rejection would go unseen.
import js from "@eslint/js";
import globals from "globals";
import tseslint from "typescript-eslint";

export default tseslint.config(
  // Fixture code (the corpora, rule tests) is data for the analysis, not project code.
  { ignores: ["lib/", "node_modules/", "coverage/", ".scratch/", "test/fixtures/", "rule-tests/"] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: {
      parserOptions: {
        projectService: { allowDefaultProject: ["bin/*.js", "eslint.config.js", "jest.config.js", "examples/*/*.js", "examples/*/*.mjs"] },
        tsconfigRootDir: import.meta.dirname,
      },
    },
    rules: {
      "@typescript-eslint/no-floating-promises": "error",
      "@typescript-eslint/no-misused-promises": "error",
      // `_name`: deliberately unused (a destructured field left out, a parameter a signature requires).
      "@typescript-eslint/no-unused-vars": [
        "error",
        { argsIgnorePattern: "^_", varsIgnorePattern: "^_", destructuredArrayIgnorePattern: "^_", ignoreRestSiblings: true },
      ],
    },
  },
  {
    // The entry script and the example receiver run on Node: its globals (process, Buffer, fetch).
    files: ["**/*.js", "**/*.mjs"],
    languageOptions: { globals: globals.node },
  },
  {
    // Tests and benchmarks build partial fakes of large interfaces (Octokit, Probot, pino) and
    // malformed inputs on purpose; tests match column-aligned CLI output with literal spaces.
    files: ["test/**/*.ts", "bench/**/*.ts"],
    rules: { "@typescript-eslint/no-explicit-any": "off", "no-regex-spaces": "off" },
  },
);
