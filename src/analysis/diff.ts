/**
 * Unified-diff parsing: `git diff` output and GitHub's per-file `patch` field.
 * Input comes from outside (users, GitHub), so malformed text never throws: the parser keeps
 * whatever it could read and drops the rest.
 */
import type { DiffFile, DiffHunk, DiffLine, Finding } from "./types.js";

const HUNK_HEADER = /^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@/;

/** A hunk being filled; the counts left tell hunk body lines apart from the next file's headers. */
interface OpenHunk {
  hunk: DiffHunk;
  oldLeft: number;
  newLeft: number;
  nextOld: number;
  nextNew: number;
}

function openHunk(line: string): OpenHunk | null {
  const m = HUNK_HEADER.exec(line);
  if (!m) return null;
  // A count left out means 1 (`@@ -1 +1 @@`).
  const oldStart = Number(m[1]);
  const oldLines = m[2] === undefined ? 1 : Number(m[2]);
  const newStart = Number(m[3]);
  const newLines = m[4] === undefined ? 1 : Number(m[4]);
  return {
    hunk: { oldStart, oldLines, newStart, newLines, header: line, lines: [] },
    oldLeft: oldLines,
    newLeft: newLines,
    nextOld: oldStart,
    nextNew: newStart,
  };
}

/** Adds one body line to the hunk; false when the line cannot belong to it (the hunk is over). */
function addHunkLine(h: OpenHunk, line: string): boolean {
  const c = line[0];
  let dl: DiffLine;
  if (c === "+" && h.newLeft > 0) {
    dl = { kind: "add", content: line.slice(1), newLine: h.nextNew++ };
    h.newLeft--;
  } else if (c === "-" && h.oldLeft > 0) {
    dl = { kind: "del", content: line.slice(1), oldLine: h.nextOld++ };
    h.oldLeft--;
  } else if ((c === " " || line === "") && h.oldLeft > 0 && h.newLeft > 0) {
    // An empty line is a context line whose leading space an editor or mail client stripped.
    dl = { kind: "context", content: line.slice(1), oldLine: h.nextOld++, newLine: h.nextNew++ };
    h.oldLeft--;
    h.newLeft--;
  } else {
    return false;
  }
  h.hunk.lines.push(dl);
  return true;
}

function isDone(h: OpenHunk): boolean {
  return h.oldLeft <= 0 && h.newLeft <= 0;
}

function splitLines(text: string): string[] {
  const lines = text.split(/\r?\n/);
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  return lines;
}

function count(hunks: DiffHunk[]): { additions: number; deletions: number } {
  let additions = 0;
  let deletions = 0;
  for (const h of hunks)
    for (const l of h.lines) {
      if (l.kind === "add") additions++;
      else if (l.kind === "del") deletions++;
    }
  return { additions, deletions };
}

/** Reads the hunks of one file's patch text (the lines after its headers). */
function parseHunks(lines: string[]): DiffHunk[] {
  const hunks: DiffHunk[] = [];
  let open: OpenHunk | null = null;
  for (const line of lines) {
    if (line.startsWith("\\")) continue; // "\ No newline at end of file": a marker, not content
    if (open && !isDone(open) && addHunkLine(open, line)) continue;
    const next = openHunk(line);
    if (next) {
      open = next;
      hunks.push(next.hunk);
    } else {
      open = null;
    }
  }
  return hunks;
}

// ---------------------------------------------------------------------------------------------
// git diff

/** Undoes git's C-style quoting of unusual paths: "a/sp\303\244ce \"q\"". */
function unquote(s: string): string {
  if (!(s.length >= 2 && s.startsWith('"') && s.endsWith('"'))) return s;
  const bytes: number[] = [];
  const body = s.slice(1, -1);
  const simple: Record<string, number> = { n: 10, t: 9, r: 13, '"': 34, "\\": 92, a: 7, b: 8, f: 12, v: 11 };
  for (let i = 0; i < body.length; i++) {
    const ch = body[i];
    if (ch === "\\" && i + 1 < body.length) {
      const oct = /^[0-7]{3}/.exec(body.slice(i + 1, i + 4));
      if (oct) {
        bytes.push(parseInt(oct[0], 8));
        i += 3;
        continue;
      }
      const e = body[i + 1];
      bytes.push(simple[e] ?? e.charCodeAt(0));
      i++;
      continue;
    }
    for (const b of Buffer.from(ch, "utf8")) bytes.push(b);
  }
  return Buffer.from(bytes).toString("utf8");
}

/** `a/x` -> `x`; `/dev/null` -> null; drops the tab-separated timestamp plain `diff -u` adds. */
function headerPath(raw: string): string | null {
  let p = raw.trim();
  if (!p.startsWith('"')) {
    const tab = p.indexOf("\t");
    if (tab >= 0) p = p.slice(0, tab);
  } else {
    const close = p.lastIndexOf('"');
    p = unquote(p.slice(0, close + 1));
  }
  if (p === "/dev/null") return null;
  return stripPrefix(p);
}

function stripPrefix(p: string): string {
  return /^[ab]\//.test(p) ? p.slice(2) : p;
}

/** Paths from `diff --git a/x b/y`; ambiguous when paths contain " b/", so equal halves win. */
function gitHeaderPaths(rest: string): { oldPath: string; newPath: string } | null {
  if (rest.startsWith('"')) {
    const m = /^("(?:[^"\\]|\\.)*")\s+(.+)$/.exec(rest);
    if (!m) return null;
    return { oldPath: stripPrefix(unquote(m[1])), newPath: stripPrefix(unquote(m[2].trim())) };
  }
  const candidates: number[] = [];
  for (let i = rest.indexOf(" b/"); i >= 0; i = rest.indexOf(" b/", i + 1)) candidates.push(i);
  for (const i of candidates) {
    const a = rest.slice(0, i);
    const b = rest.slice(i + 1);
    if (stripPrefix(a) === stripPrefix(b)) return { oldPath: stripPrefix(a), newPath: stripPrefix(b) };
  }
  if (candidates.length > 0) {
    const i = candidates[0];
    return { oldPath: stripPrefix(rest.slice(0, i)), newPath: stripPrefix(unquote(rest.slice(i + 1))) };
  }
  // --no-prefix diffs: "diff --git x x"
  const half = (rest.length - 1) / 2;
  if (Number.isInteger(half) && rest[half] === " " && rest.slice(0, half) === rest.slice(half + 1))
    return { oldPath: rest.slice(0, half), newPath: rest.slice(half + 1) };
  return null;
}

/** What the headers of one file said, turned into a DiffFile when the file ends. */
interface FileDraft {
  oldPath: string | null | undefined; // null: /dev/null
  newPath: string | null | undefined;
  added: boolean;
  removed: boolean;
  renamed: boolean;
  copied: boolean;
  binary: boolean;
  sawMinus: boolean;
  hunks: DiffHunk[];
}

function newDraft(): FileDraft {
  return {
    oldPath: undefined,
    newPath: undefined,
    added: false,
    removed: false,
    renamed: false,
    copied: false,
    binary: false,
    sawMinus: false,
    hunks: [],
  };
}

function finish(d: FileDraft): DiffFile | null {
  const removed = d.removed || (d.newPath === null && d.oldPath !== null);
  const added = !removed && (d.added || (d.oldPath === null && d.newPath !== null));
  const path = removed ? (d.oldPath ?? d.newPath) : (d.newPath ?? d.oldPath);
  if (!path) return null;
  const moved = (d.renamed || d.copied) && !!d.oldPath && d.oldPath !== path;
  const status: DiffFile["status"] = removed ? "removed" : added || d.copied ? "added" : moved ? "renamed" : "modified";
  return {
    path,
    ...(moved ? { oldPath: d.oldPath as string } : {}),
    status,
    binary: d.binary,
    // Pure renames, mode changes and empty files have no patch and need none; binaries do.
    patchMissing: d.binary,
    ...count(d.hunks),
    hunks: d.hunks,
  };
}

/** Parses `git diff` (or plain `diff -u`) output into files. Never throws. */
export function parseUnifiedDiff(text: string): DiffFile[] {
  const files: DiffFile[] = [];
  let draft: FileDraft | null = null;
  let open: OpenHunk | null = null;
  let inBinaryPatch = false;

  const close = () => {
    if (draft) {
      const f = finish(draft);
      if (f) files.push(f);
    }
    draft = null;
    open = null;
    inBinaryPatch = false;
  };

  try {
    for (const line of splitLines(typeof text === "string" ? text : "")) {
      if (line.startsWith("\\")) continue; // "\ No newline at end of file"
      if (open && !isDone(open) && addHunkLine(open, line)) continue;
      open = null;

      if (line.startsWith("diff ")) {
        close();
        draft = newDraft();
        if (line.startsWith("diff --git ")) {
          const paths = gitHeaderPaths(line.slice("diff --git ".length));
          if (paths) {
            draft.oldPath = paths.oldPath;
            draft.newPath = paths.newPath;
          }
        }
        continue;
      }
      if (inBinaryPatch) continue; // base85 data until the next "diff --git"

      const hunk = openHunk(line);
      if (hunk) {
        if (!draft) continue; // a hunk with no file header: nothing to attach it to
        open = hunk;
        draft.hunks.push(hunk.hunk);
        continue;
      }
      if (line.startsWith("--- ")) {
        // Plain `diff -u` output has no "diff" line: a second "---" starts the next file.
        if (!draft || draft.sawMinus || draft.hunks.length > 0) {
          close();
          draft = newDraft();
        }
        draft.sawMinus = true;
        draft.oldPath = headerPath(line.slice(4));
        continue;
      }
      if (!draft && line.startsWith("Binary files ")) draft = newDraft(); // plain `diff -r` output
      if (!draft) continue;
      if (line.startsWith("+++ ")) draft.newPath = headerPath(line.slice(4));
      else if (line.startsWith("new file mode")) draft.added = true;
      else if (line.startsWith("deleted file mode")) draft.removed = true;
      else if (line.startsWith("rename from ")) {
        draft.renamed = true;
        draft.oldPath = unquote(line.slice("rename from ".length));
      } else if (line.startsWith("rename to ")) {
        draft.renamed = true;
        draft.newPath = unquote(line.slice("rename to ".length));
      } else if (line.startsWith("copy from ")) {
        draft.copied = true;
        draft.oldPath = unquote(line.slice("copy from ".length));
      } else if (line.startsWith("copy to ")) {
        draft.copied = true;
        draft.newPath = unquote(line.slice("copy to ".length));
      } else if (line.startsWith("Binary files ")) {
        draft.binary = true;
        const m = /^Binary files (.+) and (.+) differ$/.exec(line);
        if (m) {
          const a = headerPath(m[1]);
          const b = headerPath(m[2]);
          if (a === null) draft.added = true;
          if (b === null) draft.removed = true;
          if (draft.newPath === undefined) draft.newPath = b;
          if (draft.oldPath === undefined) draft.oldPath = a;
        }
      } else if (line.startsWith("GIT binary patch")) {
        draft.binary = true;
        inBinaryPatch = true;
      }
      // index, similarity index, old/new mode and anything unknown: nothing to keep
    }
    close();
  } catch {
    // Defensive: keep what was parsed so far.
    try {
      close();
    } catch {
      /* ignore */
    }
  }
  return files;
}

// ---------------------------------------------------------------------------------------------
// GitHub "list pull request files"

export interface PatchMeta {
  status?: DiffFile["status"];
  oldPath?: string;
  additions?: number;
  deletions?: number;
}

/** Builds a DiffFile from GitHub's per-file `patch` (hunks only, no headers). Never throws. */
export function parsePatch(path: string, patch: string | undefined, meta: PatchMeta = {}): DiffFile {
  let hunks: DiffHunk[] = [];
  try {
    hunks = typeof patch === "string" ? parseHunks(splitLines(patch)) : [];
  } catch {
    hunks = [];
  }
  const counted = count(hunks);
  const first = hunks[0];
  const inferred: DiffFile["status"] =
    first && hunks.length === 1 && first.oldStart === 0 && first.oldLines === 0
      ? "added"
      : first && hunks.length === 1 && first.newStart === 0 && first.newLines === 0
        ? "removed"
        : meta.oldPath && meta.oldPath !== path
          ? "renamed"
          : "modified";
  return {
    path,
    ...(meta.oldPath && meta.oldPath !== path ? { oldPath: meta.oldPath } : {}),
    status: meta.status ?? inferred,
    binary: false,
    patchMissing: patch === undefined || patch === null,
    additions: meta.additions ?? counted.additions,
    deletions: meta.deletions ?? counted.deletions,
    hunks,
  };
}

/** Lines GitHub accepts for a review comment with `line` + `side`: every line inside a hunk. */
export function commentableLines(file: DiffFile): { RIGHT: Set<number>; LEFT: Set<number> } {
  const RIGHT = new Set<number>();
  const LEFT = new Set<number>();
  for (const h of file.hunks)
    for (const l of h.lines) {
      if (l.newLine !== undefined && l.kind !== "del") RIGHT.add(l.newLine);
      if (l.oldLine !== undefined && l.kind !== "add") LEFT.add(l.oldLine);
    }
  return { RIGHT, LEFT };
}

/**
 * Whether GitHub can apply a suggestion on this file's diff: its lines include the comment's
 * and are all added or context lines of one hunk (the new side).
 */
export function suggestionFits(suggestion: NonNullable<Finding["suggestion"]>, line: number, file: DiffFile): boolean {
  const { startLine, endLine } = suggestion;
  if (!(Number.isInteger(startLine) && Number.isInteger(endLine) && startLine <= line && line <= endLine)) return false;
  return file.hunks.some((h) => {
    const right = new Set(h.lines.filter((l) => l.kind !== "del" && l.newLine !== undefined).map((l) => l.newLine));
    for (let n = startLine; n <= endLine; n++) if (!right.has(n)) return false;
    return true;
  });
}
