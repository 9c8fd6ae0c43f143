/** The hidden HTML comments the app puts in what it writes on GitHub: written and read in one place. */
import {
  conflictMarker,
  FINDING_MARKER,
  FINDING_MARKER_PREFIX,
  findingMarker,
  PREDICTION_MARKER,
  PREDICTION_MARKER_PREFIX,
  predictionFingerprint,
  predictionIssueMarker,
  replyMarker,
  reviewMarker,
  SUMMARY_MARKER,
  transformationMarker,
} from "../../../src/github/api/markers.js";

describe("markers", () => {
  it("writes each marker as a hidden comment", () => {
    expect(SUMMARY_MARKER).toBe("<!-- empathy-bot:summary -->");
    expect(reviewMarker("abc")).toBe("<!-- empathy-bot:review commit=abc -->");
    expect(replyMarker(12)).toBe("<!-- empathy-bot:reply comment=12 -->");
    expect(conflictMarker(1, 2, "db--users")).toBe("<!-- empathy-bot:conflict pr=1 other=2 resource=db-users -->");
    expect(transformationMarker("sql injection")).toBe("<!-- empathy-bot:transformation pattern=sql%20injection -->");
  });

  it("reads back the finding and prediction markers it writes", () => {
    const fp = "0123456789abcdef";
    expect(predictionIssueMarker(fp).startsWith(PREDICTION_MARKER_PREFIX)).toBe(true);
    expect(findingMarker(fp).startsWith(FINDING_MARKER_PREFIX)).toBe(true);
    expect(PREDICTION_MARKER.exec(`text\n${predictionIssueMarker(fp)}`)?.[1]).toBe(fp);
    expect(FINDING_MARKER.exec(`text\n${findingMarker(fp)}`)?.[1]).toBe(fp);
    expect(PREDICTION_MARKER.exec(predictionIssueMarker("not-hex"))).toBeNull();
    expect(FINDING_MARKER.exec(predictionIssueMarker(fp))).toBeNull();
  });

  it("predictionFingerprint takes any fingerprint without spaces, or null", () => {
    expect(predictionFingerprint(`${predictionIssueMarker("abc123")}\nbody`)).toBe("abc123");
    expect(predictionFingerprint("no marker")).toBeNull();
    expect(predictionFingerprint(null)).toBeNull();
  });
});
