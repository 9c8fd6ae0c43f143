/** The one "render or dead-letter" path (src/delivery/render.ts): a body, or the error its delivery dies with. */
import { bodyToStore, render, requestBody } from "../../src/delivery/render.js";
import { compileTemplate } from "../../src/delivery/template.js";
import type { WebhookDeliveryRecord } from "../../src/store/store.js";

const envelope = { id: "evt_1", event_type: "test", timestamp: "2026-01-01T00:00:00.000Z", data: { n: 3, name: "x" } };
const plain = { template: null, buildPayload: null };
const templated = { template: compileTemplate({ text: "{name}: {n:.1f}" }), buildPayload: null };
const missing = { template: compileTemplate({ text: "{absent}" }), buildPayload: null };

describe("render", () => {
  it("renders a template over one event or a batch, and sends the envelope(s) without one", () => {
    expect(render(templated, [envelope], { id: "msg_1", batch: false })).toEqual({ body: '{"text":"x: 3.0"}' });
    expect(
      render({ template: compileTemplate({ c: "{count}", id: "{id}" }), buildPayload: null }, [envelope, envelope], {
        id: "msg_1",
        batch: true,
      }),
    ).toEqual({
      body: '{"c":2,"id":"msg_1"}', // a lone placeholder keeps its JSON type
    });
    expect(render(plain, [envelope], { id: "msg_1", batch: false })).toEqual({ body: JSON.stringify(envelope) });
    expect(render(plain, [envelope], { id: "msg_1", batch: true })).toEqual({ body: JSON.stringify([envelope]) });
  });

  it("returns the dead-letter error of a template or a builder that fails", () => {
    expect(render(missing, [envelope], { id: "msg_1", batch: false }).error).toMatch(/^payload template: payload_template\.text: /);
    expect(render({ template: null, buildPayload: () => undefined }, [envelope], { id: "m", batch: false })).toEqual({
      error: "payload builder: returned nothing",
    });
    expect(
      render(
        {
          template: null,
          buildPayload: () => {
            throw new Error("no channel");
          },
        },
        [envelope],
        { id: "m", batch: false },
      ),
    ).toEqual({ error: "payload builder: no channel" });
    expect(
      render({ template: null, buildPayload: (e) => ({ got: (e as { id: string }).id }) }, [envelope], { id: "m", batch: false }),
    ).toEqual({ body: '{"got":"evt_1"}' });
  });

  it("stores a template's body at once (or its error), nothing otherwise; an attempt renders what was not stored", () => {
    expect(bodyToStore(templated, [envelope], { id: "m", batch: false })).toEqual({ body: '{"text":"x: 3.0"}' });
    expect(bodyToStore(missing, [envelope], { id: "m", batch: false }).error).toMatch(/^payload template: /);
    expect(bodyToStore({ template: null, buildPayload: () => "secret body" }, [envelope], { id: "m", batch: false })).toEqual({
      body: null,
    });
    const stored = {
      id: "msg_9",
      body: null,
      eventIds: ["evt_1"],
      envelopes: JSON.stringify([envelope]),
    } as unknown as WebhookDeliveryRecord;
    expect(requestBody({ ...plain, batchSize: 1 }, stored)).toEqual({ body: JSON.stringify(envelope) });
    expect(requestBody({ template: null, buildPayload: () => "built", batchSize: 1 }, stored)).toEqual({ body: "built" });
    expect(requestBody({ ...plain, batchSize: 1 }, { ...stored, body: "as stored" })).toEqual({ body: "as stored" });
  });
});
