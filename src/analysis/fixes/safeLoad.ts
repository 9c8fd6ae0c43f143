/**
 * `yaml.load(x)` (and `Loader=yaml.Loader`, `FullLoader`, `UnsafeLoader`), `yaml.unsafe_load(x)`,
 * `yaml.full_load(x)` → `yaml.safe_load(x)`; the `_all` forms → `yaml.safe_load_all(x)`.
 */
import type { FixInput } from "./index.js";
import { allMatches, callArgs } from "./scan.js";

const CALL = /(?<![\w.])yaml\.(load|load_all|unsafe_load|unsafe_load_all|full_load|full_load_all)\s*\(/g;
/** Loaders that construct arbitrary objects: replacing them with the safe one is the fix. */
const UNSAFE_LOADER = /^(?:yaml\.)?C?(?:Loader|FullLoader|UnsafeLoader)$/;
/** `import yaml` (also in a list), not `import yaml as y`: then `yaml.` is PyYAML. */
const IMPORTED = /^[ \t]*import[ \t]+(?:[\w.]+(?:[ \t]+as[ \t]+\w+)?[ \t]*,[ \t]*)*yaml[ \t]*(?:,|#|$)/m;
const KEYWORD = /^([A-Za-z_]\w*)\s*=(?!=)/;

export function fixYamlLoad({ text, fileText }: FixInput): string | undefined {
  const calls = allMatches(text, CALL);
  if (calls.length !== 1 || !IMPORTED.test(fileText())) return undefined;
  const m = calls[0];
  const name = m[1];
  const open = m.index + m[0].length - 1;
  const call = callArgs(text, open, "python");
  if (!call || call.args.length === 0) return undefined;
  const { args, close, trailingComma } = call;
  const argText = args.map((a) => text.slice(a.start, a.end));
  const first = KEYWORD.exec(argText[0])?.[1];
  if (first !== undefined && first !== "stream") return undefined;
  if (args.length > 2 || (args.length === 2 && !/^(load|load_all)$/.test(name))) return undefined;
  if (args.length === 2) {
    const kw = KEYWORD.exec(argText[1]);
    if (kw && kw[1] !== "Loader") return undefined;
    const loader = kw ? argText[1].slice(kw[0].length).trim() : argText[1];
    if (!UNSAFE_LOADER.test(loader)) return undefined;
  }
  const nameAt = m.index + "yaml.".length;
  const safe = name.endsWith("_all") ? "safe_load_all" : "safe_load";
  const head = text.slice(0, nameAt) + safe + text.slice(nameAt + name.length, args[0].end);
  if (args.length === 1) return head + text.slice(args[0].end);
  // The loader argument goes; a comment beside it would go with it: not a mechanical change then.
  const dropped = text.slice(args[0].end, close);
  if (dropped.includes("#")) return undefined;
  const beforeClose = /\s*$/.exec(dropped)![0];
  return head + (trailingComma ? "," : "") + beforeClose + text.slice(close);
}
