/**
 * The provider-format scan (see secrets.ts and the table in secretFormats.ts): one anchor pass over
 * the text, then each format tried only where its anchor is; AWS access keys paired with their
 * secret keys; loose PEM private key blocks; and `findSecrets`, every secret the redactor hides.
 */
import { DEFAULT_RIGHT, TOKEN_FORMATS, type TokenFormat } from "./secretFormats.js";
import { scanGeneric, lineEndWithin, lineStartWithin } from "./secretGenericScan.js";
import { SpanIndex, type FoundSecret, type SecretMatch } from "./secretMatches.js";
import { isPlaceholderKey, isPlaceholderToken, isPlaceholderUrlPassword, looksSecret, shannonEntropy } from "./secretValues.js";
import type { Severity } from "./types.js";

interface Compiled {
  f: TokenFormat;
  sticky: RegExp;
  left: boolean;
  right: RegExp | false;
}

const WORD_CHAR = /[A-Za-z0-9_]/;

function compile(f: TokenFormat): Compiled {
  const flags = `dy${f.re.flags.includes("i") ? "i" : ""}`;
  const firstAnchorChar = f.anchors[0]?.[0] ?? "";
  return {
    f,
    sticky: new RegExp(f.re.source, flags),
    // Anchors that start with punctuation (`://`, `.atlasv1.`) need no word boundary before them.
    left: f.left !== false && (f.back !== undefined || WORD_CHAR.test(firstAnchorChar)),
    right: f.right === false ? false : (f.right ?? DEFAULT_RIGHT),
  };
}

const COMPILED = TOKEN_FORMATS.map(compile);
const EXACT = new Map<string, Compiled[]>();
const FOLDED = new Map<string, Compiled[]>();
for (const c of COMPILED)
  for (const a of c.f.anchors) {
    const map = c.f.ignoreCase ? FOLDED : EXACT;
    const key = c.f.ignoreCase ? a.toLowerCase() : a;
    map.set(key, [...(map.get(key) ?? []), c]);
  }

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** An alternation of anchors, longest first (an alternation takes the first that matches). */
const alternation = (anchors: Iterable<string>, flags: string) =>
  new RegExp(
    [...anchors]
      .sort((x, y) => y.length - x.length)
      .map(escapeRe)
      .join("|"),
    flags,
  );

/** Every case-sensitive anchor, and every provider name (two passes: one mixed pass defeats the engine's literal search). */
const EXACT_ANCHORS = alternation(EXACT.keys(), "g");
const FOLDED_ANCHORS = alternation(FOLDED.keys(), "gi");

/** The formats to try for an anchor hit: those of every anchor the hit starts with (`sk-ant-` also tries `sk-`). */
const closures = new Map<string, Compiled[]>();
function formatsFor(hit: string, ignoreCase: boolean): Compiled[] {
  const key = ignoreCase ? hit.toLowerCase() : hit;
  const known = closures.get(key);
  if (known) return known;
  const out: Compiled[] = [];
  for (const [a, cs] of ignoreCase ? FOLDED : EXACT) if (key.startsWith(a)) out.push(...cs);
  // Most specific first: the table's order.
  const list = [...new Set(out)].sort((x, y) => COMPILED.indexOf(x) - COMPILED.indexOf(y));
  closures.set(key, list);
  return list;
}

const LOCAL_HOST = /^(?:localhost|127\.0\.0\.1|0\.0\.0\.0|\[::1\]|host\.docker\.internal)$/i;

/** One format tried at one anchor hit. */
function tryFormat(c: Compiled, text: string, at: number): FoundSecret | undefined {
  const f = c.f;
  let start = at;
  if (f.back) while (start > 0 && at - start < f.back.max && f.back.chars.test(text[start - 1])) start--;
  if (c.left && start > 0 && WORD_CHAR.test(text[start - 1])) return undefined;
  c.sticky.lastIndex = start;
  const m = c.sticky.exec(text);
  if (!m) return undefined;
  const matchEnd = start + m[0].length;
  if (c.right && matchEnd < text.length && c.right.test(text[matchEnd])) return undefined;
  const span = m.indices?.groups?.secret ?? [start, matchEnd];
  const value = text.slice(span[0], span[1]);
  let severity: Severity = f.severity;
  let confidence = f.confidence ?? 0.9;
  let label = f.label;
  let report = true;
  if (f.kind === "url-credentials") {
    const host = m.groups?.host ?? "";
    if (isPlaceholderUrlPassword(value, m.groups?.user, host)) return undefined;
    // A password for a developer's own machine is weak evidence; a random one for a real host is strong.
    if (LOCAL_HOST.test(host)) [severity, confidence] = ["low", 0.5];
    else if (value.length >= 10 && looksSecret(value, true)) [severity, confidence] = ["high", 0.85];
  } else {
    if (!f.runsAllowed && isPlaceholderToken(value)) return undefined;
    if (shannonEntropy(value) < (f.minEntropy ?? (value.length >= 20 ? 3.0 : 2.5))) return undefined;
  }
  const near = () => text.slice(Math.max(0, start - 160), Math.min(text.length, matchEnd + 40));
  if (f.context && !f.context.test(near())) return undefined;
  if (f.refine) {
    const r = f.refine(value, m[0], near(), text.slice(Math.max(0, start - 160), start));
    if (r === false) return undefined;
    if (r) {
      severity = r.severity ?? severity;
      confidence = r.confidence ?? confidence;
      label = r.label ?? label;
      report = r.report ?? report;
    }
  }
  return {
    start: span[0],
    end: span[1],
    matchStart: start,
    matchEnd,
    kind: f.kind,
    source: f.id,
    label,
    severity,
    confidence,
    value,
    report,
  };
}

/** AWS keys come in pairs: a 40-character secret near an access key id is its secret key. */
const AWS_SECRET_SHAPE = /(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])/g;
const MAX_AWS_PAIRS = 20;

/** Three lines up and down from a span, at most 600 characters each way. */
function linesAround(text: string, start: number, end: number): [number, number] {
  let from = start;
  for (let n = 0; n < 4 && from > 0 && start - from < 600; n++) from = lineStartWithin(text, from - 1, 600 - (start - from));
  let to = end;
  for (let n = 0; n < 4 && to < text.length && to - end < 600; n++) to = lineEndWithin(text, to + 1, 600 - (to - end));
  return [from, to];
}

function pairAwsKeys(text: string, found: FoundSecret[]): void {
  const ids = found.filter((f) => f.source === "aws-access-key-id").slice(0, MAX_AWS_PAIRS);
  for (const id of ids) {
    const [from, to] = linesAround(text, id.start, id.end);
    const window = text.slice(from, to);
    const nearby = found.filter((f) => f.end > from && f.start < to);
    AWS_SECRET_SHAPE.lastIndex = 0;
    let m: RegExpExecArray | null;
    while ((m = AWS_SECRET_SHAPE.exec(window)) !== null) {
      const start = from + m.index;
      const end = start + 40;
      const value = m[0];
      if (nearby.some((f) => f.start < end && start < f.end)) continue;
      if (!/[a-z]/.test(value) || !/[A-Z]/.test(value) || !/\d/.test(value) || shannonEntropy(value) < 4.0 || isPlaceholderToken(value))
        continue;
      const pair: FoundSecret = {
        start,
        end,
        matchStart: start,
        matchEnd: end,
        kind: "aws-secret-access-key",
        source: "aws-secret-access-key-pair",
        label: "AWS secret access key",
        severity: "critical",
        confidence: 0.85,
        value,
        report: true,
      };
      found.push(pair);
      nearby.push(pair);
    }
  }
  // An access key id whose secret key is committed with it is the whole credential.
  const secrets = found.filter((f) => f.kind === "aws-secret-access-key");
  for (const id of ids) if (secrets.some((f) => Math.abs(f.start - id.start) < 1200)) id.severity = "critical";
}

/**
 * Every provider format in the text (see secretFormats.ts), in order of their anchors,
 * including those hidden but not reported (`report: false`).
 */
export function scanFormats(text: string): FoundSecret[] {
  if (typeof text !== "string" || text.length < 8) return [];
  const out: FoundSecret[] = [];
  let coveredUntil = 0;
  /** Where each anchor's last hit ended: a run of one anchor (`AAAAAAAAAAAA`) is tried once. */
  const lastHit = new Map<string, number>();
  // The two passes, merged in order of position. Anchors may overlap (`sk-ant-` holds `sk-`):
  // each pass moves one character on after a hit, not past it.
  const next = (re: RegExp, from: number) => {
    re.lastIndex = from;
    return re.exec(text);
  };
  let exact = next(EXACT_ANCHORS, 0);
  let folded = next(FOLDED_ANCHORS, 0);
  while (exact !== null || folded !== null) {
    const ignoreCase = exact === null || (folded !== null && folded.index < exact.index);
    const m = ignoreCase ? folded! : exact!;
    if (ignoreCase) folded = next(FOLDED_ANCHORS, m.index + 1);
    else exact = next(EXACT_ANCHORS, m.index + 1);
    const at = m.index;
    const hit = m[0];
    if (at < coveredUntil) continue;
    const previous = lastHit.get(hit);
    lastHit.set(hit, at + hit.length);
    if (previous !== undefined && at < previous) continue;
    let best: FoundSecret | undefined;
    for (const c of formatsFor(hit, ignoreCase)) {
      const found = tryFormat(c, text, at);
      if (found && (!best || found.matchEnd - found.matchStart > best.matchEnd - best.matchStart)) best = found;
    }
    if (best) {
      out.push(best);
      // A URL's password may itself be a provider token (`https://x-access-token:ghp_…@github.com`):
      // its anchor is still tried, and the token's own format replaces the URL's below.
      if (best.kind !== "url-credentials") coveredUntil = best.matchEnd;
    }
  }
  if (out.some((f) => f.source === "aws-access-key-id")) pairAwsKeys(text, out);
  const tokens = new SpanIndex(out.filter((f) => f.kind !== "url-credentials"));
  return out.filter((f) => f.kind !== "url-credentials" || !tokens.overlaps(f)).sort((a, b) => a.start - b.start);
}

/** PEM private key blocks, to their END line or, cut short, to the end of the text. */
const PEM_BLOCK = /-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]*?(?:-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----|$)/g;

function findPemBlocks(text: string): FoundSecret[] {
  if (!text.includes("PRIVATE KEY")) return [];
  const out: FoundSecret[] = [];
  PEM_BLOCK.lastIndex = 0;
  let m: RegExpExecArray | null;
  while ((m = PEM_BLOCK.exec(text)) !== null) {
    if (m[0].length === 0) {
      PEM_BLOCK.lastIndex++;
      continue;
    }
    if (isPlaceholderKey(m[0])) continue;
    const end = m.index + m[0].length;
    out.push({
      start: m.index,
      end,
      matchStart: m.index,
      matchEnd: end,
      kind: "private-key",
      source: "pem",
      label: "private key",
      severity: "critical",
      confidence: 0.95,
      value: m[0],
      report: true,
    });
  }
  return out;
}

/**
 * All secrets the redactor recognises in the text, in order, without overlaps (a vendor shape
 * wins over the generic check; overlapping spans are merged, so nothing is half hidden). Sync
 * and cheap: for free text and output, not for detection.
 */
export function findSecrets(text: string): SecretMatch[] {
  if (typeof text !== "string" || text.length === 0) return [];
  const ranked: (SecretMatch & { rank: number })[] = [
    ...findPemBlocks(text).map((f) => ({ start: f.start, end: f.end, kind: f.kind, rank: 0 })),
    ...scanFormats(text).map((f) => ({ start: f.start, end: f.end, kind: f.kind, rank: 1 })),
    ...scanGeneric(text).map((f) => ({ start: f.start, end: f.end, kind: f.kind, rank: 2 })),
  ];
  ranked.sort((a, b) => a.start - b.start || a.rank - b.rank || b.end - a.end);
  const out: SecretMatch[] = [];
  for (const f of ranked) {
    const last = out[out.length - 1];
    if (last && f.start < last.end) {
      last.end = Math.max(last.end, f.end);
      continue;
    }
    out.push({ start: f.start, end: f.end, kind: f.kind });
  }
  return out;
}
