/**
 * The languages the AST rules understand: which files they cover, the ast-grep language each is
 * parsed with, and the "family" whose syntax the taint engine knows. JavaScript, TypeScript and
 * TSX are built into @ast-grep/napi; Python, Go and Java come from the @ast-grep/lang-* packages
 * through `registerDynamicLanguage`, which may be called only once per process: it happens here,
 * on first use, and each language is then checked by parsing a snippet.
 */
import { createRequire } from "node:module";
import { Lang, parse, registerDynamicLanguage } from "@ast-grep/napi";

/** A grammar we parse with (one per file). */
export type AstLanguage = "javascript" | "typescript" | "tsx" | "python" | "go" | "java";
/** Languages sharing a syntax for the taint engine (TypeScript and TSX extend JavaScript). */
export type Family = "js" | "python" | "go" | "java";

export const AST_LANGUAGES: readonly AstLanguage[] = ["javascript", "typescript", "tsx", "python", "go", "java"];

export const FAMILY: Record<AstLanguage, Family> = {
  javascript: "js",
  typescript: "js",
  tsx: "js",
  python: "python",
  go: "go",
  java: "java",
};

/** The name @ast-grep/napi knows each language by. */
export const NAPI_LANG: Record<AstLanguage, string> = {
  javascript: Lang.JavaScript,
  typescript: Lang.TypeScript,
  tsx: Lang.Tsx,
  python: "python",
  go: "go",
  java: "java",
};

const EXTENSIONS: ReadonlyArray<[RegExp, AstLanguage]> = [
  [/\.(?:js|jsx|mjs|cjs)$/i, "javascript"],
  [/\.(?:ts|mts|cts)$/i, "typescript"],
  [/\.tsx$/i, "tsx"],
  [/\.pyw?$/i, "python"],
  [/\.go$/i, "go"],
  [/\.java$/i, "java"],
];

/** The grammar for a path, or undefined when no AST rules apply (declarations, other languages). */
export function astLanguageOf(path: string): AstLanguage | undefined {
  if (/\.d\.[mc]?ts$/i.test(path)) return undefined; // declarations hold no behaviour
  for (const [re, lang] of EXTENSIONS) if (re.test(path)) return lang;
  return undefined;
}

/**
 * A rule's `language:` field (ast-grep spells it several ways) to the grammars it runs on.
 * A JavaScript rule also runs on TypeScript and TSX, whose grammars extend JavaScript's.
 */
export function languagesOfRule(name: string): AstLanguage[] | undefined {
  switch (name.toLowerCase()) {
    case "javascript":
    case "js":
    case "jsx":
      return ["javascript", "typescript", "tsx"];
    case "typescript":
    case "ts":
      return ["typescript", "tsx"];
    case "tsx":
      return ["tsx"];
    case "python":
    case "py":
      return ["python"];
    case "go":
    case "golang":
      return ["go"];
    case "java":
      return ["java"];
    default:
      return undefined;
  }
}

/** A snippet each grammar must parse without errors for the language to count as working. */
const PROBES: Record<"python" | "go" | "java", string> = {
  python: "import os\ndef f(x):\n    return os.system('ls ' + x)\n",
  go: 'package main\nimport "os/exec"\nfunc f(x string) { exec.Command("sh", "-c", x) }\n',
  java: "class A { void f(String x) throws Exception { Runtime.getRuntime().exec(x); } }\n",
};

interface Availability {
  available: Set<AstLanguage>;
  /** Why a dynamic language is missing, for the record (not an error: the rest still works). */
  problems: Map<AstLanguage, string>;
}

let availability: Availability | undefined;

/** Registers the dynamic grammars once and reports which languages work on this machine. */
export function languageSupport(): Availability {
  if (availability) return availability;
  const available = new Set<AstLanguage>(["javascript", "typescript", "tsx"]);
  const problems = new Map<AstLanguage, string>();
  const require = createRequire(import.meta.url);
  const registrations: Record<string, { libraryPath: string; extensions: string[]; languageSymbol?: string; expandoChar?: string }> = {};
  for (const lang of ["python", "go", "java"] as const) {
    try {
      const pkg = require(`@ast-grep/lang-${lang}`) as {
        libraryPath: string;
        extensions: string[];
        languageSymbol?: string;
        expandoChar?: string;
      };
      registrations[lang] = {
        libraryPath: pkg.libraryPath, // a getter: throws when no parser was built or shipped
        extensions: pkg.extensions,
        languageSymbol: pkg.languageSymbol,
        expandoChar: pkg.expandoChar,
      };
    } catch (err) {
      problems.set(lang, `@ast-grep/lang-${lang} unavailable: ${(err as Error)?.message ?? err}`);
    }
  }
  try {
    if (Object.keys(registrations).length > 0) registerDynamicLanguage(registrations);
  } catch (err) {
    // Already registered by someone else in this process is fine; the probes below decide.
    for (const lang of Object.keys(registrations))
      problems.set(lang as AstLanguage, `registration failed: ${(err as Error)?.message ?? err}`);
  }
  for (const lang of ["python", "go", "java"] as const) {
    if (!registrations[lang]) continue;
    try {
      const root = parse(NAPI_LANG[lang], PROBES[lang]).root();
      if (root.find({ rule: { kind: "ERROR" } })) throw new Error("the probe snippet does not parse");
      available.add(lang);
      problems.delete(lang);
    } catch (err) {
      problems.set(lang, `@ast-grep/lang-${lang} does not parse: ${(err as Error)?.message ?? err}`);
    }
  }
  availability = { available, problems };
  return availability;
}
