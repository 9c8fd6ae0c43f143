/**
 * `/empathy explain <finding>` in a pull request: the finding a review showed (its stored item),
 * the code at its line (from the file at the head commit, when it could be read), why it matters
 * (the knowledge base), and the fix: its suggested change as a ```suggestion block when the
 * caller found that it fits the pull request's diff, else the category's example. Pure.
 */
import { redactSecrets } from "../analysis/secrets.js";
import { CATEGORIES, type Category } from "../analysis/types.js";
import { pct } from "../text/percent.js";
import { categoryKnowledge } from "./answer.js";
import { commentMark, fence } from "./render.js";
import { languageOfPath } from "./snippets.js";

/** Lines shown on each side of the finding's line. */
const AROUND = 2;
const MAX_LINE_SHOWN = 300;

export interface ExplainInput {
  fingerprint: string;
  item: Record<string, unknown>;
  /** The file's lines at the pull request's head, when read. */
  fileLines?: readonly string[];
  /** The item's suggestion, when it fits the pull request's diff (the caller checked). */
  suggestion?: { startLine: number; endLine: number; replacement: string };
  /** Characters of the id shown. */
  idLength: number;
}

function isCategory(value: unknown): value is Category {
  return typeof value === "string" && (CATEGORIES as readonly string[]).includes(value);
}

export function explainFinding({ fingerprint, item, fileLines, suggestion, idLength }: ExplainInput): string {
  const str = (k: string) => (typeof item[k] === "string" ? (item[k] as string) : "");
  const id = fingerprint.slice(0, idLength);
  const path = str("path");
  const line = typeof item.line === "number" && Number.isInteger(item.line) ? item.line : undefined;
  const where = path ? `\`${path.replace(/`/g, "'")}:${line ?? "?"}\`` : "this pull request";
  const confidence = typeof item.confidence === "number" ? pct(item.confidence) : "?";
  const isPrediction = "prediction" in item;
  const category = isCategory(item.category) ? item.category : undefined;
  const kb = category ? categoryKnowledge(category) : undefined;
  const language = (path && languageOfPath(path)) || "";

  const lines = [
    `**Finding \`${id}\`** at ${where}: ${kb?.title ?? (isPrediction ? "prediction" : (category ?? "finding"))} (${str("severity") || "?"}, confidence ${confidence}${str("rule") ? `, rule \`${str("rule")}\`` : ""})`,
    "",
  ];
  if (fileLines && line !== undefined && line >= 1 && line <= fileLines.length) {
    if (category === "hardcoded-secret") {
      lines.push(`_The code at line ${line} is not shown: it holds the secret._`, "");
    } else {
      const from = Math.max(1, line - AROUND);
      const to = Math.min(fileLines.length, line + AROUND);
      const shown = fileLines
        .slice(from - 1, to)
        .map((l) => redactSecrets(l.length > MAX_LINE_SHOWN ? `${l.slice(0, MAX_LINE_SHOWN)}…` : l));
      lines.push(`The code (lines ${from}–${to}):`, fence(shown.join("\n"), language), "");
    }
  }
  const what = isPrediction ? str("prediction") : str("message");
  lines.push(`**What:** ${what || "–"}`, "");
  const why = isPrediction
    ? `A ${str("severity")} prediction (${str("kind")}, confidence ${confidence}). ${str("impact")}`.trim()
    : [kb?.exploit, kb ? `${kb.ifShips[0].toUpperCase()}${kb.ifShips.slice(1)}.` : undefined].filter(Boolean).join(" ") ||
      `A ${str("severity")} ${category ?? ""} finding from rule \`${str("rule")}\`.`;
  lines.push(`**Why it matters:** ${why}`, "");
  lines.push(`**How to fix:** ${str("recommendation") || kb?.fix || "–"}`);
  if (suggestion) {
    lines.push(
      "",
      `The suggested change (lines ${suggestion.startLine}–${suggestion.endLine}):`,
      fence(suggestion.replacement, "suggestion"),
    );
  } else if (kb && !isPrediction) {
    const mark = commentMark(kb.example.language);
    lines.push(
      "",
      "_Example (not your code):_",
      fence(`${mark} before\n${kb.example.before}\n\n${mark} after\n${kb.example.after}`, kb.example.language),
    );
  }
  if (kb) lines.push("", `Read more: [${kb.link.label}](${kb.link.url})`);
  lines.push("", `If this is a false positive, someone with write access can reply \`/empathy dismiss ${id}\`.`);
  return lines.join("\n");
}
