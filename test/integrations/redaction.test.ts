/** Integrations pass the one redaction step: texts are redacted whole before they are cut, and every body sent is redacted. */
import { withKnownSecrets } from "../../src/analysis/secrets.js";
import { issueTitle } from "../../src/github/predictions/predictionIssues.js";
import { callService, serviceIntegration, type ServiceIntegration } from "../../src/integrations/common.js";
import { truncate, type NoticeEnvelope } from "../../src/integrations/notice.js";
import { FAKE } from "../analysis/fakeSecrets.js";

describe("redaction in integrations", () => {
  it("truncate redacts the whole text before cutting, so no token head is left", () => {
    const text = `Dockerfile: RUN curl -H "Authorization: token ${FAKE.github}"`;
    const cut = truncate(text, 60);
    expect(cut).not.toContain(FAKE.github.slice(0, 8));
    expect(cut.length).toBeLessThanOrEqual(60);
  });

  it("every delivery body a service builds is redacted, also of the values found in the review", () => {
    const found = "Qm4pL8sTz0vWkR2n";
    const integration = serviceIntegration<ServiceIntegration>(
      {
        service: "x",
        name: "x",
        manager: undefined,
        delivery: {},
        buildPayload: (e) => ({ text: `${String((e.data as { note?: unknown }).note)}`, blocks: [{ raw: FAKE.slack }] }),
        interpretResponse: () => undefined,
        target: () => ({ url: "https://x.test", headers: {} }),
      },
      {},
    );
    const envelope = { id: "1", event_type: "custom", timestamp: "", data: { note: `uses ${found}` } } as unknown as NoticeEnvelope;
    const body = JSON.stringify(withKnownSecrets([found], () => integration.buildPayload(envelope)));
    expect(body).not.toContain(found);
    expect(body).not.toContain(FAKE.slack.slice(5, 13));
  });

  it("direct calls send redacted bodies", async () => {
    let sent = "";
    await callService(
      "x",
      async (_url, init) => {
        sent = String(init.body);
        return new Response("{}", { status: 200 });
      },
      { url: "https://x.test/api", headers: {}, body: { text: `summary with ${FAKE.openai}` } },
      () => undefined,
    );
    expect(sent).toContain("[REDACTED:openai-key]");
    expect(sent).not.toContain(FAKE.openai.slice(3, 11));
  });

  it("a prediction issue's title is redacted before it is shortened", () => {
    const prediction = `${"Migration drops a column that the Dockerfile's build step reads with ".repeat(1)}${FAKE.github} in it.`;
    const title = issueTitle({ prediction, confidence: 0.9 } as never);
    expect(title).not.toContain(FAKE.github.slice(0, 8));
  });
});
