/**
 * The reply to `/empathy <question>`: the answer (src/answers) as Block Kit, at most a screenful.
 * The fix comes first, code in code blocks (cut to CODE_LINES lines), then what was found and why,
 * the predictions and the link; the level and confidence go in the context line, with the limits
 * met and the assumptions made beside them. Pure.
 */
import { answerQuestion, type Answer, type AnswerDeps } from "../../answers/answer.js";
import { phrased, type PhraseAnswer } from "../../answers/phrasing.js";
import { escapeMrkdwn, type SlackBlock } from "../../integrations/slack.js";
import { pct } from "../../text/percent.js";
import { contextBlock, fitLines, section } from "./blocks.js";

/** Lines of code shown per block: a screenful holds the fix and the reason. */
export const CODE_LINES = 15;
/** Characters of prose around the code (all sections together stay near one screen). */
const PROSE_MAX = 1_200;
const CODE_LINE_MAX = 200;
const PROSE_LINE_MAX = 700;
const MAX_NOTES = 3;
const NOTE_MAX = 300;

/** Code in a Slack code block: escaped, cut to whole lines, and no run of three backticks to end the block early. */
export function codeBlock(code: string, maxLines = CODE_LINES): string {
  const all = code.split("\n");
  const lines = all.slice(0, maxLines).map((l) => (l.length > CODE_LINE_MAX ? `${l.slice(0, CODE_LINE_MAX)}…` : l));
  if (all.length > maxLines) lines.push(`… (${all.length - maxLines} more lines)`);
  return "```\n" + escapeMrkdwn(lines.join("\n")).replace(/```/g, "`\u200b``") + "\n```";
}

export function answerReply(answer: Answer): { text: string; blocks: SlackBlock[] } {
  const blocks: SlackBlock[] = [section(`*${escapeMrkdwn(answer.title)}*`)];
  if (answer.fixedCode) {
    const note = answer.fixedCode.note ? `\n_${escapeMrkdwn(answer.fixedCode.note)}_` : "";
    blocks.push(section(`*Fixed code*\n${codeBlock(answer.fixedCode.code)}${note}`));
  } else if (answer.example) {
    const e = answer.example;
    blocks.push(
      section(`*How the fix looks* (an example, not your code)\nBefore:\n${codeBlock(e.before, 6)}\nAfter:\n${codeBlock(e.after, 8)}`),
    );
  }
  const prose: string[] = [];
  if (answer.findings.length > 0) {
    prose.push("*What I found*");
    for (const f of answer.findings) {
      const at = f.code.trim() ? ` \`${escapeMrkdwn(f.code.trim().replace(/`/g, "'").slice(0, 120))}\`` : "";
      prose.push(`• *${escapeMrkdwn(f.title)}* (${f.severity}, ${pct(f.confidence)}) at line ${f.line}${at}`);
    }
    if (answer.moreFindings > 0) prose.push(`• … and ${answer.moreFindings} more`);
    prose.push(`*Why it matters:* ${escapeMrkdwn(answer.explanation)}`);
  } else {
    prose.push(escapeMrkdwn(answer.explanation));
  }
  if (answer.fix) prose.push(`*How to fix it:* ${escapeMrkdwn(answer.fix)}`);
  for (const p of answer.predictions) prose.push(`• ${escapeMrkdwn(p)}`);
  if (answer.topics) prose.push(`*I can answer questions about:* ${escapeMrkdwn(answer.topics.join(", "))}.`);
  if (answer.link) prose.push(`<${answer.link.url}|${escapeMrkdwn(answer.link.label)}>`);

  // Whole lines only (a cut inside a line could split an escape); a very long one is shortened first.
  blocks.push(
    section(
      fitLines(
        prose.map((l) => (l.length > PROSE_LINE_MAX ? `${l.slice(0, PROSE_LINE_MAX)}…` : l)),
        PROSE_MAX,
      ),
    ),
  );
  // The limits met and assumptions made go beside the level, where a cut of the prose cannot drop them.
  const context = contextBlock(answer.level, answer.confidence) as { type: string; elements: { type: string; text: string }[] };
  for (const n of answer.notes.slice(0, MAX_NOTES))
    context.elements.push({ type: "mrkdwn", text: escapeMrkdwn(n.length > NOTE_MAX ? `${n.slice(0, NOTE_MAX)}…` : n) });
  blocks.push(context);
  const text = `${answer.title}: level ${answer.level}, confidence ${pct(answer.confidence)}`;
  return { text, blocks };
}

/** Answers a question asked in Slack (the analysis and the engine come from the command's deps). */
export async function questionReply(
  question: string,
  deps: AnswerDeps,
  phrase?: PhraseAnswer,
): Promise<{ text: string; blocks: SlackBlock[]; answer: Answer }> {
  const answer = await phrased(question, await answerQuestion(question, deps), phrase);
  return { ...answerReply(answer), answer };
}
