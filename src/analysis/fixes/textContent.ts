/**
 * `el.innerHTML = x` → `el.textContent = x`, when what is assigned is plain text: strings and
 * templates with no markup in them, and values whose names do not say they hold markup
 * (`html`, `template`, `svg`…). Not for `+=` (that keeps the element's children) nor `outerHTML`.
 */
import type { FixInput } from "./index.js";
import { allMatches, parseJsConcat, skipToken } from "./scan.js";

const PROPERTY = /\.\s*innerHTML\b/g;
/** Names of values that probably hold markup, or text meant to be read as HTML. */
const MARKUP_NAME =
  /html|markup|template|tpl|svg|icon|markdown|\bmd\b|render|safe|saniti[sz]|purif|fragment|content|snippet|body|element|node/i;

export function fixInnerHtml({ text }: FixInput): string | undefined {
  const found = allMatches(text, PROPERTY);
  if (found.length !== 1) return undefined;
  const m = found[0];
  const at = m.index + m[0].length;
  const assign = /^\s*=(?![=>])/.exec(text.slice(at));
  if (!assign) return undefined;
  const from = at + assign[0].length;
  const end = statementEnd(text, from);
  if (end === undefined) return undefined;
  const parts = parseJsConcat(text, { start: from, end });
  if (!parts || !parts.every(isPlainText)) return undefined;
  const name = m.index + m[0].indexOf("innerHTML");
  return text.slice(0, name) + "textContent" + text.slice(name + "innerHTML".length);
}

/** The end of the assigned expression: a `;`, a closing bracket of the code around it, or the end of the text. */
function statementEnd(text: string, from: number): number | undefined {
  let depth = 0;
  for (let i = from; i < text.length; i++) {
    const skipped = skipToken(text, i, "js");
    if (skipped < 0) return undefined;
    if (skipped > i) {
      i = skipped - 1;
      continue;
    }
    const c = text[i];
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") {
      if (depth === 0) return trimEnd(text, from, i);
      depth--;
    } else if (depth === 0 && (c === ";" || c === ",")) return trimEnd(text, from, i);
    else if (depth === 0 && c === "\n") {
      // A line break ends the statement unless the expression goes on (not begun yet, or `+` at either side).
      const sofar = text.slice(from, i);
      const next = text.slice(i).match(/^\s*(\S)/)?.[1];
      if (sofar.trim() !== "" && !/\+\s*$/.test(sofar) && next !== "+") return trimEnd(text, from, i);
    }
  }
  return trimEnd(text, from, text.length);
}

function trimEnd(text: string, from: number, to: number): number {
  while (to > from && /\s/.test(text[to - 1])) to--;
  return to;
}

function isPlainText(part: NonNullable<ReturnType<typeof parseJsConcat>>[number]): boolean {
  // Markup or entities (`<b>`, `&amp;`), and escapes that could spell them, are HTML on purpose.
  const literal = (s: string) => !/[<>&\\]/.test(s);
  if (part.kind === "string") return literal(part.raw);
  if (part.kind === "template") return part.chunks.every(literal) && part.holes.every((h) => !MARKUP_NAME.test(h));
  return !MARKUP_NAME.test(part.text);
}
