/**
 * The verdict of an injection rule (see matchCheck.ts): the values its sink consumes, read from the
 * rule's metavariables, keyword arguments and options objects, and what the taint engine says
 * they hold (request input, local input, a value assembled at runtime), with the confidence.
 */
import type { SgNode } from "@ast-grep/napi";
import type { Evidence } from "../evidence.js";
import type { AstRule, TaintSpec } from "./ruleTypes.js";
import { fld, type TaintEngine } from "./taint/engine.js";
import { SOURCE, UNKNOWN, concat, type Val } from "./taint/value.js";

export interface Verdict {
  confidence: number;
  evidence: Evidence;
  note: string;
  /** 0-based unit lines of the tainted value (where to report when the call's line is not added). */
  lines: number[];
}

/** The values a sink consumes, from the rule's metavariables. */
function sinkNodes(
  spec: TaintSpec,
  match: SgNode,
  mv: (name: string) => string,
  engine: TaintEngine,
  testFile: (re: RegExp | string) => boolean,
): SgNode[] {
  const out: SgNode[] = [];
  for (const ref of spec.sinks) {
    if (!ref.index) {
      const n = match.getMatch(mv(ref.name));
      // (a Python keyword argument matched by `f($PATH, ...)` is not the positional sink: `keywords` names those)
      if (n) {
        if (n.kind() !== "keyword_argument") out.push(n);
      } else {
        const multi = match.getMultipleMatches(mv(ref.name)).filter((x) => x.isNamed() && !/comment/.test(x.kind() as string));
        out.push(...multi.filter((x) => x.kind() !== "keyword_argument"));
      }
      continue;
    }
    const list = match
      .getMultipleMatches(mv(ref.name))
      .filter((x) => x.isNamed() && !/comment/.test(x.kind() as string) && x.kind() !== "keyword_argument");
    const idx = ref.index;
    if ("at" in idx) {
      const i = idx.at < 0 ? list.length + idx.at : idx.at;
      if (list[i]) out.push(list[i]);
    } else out.push(...list.slice(idx.from, idx.to));
  }
  if (spec.keywords.length > 0 || spec.keywordsMarked) {
    // Python keyword arguments: requests.get(url=...), subprocess.run(args=...); with `keywordsMarked`,
    // those the file marks (`{{ bio|safe }}` for `bio=...`), also as keys of a dict argument.
    const marked = (name: string) => {
      if (!spec.keywordsMarked || !/^\w+$/.test(name)) return false;
      return testFile(spec.keywordsMarked.split("NAME").join(name));
    };
    const args = fld(match, "arguments");
    for (const a of args?.namedChildren() ?? []) {
      if (a.kind() === "keyword_argument") {
        const name = fld(a, "name")?.text();
        const value = fld(a, "value");
        if (!name || !value) continue;
        if (spec.keywords.includes(name)) out.push(value);
        // A dict passed for a marked name (`user={"name": name}` for `{{ user.name|safe }}`): its values.
        else if (marked(name))
          out.push(
            ...(value.kind() === "dictionary"
              ? value.namedChildren().flatMap((p) => (p.kind() === "pair" && fld(p, "value") ? [fld(p, "value")!] : []))
              : [value]),
          );
        continue;
      }
      if (!spec.keywordsMarked) continue;
      // template.render({"bio": bio}), template.render(Context({"bio": bio})), ejs.render(tpl, { bio }), a name bound to such an object
      const dict =
        a.kind() === "dictionary" || a.kind() === "object"
          ? a
          : a.kind() === "call"
            ? (fld(a, "arguments")?.namedChildren() ?? []).find((c) => c.kind() === "dictionary")
            : (engine.objectLiteralOf(a) ?? undefined);
      const valuesOf = (v: SgNode): SgNode[] =>
        v.kind() === "dictionary" || v.kind() === "object"
          ? v
              .namedChildren()
              .flatMap((p) =>
                p.kind() === "pair" && fld(p, "value") ? [fld(p, "value")!] : p.kind() === "shorthand_property_identifier" ? [p] : [],
              )
          : [v];
      for (const pair of dict?.namedChildren() ?? []) {
        if (pair.kind() === "shorthand_property_identifier") {
          if (marked(pair.text())) out.push(pair);
          continue;
        }
        if (pair.kind() !== "pair") continue;
        const key = fld(pair, "key");
        const value = fld(pair, "value");
        if (!key || !value || !/^(?:string|property_identifier)$/.test(key.kind() as string)) continue;
        if (marked(key.text().replace(/^[a-zA-Z]*["'`]|["'`]$/g, ""))) out.push(...valuesOf(value));
      }
    }
  }
  if (spec.objectKeys.length > 0) {
    // Options objects: http.get({ host: userHost, path }), axios(config) with config = { url }.
    for (const n of [...out]) {
      const obj = engine.objectLiteralOf(n);
      if (!obj) continue;
      for (const pair of obj.namedChildren()) {
        const kind = pair.kind() as string;
        if (kind === "shorthand_property_identifier" && spec.objectKeys.includes(pair.text())) out.push(pair);
        if (kind !== "pair") continue;
        const key = fld(pair, "key")
          ?.text()
          .replace(/^["'`]|["'`]$/g, "");
        const value = fld(pair, "value");
        if (key && value && spec.objectKeys.includes(key)) out.push(value);
      }
    }
  }
  return out;
}

/** A literal origin at the start of a URL or path: `/local/path`, `https://host/`, `https://host?`. */
function fixedOrigin(prefix: string | undefined): boolean {
  if (prefix === undefined) return false;
  prefix = prefix.replace(/^(?:redirect|forward):/, ""); // Spring view names
  return (
    /^(?:https?:)?\/\/[^/?#\s]+[/?#]/i.test(prefix) || /^\/(?![/\\])/.test(prefix) || /^\.\.?\//.test(prefix) || /^[\w.-]+\//.test(prefix)
  );
}

export function judge(
  rule: AstRule,
  spec: TaintSpec,
  match: SgNode,
  engine: TaintEngine,
  mv: (name: string) => string,
  testFile: (re: RegExp | string) => boolean,
): Verdict | undefined {
  const nodes = sinkNodes(spec, match, mv, engine, testFile);
  const opts = { category: rule.category, sanitizers: spec.sanitizers };
  const values: Array<[SgNode, Val]> = nodes.map((n) => [n, engine.valueOf(n, opts)]);
  if (spec.joinSinks && values.length > 1) values.splice(0, values.length, [nodes[0], concat(values.map(([, v]) => v))]);
  let best: Verdict | undefined;
  for (const [node, v] of values) {
    // An object literal is not text (res.send({...}) answers JSON); functions are not evaluated strings.
    if (v.shape === "object" || (spec.skipArrays && v.shape === "array")) continue;
    if (v.shape === "function" || v.container) {
      if (!(v.level === SOURCE && v.source)) continue;
    }
    let level = v.level;
    // A local source (argv) counts for remote-only rules when it is put under a fixed base (`join(BASE, argv[1])`).
    if (level === SOURCE && spec.sources === "remote" && !v.source?.remote && !(spec.localWhenBuilt && v.built && v.prefix))
      level = UNKNOWN;
    if (level < UNKNOWN) continue;
    if (spec.fixedPrefixSafe && fixedOrigin(v.prefix)) continue;
    if (spec.safePrefix && v.prefix !== undefined && spec.safePrefix.test(v.prefix)) continue;
    if (
      spec.literal &&
      (spec.literalFor === "always" || level === UNKNOWN) &&
      !spec.literal.test(v.text) &&
      !(spec.literalUnlessFile && testFile(spec.literalUnlessFile))
    )
      continue;
    let verdict: Verdict | undefined;
    if (level === SOURCE && v.source) {
      verdict = {
        confidence: v.source.remote ? rule.confidence : spec.localConfidence,
        evidence: v.source.remote ? "request-input" : "local-input",
        note: `Data from \`${v.source.label}\` (${v.source.remote ? "request input" : "local input"}) reaches it.`,
        lines: [],
      };
    } else if (spec.unknownUnlessFile && testFile(spec.unknownUnlessFile)) {
      continue;
    } else if (spec.policy === "any" || (spec.policy === "built" && v.built)) {
      verdict = {
        confidence: spec.unknownConfidence,
        evidence: v.built ? "assembled" : "non-constant",
        note: v.built ? "The value is assembled at runtime from values whose origin is not checked here." : "The value is not a constant.",
        lines: [],
      };
    }
    if (!verdict) continue;
    verdict.lines.push(node.range().start.line);
    if (!best || verdict.confidence > best.confidence) best = verdict;
  }
  return best;
}
