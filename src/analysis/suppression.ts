/**
 * `empathy-ignore` comments: a developer's way to say "known, accepted" for one line.
 * `empathy-ignore` silences every rule; `empathy-ignore: js/xss, sql-injection` silences the
 * listed rule ids or categories. It applies to its own line and the line below it.
 */
type RuleRef = { id: string; category: string };

const DIRECTIVE = /empathy-ignore(?:\s*:\s*([\w/.@-]+(?:\s*,\s*[\w/.@-]+)*))?/;

export function silences(text: string | undefined, rule: RuleRef): boolean {
  if (text === undefined || !text.includes("empathy-ignore")) return false;
  const m = DIRECTIVE.exec(text);
  if (!m) return false;
  if (m[1] === undefined) return true;
  return m[1].split(",").some((s) => {
    const t = s.trim();
    return t === rule.id || t === rule.category;
  });
}

export function isSuppressed(rule: RuleRef, ctx: { line: string; lines: readonly string[]; index: number }): boolean {
  return silences(ctx.line, rule) || (ctx.index > 0 && silences(ctx.lines[ctx.index - 1], rule));
}
