/** An answer as Markdown (GitHub, the CLI, a phrasing layer's fallback): the fix first, then why. */
import { pct } from "../text/percent.js";
import type { Answer, AnsweredFinding, FixedCode } from "./answer.js";
import type { CodeExample } from "./knowledge.js";

/** A fence longer than any run of backticks in the code, so the code cannot end it. */
export function fence(code: string, language = ""): string {
  const longest = Math.max(0, ...[...code.matchAll(/`+/g)].map((m) => m[0].length));
  const ticks = "`".repeat(Math.max(3, longest + 1));
  return `${ticks}${language}\n${code}\n${ticks}`;
}

export function levelLine(answer: Pick<Answer, "level" | "levelName" | "confidence">): string {
  return `Empathy level ${answer.level} (${answer.levelName}) · confidence ${pct(answer.confidence)}`;
}

function fixedBlock(fixed: FixedCode): string[] {
  return [fence(fixed.code, fixed.language), ...(fixed.note ? [`_${fixed.note}_`] : [])];
}

function exampleBlock(example: CodeExample): string[] {
  const mark = commentMark(example.language);
  return ["_Example (not your code):_", fence(`${mark} before\n${example.before}\n\n${mark} after\n${example.after}`, example.language)];
}

/** The comment marker of the example's language, for the before/after labels. */
export function commentMark(language: string): string {
  return /^(python|yaml|yml|shell|sh|bash|terraform|dockerfile|text)$/.test(language) ? "#" : language === "sql" ? "--" : "//";
}

function findingLine(f: AnsweredFinding): string {
  return `- **${f.title}** (${f.severity}, ${pct(f.confidence)}) at line ${f.line}: \`${f.code.trim().replace(/`/g, "'").slice(0, 160)}\``;
}

export function answerMarkdown(answer: Answer): string {
  const lines: string[] = [`**${answer.title}**`, ""];
  if (answer.fixedCode) lines.push("**Fixed code:**", ...fixedBlock(answer.fixedCode), "");
  else if (answer.example) lines.push("**How the fix looks:**", ...exampleBlock(answer.example), "");
  if (answer.findings.length > 0) {
    lines.push("**What I found:**", ...answer.findings.map(findingLine));
    if (answer.moreFindings > 0) lines.push(`- … and ${answer.moreFindings} more`);
    lines.push("");
  }
  lines.push(answer.findings.length > 0 ? `**Why it matters:** ${answer.explanation}` : answer.explanation);
  if (answer.fix) lines.push("", `**How to fix it:** ${answer.fix}`);
  if (answer.predictions.length > 0) lines.push("", ...answer.predictions.map((p) => `- ${p}`));
  if (answer.topics) lines.push("", "**I can answer questions about:**", answer.topics.join(", ") + ".");
  if (answer.link) lines.push("", `Read more: [${answer.link.label}](${answer.link.url})`);
  for (const n of answer.notes) lines.push("", `_${n}_`);
  lines.push("", `_${levelLine(answer)}_`);
  return lines.join("\n");
}
