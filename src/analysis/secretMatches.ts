/**
 * What the secret scans return (see secrets.ts): the spans of secrets, with what they are and how
 * sure, and the index that tells in logarithmic time whether a new span overlaps one found earlier.
 */
import type { Severity } from "./types.js";

/** The redaction tag: a format's `kind` ("github-token", "aws-access-key-id"...), "private-key", "generic-secret". */
export type SecretKind = string;

export interface SecretMatch {
  start: number;
  end: number;
  kind: SecretKind;
}

/** One secret a scan found: where the value is, what it is, and how much the evidence is worth. */
export interface FoundSecret extends SecretMatch {
  /** Where the match came from: a format id ("github-pat"), "generic", "pem". */
  source: string;
  label: string;
  severity: Severity;
  confidence: number;
  /** The exact secret (for redaction of the same value elsewhere; never print it). */
  value: string;
  /** False: hidden by the redactor, not reported by the detector (public keys, documentation). */
  report: boolean;
  /** The whole match (the value may be a part of it: `AccountKey=<value>`, `DD_API_KEY=<value>`). */
  matchStart: number;
  matchEnd: number;
}

interface Span {
  start: number;
  end: number;
}

/**
 * Which spans a new one would overlap, in O(log n): spans sorted by start, with the largest end
 * seen so far. (A hostile text may hold many thousands of secrets: pairwise checks would be quadratic.)
 */
export class SpanIndex {
  private readonly starts: number[];
  private readonly maxEnds: number[];
  constructor(spans: readonly Span[]) {
    const sorted = [...spans].sort((a, b) => a.start - b.start);
    this.starts = sorted.map((x) => x.start);
    this.maxEnds = [];
    let max = -1;
    for (const x of sorted) this.maxEnds.push((max = Math.max(max, x.end)));
  }
  overlaps(span: Span): boolean {
    // The last span starting before `span` ends; any span up to it that ends after `span` starts overlaps.
    let lo = 0;
    let hi = this.starts.length - 1;
    let last = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (this.starts[mid] < span.end) [last, lo] = [mid, mid + 1];
      else hi = mid - 1;
    }
    return last >= 0 && this.maxEnds[last] > span.start;
  }
}
