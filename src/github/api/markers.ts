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
