/** Slack's request signing, against the example in Slack's documentation. */
import { isValidSlackRequest } from "@slack/bolt";
import { signSlackRequest, verifySlackSignature } from "../../src/server/slack/signature.js";
import { slackSignature } from "./slackHarness.js";

// https://api.slack.com/authentication/verifying-requests-from-slack (the worked example)
const DOC_SECRET = "8f742231b10e8888abcd99yyyzzz85a5";
const DOC_TIMESTAMP = "1531420618";
const DOC_BODY =
  "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c";
const DOC_SIGNATURE = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503";
const DOC_NOW = Number(DOC_TIMESTAMP) * 1000;

describe("Slack request signatures", () => {
  it("computes the signature of Slack's documented example", () => {
    expect(slackSignature(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY)).toBe(DOC_SIGNATURE);
    expect(signSlackRequest(DOC_SECRET, DOC_TIMESTAMP, DOC_BODY)).toBe(DOC_SIGNATURE);
  });

  it("accepts the documented request within five minutes, and refuses it outside", () => {
    const base = { secret: DOC_SECRET, timestamp: DOC_TIMESTAMP, signature: DOC_SIGNATURE, rawBody: DOC_BODY };
    expect(verifySlackSignature({ ...base, now: DOC_NOW })).toEqual({ ok: true });
    expect(verifySlackSignature({ ...base, now: DOC_NOW + 299_000 })).toEqual({ ok: true });
    expect(verifySlackSignature({ ...base, now: DOC_NOW + 301_000 })).toEqual({ ok: false, reason: "stale timestamp" });
    expect(verifySlackSignature({ ...base, now: DOC_NOW - 301_000 })).toEqual({ ok: false, reason: "stale timestamp" });
  });

  it("refuses a changed body, another secret, a malformed or missing signature", () => {
    const base = { secret: DOC_SECRET, timestamp: DOC_TIMESTAMP, signature: DOC_SIGNATURE, rawBody: DOC_BODY, now: DOC_NOW };
    expect(verifySlackSignature({ ...base, rawBody: DOC_BODY.replace("text=", "text=x") }).ok).toBe(false);
    expect(verifySlackSignature({ ...base, secret: "another-secret" }).ok).toBe(false);
    expect(verifySlackSignature({ ...base, signature: DOC_SIGNATURE.toUpperCase() }).ok).toBe(false);
    expect(verifySlackSignature({ ...base, signature: "v0=abc" })).toEqual({ ok: false, reason: "bad signature" });
    expect(verifySlackSignature({ ...base, signature: undefined })).toEqual({ ok: false, reason: "missing headers" });
    expect(verifySlackSignature({ ...base, timestamp: "12ab" })).toEqual({ ok: false, reason: "bad timestamp" });
  });

  it("agrees with Slack's own SDK verifier (@slack/bolt) on fresh requests", () => {
    const secret = "a-signing-secret-for-tests";
    const body =
      "command=%2Fempathy&text=status&user_id=U1&channel_id=C1&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2F1%2F2%2F3";
    const timestamp = Math.floor(Date.now() / 1000);
    const signature = signSlackRequest(secret, timestamp, body);
    const headers = { "x-slack-signature": signature, "x-slack-request-timestamp": timestamp };
    expect(isValidSlackRequest({ signingSecret: secret, body, headers })).toBe(true);
    expect(isValidSlackRequest({ signingSecret: "another-secret", body, headers })).toBe(false);
    expect(verifySlackSignature({ secret, timestamp: String(timestamp), signature, rawBody: body })).toEqual({ ok: true });
  });
});
