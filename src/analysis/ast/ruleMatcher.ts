/**
 * The combined matcher of a language's rules (see ruleSet.ts): every rule, its utils and
 * metavariables prefixed so none collide, in one ast-grep config run in one traversal, with a
 * marker metavariable that says which rules matched a node; cached per subset of rules.
 */
import type { NapiConfig } from "@ast-grep/napi";
import type { AstLanguage } from "./languages.js";
import type { AstRule, CompiledLanguage } from "./ruleTypes.js";

/** The rules of `compiled` whose triggers occur in `text`, and the combined matcher for them. */
export function matcherFor(compiled: CompiledLanguage, text: string): { indices: number[]; config: NapiConfig } {
  const indices: number[] = [];
  compiled.rules.forEach((r, i) => {
    if (!r.triggers || r.triggers.test(text)) indices.push(i);
  });
  const key = indices.join(",");
  let config = compiled.subsets.get(key);
  if (!config) {
    config = combine(compiled.language, compiled.rules, indices);
    compiled.subsets.set(key, config);
  }
  return { indices, config };
}

/** The metavariable prefix of rule `i` in its language's combined matcher. */
export function metavarPrefix(i: number): string {
  return `R${i}_`;
}

const METAVAR = /\$(\$\$)?([A-Z][A-Z0-9_]*)/g;

/**
 * Makes rule `i` safe to combine with the others: its utils get a prefix (and `matches:` follows),
 * and so do the metavariables in its patterns, so no two rules bind the same name.
 */
function namespaced(value: unknown, i: number, utilNames: ReadonlySet<string>, key = ""): unknown {
  if (typeof value === "string") {
    return key === "pattern" || key === "context"
      ? value.replace(METAVAR, (_m, dollars: string | undefined, name: string) => `$${dollars ?? ""}${metavarPrefix(i)}${name}`)
      : value;
  }
  if (Array.isArray(value)) return value.map((v) => namespaced(v, i, utilNames, key));
  if (value && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = k === "matches" && typeof v === "string" && utilNames.has(v) ? `r${i}__${v}` : namespaced(v, i, utilNames, k);
    }
    return out;
  }
  return value;
}

/** The name rule `i` binds on every node it matches in the combined matcher. */
export function hitMarker(i: number): string {
  return `${metavarPrefix(i)}_HIT`;
}

/**
 * One matcher for all rules of a language, run in one traversal: a node matches when any rule
 * (or an ERROR node) matches, and then carries, for every rule that matches it, that rule's
 * marker metavariable and its own (prefixed) metavariables. napi compiles a config on every call,
 * so asking each candidate "does rule i match" would cost a compilation per question.
 */
function combine(language: AstLanguage, rules: AstRule[], indices: readonly number[]): NapiConfig {
  const any: unknown[] = [];
  const markers: unknown[] = [];
  const utils: Record<string, unknown> = {};
  for (const i of indices) {
    const r = rules[i];
    const config = r.configs[language] ?? r.config;
    const names = new Set(Object.keys(config.utils ?? {}));
    // The rule is a util referenced twice (to find candidates, and in its marker): napi compiles a
    // config on every search, and a util is compiled once where an inline copy is compiled twice.
    const name = `r${i}___rule`;
    utils[name] = namespaced(config.rule, i, names);
    any.push({ matches: name });
    markers.push({ any: [{ all: [{ matches: name }, { pattern: `$${hitMarker(i)}` }] }, { pattern: "$_ANY" }] });
    for (const [k, v] of Object.entries(config.utils ?? {})) utils[`r${i}__${k}`] = namespaced(v, i, names);
  }
  any.push({ kind: "ERROR" });
  return { rule: { all: [{ any }, ...markers] }, ...(Object.keys(utils).length ? { utils } : {}) } as NapiConfig;
}

export function compileLanguage(language: AstLanguage, rules: AstRule[]): CompiledLanguage {
  const all = rules.map((_, i) => i);
  const prefilter = combine(language, rules, all);
  return { language, rules, prefilter, subsets: new Map([[all.join(","), prefilter]]) };
}
