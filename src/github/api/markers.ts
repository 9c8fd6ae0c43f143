/** Hidden HTML comments that let the app find what it wrote before, instead of writing it twice. */
export const SUMMARY_MARKER = "<!-- empathy-bot:summary -->";

export function reviewMarker(commitSha: string): string {
  return `<!-- empathy-bot:review commit=${commitSha} -->`;
}

export function findingMarker(fingerprint: string): string {
  return `<!-- empathy-bot:finding fingerprint=${fingerprint} -->`;
}

export function predictionIssueMarker(fingerprint: string): string {
  return `<!-- empathy-bot:prediction fingerprint=${fingerprint} -->`;
}

/** How a prediction issue's marker starts: a quick test of a body before it is parsed. */
export const PREDICTION_MARKER_PREFIX = "<!-- empathy-bot:prediction ";

/** How an inline finding comment's marker starts. */
export const FINDING_MARKER_PREFIX = "<!-- empathy-bot:finding ";

/** A prediction issue's marker as the app writes it; group 1 is the fingerprint. */
export const PREDICTION_MARKER = /<!-- empathy-bot:prediction fingerprint=([0-9a-f]{8,64}) -->/;

/** An inline finding comment's marker as the app writes it; group 1 is the fingerprint. */
export const FINDING_MARKER = /<!-- empathy-bot:finding fingerprint=([0-9a-f]{8,64}) -->/;

/** The fingerprint a prediction issue's marker names (any text without spaces), or null. */
export function predictionFingerprint(body: string | null | undefined): string | null {
  const m = /<!-- empathy-bot:prediction fingerprint=([^\s]+) -->/.exec(body ?? "");
  return m ? m[1] : null;
}

/** The app's answer to a `/empathy` command comment. */
export function replyMarker(commentId: number): string {
  return `<!-- empathy-bot:reply comment=${commentId} -->`;
}

/** A coordination comment about a resource two pull requests share. */
export function conflictMarker(prNumber: number, otherNumber: number, resourceKey: string): string {
  return `<!-- empathy-bot:conflict pr=${prNumber} other=${otherNumber} resource=${resourceKey.replace(/--/g, "-")} -->`;
}

/** A rule-of-three transformation issue. */
export function transformationMarker(patternKey: string): string {
  return `<!-- empathy-bot:transformation pattern=${encodeURIComponent(patternKey)} -->`;
}
