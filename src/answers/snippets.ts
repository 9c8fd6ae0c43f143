/**
 * Code in a question: fenced blocks (with an optional language tag; a fence without its end
 * runs to the end of the question), inline `code` that looks like code, or a snippet pasted after
 * a colon. Each snippet gets a language (the fence's tag, a file name in the question, else a
 * guess from its shape) and becomes a one-file diff with every line added, so the review's own
 * analysis reads it. Bounded: the question is cut to MAX_QUESTION_CHARS, at most MAX_SNIPPETS are
 * kept, each at most MAX_SNIPPET_LINES lines of MAX_SNIPPET_CHARS; the scans are linear.
 */
import type { DiffFile } from "../analysis/types.js";

/** Longest question read (a Slack command's text is shorter; the rest is ignored). */
export const MAX_QUESTION_CHARS = 8_000;
/** Most snippets analysed per question (further ones are counted, not analysed). */
export const MAX_SNIPPETS = 3;
export const MAX_SNIPPET_LINES = 200;
export const MAX_SNIPPET_CHARS = 4_000;
/** Fences looked at; a question with more is hostile or a paste of a whole document. */
export const MAX_FENCES_SCANNED = 50;

export type SnippetLanguage =
  "javascript" | "typescript" | "python" | "yaml" | "json" | "shell" | "dockerfile" | "terraform" | "sql" | "text";

export interface Snippet {
  code: string;
  language: SnippetLanguage;
  /** The file the snippet is analysed as (the question's own file name when it gives one). */
  path: string;
  /** Where it came from. */
  source: "fence" | "inline" | "colon";
}

export interface ExtractedCode {
  snippets: Snippet[];
  /** How many code pieces were found in all (more than snippets.length when some were left out). */
  found: number;
  /** True when the scan stopped at MAX_FENCES_SCANNED: `found` is a lower bound. */
  scanStopped: boolean;
  /** The question without its code (what the words ask). */
  prose: string;
  /** True when the question was longer than MAX_QUESTION_CHARS and was cut. */
  truncated: boolean;
}

const TAGS: Record<string, SnippetLanguage> = {
  js: "javascript",
  javascript: "javascript",
  jsx: "javascript",
  mjs: "javascript",
  cjs: "javascript",
  node: "javascript",
  ts: "typescript",
  typescript: "typescript",
  tsx: "typescript",
  py: "python",
  python: "python",
  python3: "python",
  yaml: "yaml",
  yml: "yaml",
  json: "json",
  sh: "shell",
  bash: "shell",
  shell: "shell",
  dockerfile: "dockerfile",
  docker: "dockerfile",
  tf: "terraform",
  hcl: "terraform",
  terraform: "terraform",
  sql: "sql",
};

const EXTENSIONS: Record<SnippetLanguage, string> = {
  javascript: "js",
  typescript: "ts",
  python: "py",
  yaml: "yml",
  json: "json",
  shell: "sh",
  dockerfile: "Dockerfile",
  terraform: "tf",
  sql: "sql",
  text: "txt",
};

/** A file name in the question ("in app.py", "`src/db.js`"): its extension names the language. */
const FILE_NAME =
  /(?<![\w./-])((?:[\w-]+\/){0,6}[\w.-]{1,60}\.(js|mjs|cjs|jsx|ts|tsx|py|ya?ml|json|sh|tf))(?![\w/-])|(?<![\w./-])(Dockerfile)(?![\w./-])/i;

/** Slack escapes these three in a command's text; typing tools turn quotes curly. */
export function normaliseQuestion(text: string): string {
  return text
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&")
    .replace(/[\u2018\u2019]/g, "'")
    .replace(/[\u201C\u201D]/g, '"');
}

export function extractCode(question: string): ExtractedCode {
  const truncated = question.length > MAX_QUESTION_CHARS;
  const text = truncated ? question.slice(0, MAX_QUESTION_CHARS) : question;
  const pieces: { code: string; tag?: string; source: Snippet["source"] }[] = [];
  let found = 0;
  let prose = "";

  // Fenced blocks: walked by indexOf, so 10,000 fences cost one pass; an unclosed one runs to the end.
  let pos = 0;
  let fences = 0;
  for (;;) {
    const open = text.indexOf("```", pos);
    if (open < 0 || fences >= MAX_FENCES_SCANNED) {
      prose += text.slice(pos);
      break;
    }
    prose += text.slice(pos, open) + " ";
    fences++;
    const close = text.indexOf("```", open + 3);
    const body = text.slice(open + 3, close < 0 ? text.length : close);
    const tagMatch = /^([\w+#.-]{1,20})[ \t]*(?:\r?\n|$)/.exec(body);
    const tag = tagMatch && TAGS[tagMatch[1].toLowerCase()] ? tagMatch[1].toLowerCase() : undefined;
    const code = (tag ? body.slice(tagMatch![0].length) : body.replace(/^[ \t]*\r?\n/, "")).replace(/\s+$/, "");
    if (code.trim() !== "") {
      found++;
      pieces.push({ code, tag, source: "fence" });
    }
    if (close < 0) {
      pos = text.length;
      prose += "";
      break;
    }
    pos = close + 3;
  }

  if (pieces.length === 0) {
    // Inline code spans that look like code (a bare `pg` or `yaml.load` is a name, not a snippet).
    const rest: string[] = [];
    let last = 0;
    for (const m of prose.matchAll(/`([^`\n]{1,2000})`/g)) {
      if (looksLikeCode(m[1])) {
        found++;
        pieces.push({ code: m[1].trim(), source: "inline" });
        rest.push(prose.slice(last, m.index), " ");
        last = m.index + m[0].length;
      }
    }
    if (pieces.length > 0) prose = rest.join("") + prose.slice(last);
  }

  if (pieces.length === 0) {
    // A snippet pasted after a colon: "How do I fix this: db.query('…' + id)?"
    const colon = /:\s+/g;
    for (const m of prose.matchAll(colon)) {
      const after = prose.slice(m.index + m[0].length);
      const code = after.replace(/\s*\?+\s*$/, "").trim();
      if (looksLikeCode(code)) {
        found++;
        pieces.push({ code, source: "colon" });
        prose = prose.slice(0, m.index);
        break;
      }
    }
  }

  const named = FILE_NAME.exec(prose);
  const namedRaw = named ? (named[1] ?? named[3]) : undefined;
  // "Node.js" names a runtime, not a file.
  const namedPath = namedRaw && !/^node\.js$/i.test(namedRaw) ? namedRaw : undefined;
  const used = new Set<string>();
  const snippets = pieces.slice(0, MAX_SNIPPETS).map((p, i): Snippet => {
    const code = boundSnippet(p.code);
    const fromName = namedPath ? languageOfPath(namedPath) : undefined;
    const language = (p.tag ? TAGS[p.tag] : undefined) ?? fromName ?? guessLanguage(code);
    let path = namedPath && fromName === language && !used.has(namedPath) ? namedPath : `snippet-${i + 1}.${EXTENSIONS[language]}`;
    if (language === "dockerfile" && !namedPath) path = `snippet-${i + 1}/Dockerfile`;
    used.add(path);
    return { code, language, path, source: p.source };
  });
  return { snippets, found, scanStopped: fences >= MAX_FENCES_SCANNED, prose: prose.replace(/\s+/g, " ").trim(), truncated };
}

function boundSnippet(code: string): string {
  const lines = code.slice(0, MAX_SNIPPET_CHARS).split(/\r?\n/);
  return lines.slice(0, MAX_SNIPPET_LINES).join("\n");
}

export function languageOfPath(path: string): SnippetLanguage | undefined {
  if (/(^|\/)Dockerfile$/i.test(path)) return "dockerfile";
  const ext = /\.(\w+)$/.exec(path)?.[1]?.toLowerCase();
  return ext ? TAGS[ext] : undefined;
}

/** Code has calls, assignments, operators or keywords; prose has words and spaces. */
export function looksLikeCode(text: string): boolean {
  const t = text.trim();
  if (t.length < 4) return false;
  return /[\w\]$)]\s*\(|\w\s*=\s*\S|=>|;\s*$|\{|^\s*(import|from|def|const|let|var|function|class|SELECT|INSERT|UPDATE|DELETE)\b|\w\.\w+\(/i.test(
    t,
  );
}

/** A guess from the snippet's shape; JavaScript when nothing tells. */
export function guessLanguage(code: string): SnippetLanguage {
  let py = 0;
  let js = 0;
  if (/^\s*(def |class \w+.*:\s*$|from [\w.]+ import |import [\w.]+(\s+as\s+\w+)?\s*$|elif |with .+:\s*$|@\w+)/m.test(code)) py += 3;
  if (/\b(None|True|False|self\.|print\(|cursor\.execute|yaml\.(safe_)?load|subprocess\.|os\.system|pickle\.|requests\.)/.test(code))
    py += 2;
  if (/\bf["']|["']\s*%\s*[\w(]/.test(code)) py += 2;
  if (/:\s*$/m.test(code) && !/[{;]\s*$/m.test(code)) py += 1;
  if (/\b(const|let|var|function)\b|=>|require\(|\bexport\b|===|!==|\bdocument\.|\bwindow\.|\.innerHTML\b|console\.\w+\(/.test(code))
    js += 3;
  if (/;\s*$/m.test(code)) js += 1;
  if (/\b(interface|type)\s+\w+\s*[={]|:\s*(string|number|boolean)\b/.test(code)) return "typescript";
  if (py > js) return "python";
  if (js > 0) return "javascript";
  if (/^\s*FROM\s+\S+/m.test(code) && /^\s*(RUN|COPY|CMD|ENTRYPOINT)\b/m.test(code)) return "dockerfile";
  if (/^\s*(resource|provider|variable)\s+"/m.test(code)) return "terraform";
  if (/^\s*(SELECT|INSERT|UPDATE|DELETE|ALTER|CREATE)\b/i.test(code)) return "sql";
  if (/^\s*[\w-]+:\s*\S/m.test(code) && !/[();]/.test(code)) return "yaml";
  return "javascript";
}

/** The snippet as a new file in a diff: every line added. */
export function snippetDiff(snippet: Snippet): DiffFile {
  const lines = snippet.code.split("\n");
  return {
    path: snippet.path,
    status: "added",
    binary: false,
    patchMissing: false,
    additions: lines.length,
    deletions: 0,
    hunks: [
      {
        oldStart: 0,
        oldLines: 0,
        newStart: 1,
        newLines: lines.length,
        header: `@@ -0,0 +1,${lines.length} @@`,
        lines: lines.map((content, i) => ({ kind: "add" as const, content, newLine: i + 1 })),
      },
    ],
  };
}
