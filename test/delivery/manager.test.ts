/**
 * WebhookManager's API: registrations (stable ids, validation, template fields against the
 * catalog), conditions (functions and CEL), templates, delivery logs, dead-letter replay, and
 * what may appear in logs (origins, never full URLs or secrets).
 */
import { WebhookRegistrationError } from "../../src/delivery/manager.js";
import { registrationId } from "../../src/delivery/registration.js";
import { Receiver, setup, sleep, waitFor, type Setup } from "./helpers.js";

const prediction = (confidence: number, tags: string[]) => ({
  prediction_id: "p1",
  prediction: 'Dropping "legacy_id" breaks the mobile client',
  confidence,
  severity: "high" as const,
  tags,
  recommendation: "Keep it one more release",
  user_id: "alice",
  timestamp: "2024-05-01T10:00:00.000Z",
  repo: "o/r",
  pr_number: 7,
  url: null,
  kind: "migration",
  impact: "crash",
  fingerprint: "fp",
  evidence: { path: "db/1.sql", line: 3, side: "RIGHT" as const },
});

describe("WebhookManager", () => {
  let rx: Receiver;
  const setups: Setup[] = [];
  beforeEach(async () => {
    rx = await new Receiver().listen();
  });
  afterEach(async () => {
    for (const s of setups.splice(0)) await s.manager.stop();
    await rx.close();
  });
  function make(options: Parameters<typeof setup>[0] = {}): Setup {
    const s = setup(options);
    setups.push(s);
    return s;
  }

  describe("registrations", () => {
    it("gives a stable id from event type, URL and template, lists without URL or secret, and unregisters", () => {
      const { manager } = make();
      const url = rx.url("/hooks/T0KEN?key=abc");
      const id = manager.register({ eventType: "test", url, secret: "s3cret" });
      expect(id).toBe(registrationId("test", url, undefined));
      expect(make().manager.register({ eventType: "test", url, secret: "other" })).toBe(id); // same after a restart
      expect(manager.register({ eventType: "test", url, payloadTemplate: { a: "{x}" } })).not.toBe(id);
      expect(manager.register({ eventType: "test", url, id: "mine" })).toBe("mine");
      const listed = manager.list();
      expect(listed[0]).toEqual({
        id,
        eventType: "test",
        origin: `http://127.0.0.1:${rx.port}`,
        hasSecret: true,
        verifySsl: true,
        timeoutSeconds: 5,
        retryCount: 3,
        batchSize: 1,
        batchTimeoutSeconds: 5,
        conditional: false,
        disabled: false,
        disabledReason: null,
      });
      expect(JSON.stringify(listed)).not.toMatch(/T0KEN|s3cret|key=abc/);
      expect(() => manager.register({ eventType: "test", url, secret: "s3cret" })).toThrow(/already registered/);
      expect(manager.unregister(id)).toBe(true);
      expect(manager.list().map((r) => r.id)).not.toContain(id);
    });

    it("refuses bad options with clear messages that never show the URL's path", () => {
      const { manager } = make();
      const url = "https://hooks.example.com/services/T0KEN";
      const bad: [object, RegExp][] = [
        [{ eventType: "", url }, /eventType/],
        [{ eventType: "test", url: "not a url" }, /not a valid URL/],
        [{ eventType: "test", url: "ftp://x.example/" }, /http\(s\)/],
        [{ eventType: "test", url, timeoutSeconds: 0 }, /timeoutSeconds/],
        [{ eventType: "test", url, retryCount: 1.5 }, /retryCount/],
        [{ eventType: "test", url, batchSize: 0 }, /batchSize/],
        [{ eventType: "test", url, headers: { "webhook-id": "x" } }, /set by the bot/],
        [{ eventType: "test", url, headers: { "X-Bad": "a\r\nb" } }, /not a valid HTTP header/],
        [{ eventType: "test", url, secret: "whsec_!!!" }, /secret/],
        [{ eventType: "test", url, payloadTemplate: { text: "{unclosed" } }, /payloadTemplate/],
      ];
      for (const [options, message] of bad) {
        let error: unknown;
        try {
          manager.register(options as never);
        } catch (err) {
          error = err;
        }
        expect(error).toBeInstanceOf(WebhookRegistrationError);
        expect((error as Error).message).toMatch(message);
        expect((error as Error).message).not.toMatch(/T0KEN/);
      }
    });

    it("refuses a template naming a field the catalog event does not have, at register", () => {
      const { manager } = make();
      expect(() =>
        manager.register({ eventType: "level_4_prediction", url: rx.url(), payloadTemplate: { text: "{prediction} {confidance:.0%}" } }),
      ).toThrow(/uses \{confidance\}, which level_4_prediction events do not have/);
      // Nested paths and envelope fields are fine.
      expect(() =>
        manager.register({
          eventType: "level_4_prediction",
          url: rx.url(),
          payloadTemplate: { text: "{prediction} at {evidence.path}:{evidence.line} ({confidence:.0%}) {event_type} {id}" },
        }),
      ).not.toThrow();
    });

    it("dead-letters, with a clear error in the log, an event lacking a template field when that could not be known at register", async () => {
      const { bus, manager, logs } = make();
      manager.register({ eventType: "deploy_finished", url: rx.url(), payloadTemplate: { text: "Deployed {service}" } });
      await manager.start();
      bus.emit({ type: "deploy_finished", data: { service: "api" } });
      bus.emit({ type: "deploy_finished", data: { other: 1 } });
      await waitFor(async () => (await manager.getDeliveryLogs()).length === 2);
      expect(rx.requests.map((r) => JSON.parse(r.body))).toEqual([{ text: "Deployed api" }]);
      const [dead] = await manager.getDeliveryLogs({ status: "dead" });
      expect(dead).toMatchObject({ attempt: 1, statusCode: null, eventType: "deploy_finished" });
      expect(dead.error).toMatch(/payload template: .*service/);
      expect(logs.lines.some((l) => l.level === "error" && l.msg === "webhook delivery dead-lettered")).toBe(true);
    });
  });

  describe("conditions and templates", () => {
    it("sends only events matching a CEL condition or a function, rendering the template", async () => {
      const { bus, manager } = make();
      manager.registerConditional({
        eventType: "level_4_prediction",
        url: rx.url("/cel"),
        condition: 'confidence > 0.85 && "security" in tags',
        payloadTemplate: { text: "Prediction: {prediction} ({confidence:.0%})", tags: "{tags}" },
      });
      manager.registerConditional({
        eventType: "level_4_prediction",
        url: rx.url("/fn"),
        condition: (data) => (data.confidence as number) < 0.5,
      });
      await manager.start();
      bus.emit({ type: "level_4_prediction", data: prediction(0.9, ["security"]) });
      bus.emit({ type: "level_4_prediction", data: prediction(0.9, ["perf"]) });
      bus.emit({ type: "level_4_prediction", data: prediction(0.3, ["security"]) });
      await waitFor(() => rx.requests.length === 2);
      await sleep(100);
      expect(rx.requests).toHaveLength(2);
      const cel = rx.requests.find((r) => r.path === "/cel")!;
      expect(JSON.parse(cel.body)).toEqual({ text: 'Prediction: Dropping "legacy_id" breaks the mobile client (90%)', tags: ["security"] });
      expect(JSON.parse(rx.requests.find((r) => r.path === "/fn")!.body).data.confidence).toBe(0.3);
      expect(manager.list().every((r) => r.conditional)).toBe(true);
    });

    it("refuses a malformed CEL condition, and treats a condition that throws as no match", async () => {
      const { bus, manager } = make();
      expect(() => manager.registerConditional({ eventType: "test", url: rx.url(), condition: "confidence >" })).toThrow(/condition/);
      manager.registerConditional({
        eventType: "test",
        url: rx.url(),
        condition: () => {
          throw new Error("boom");
        },
      });
      manager.registerConditional({ eventType: "test", url: rx.url("/missing"), condition: "missing_field > 1" });
      await manager.start();
      bus.emit({ type: "test", data: {} });
      await sleep(150);
      expect(rx.requests).toHaveLength(0);
    });
  });

  describe("delivery logs and dead letters", () => {
    it("logs every attempt with its details, a 4 KB response excerpt, filters and limits", async () => {
      rx.reply = (req) => (req.path === "/big" ? { status: 400, body: "x".repeat(10_000) } : { status: 200, body: "thanks" });
      const { bus, manager } = make();
      manager.register({ eventType: "test", url: rx.url("/big") });
      manager.register({ eventType: "interaction_started", url: rx.url("/ok") });
      await manager.start();
      const before = new Date();
      bus.emit({ type: "test", data: {} });
      bus.emit({
        type: "interaction_started",
        data: { user_id: "u", user_input: "hi", timestamp: before.toISOString(), repo: "o/r", pr_number: null },
      });
      await waitFor(async () => (await manager.getDeliveryLogs()).length === 2);
      const [dead] = await manager.getDeliveryLogs({ eventType: "test" });
      expect(dead).toMatchObject({ status: "dead", statusCode: 400, attempt: 1, origin: `http://127.0.0.1:${rx.port}`, eventType: "test" });
      expect(dead.responseExcerpt).toHaveLength(4096);
      expect(dead.webhookId).toBe(dead.deliveryId);
      expect(dead.durationMs).toBeGreaterThanOrEqual(0);
      expect(Date.parse(dead.attemptedAt)).toBeGreaterThanOrEqual(before.getTime() - 5);
      const [ok] = await manager.getDeliveryLogs({ status: "delivered" });
      expect(ok).toMatchObject({ eventType: "interaction_started", responseExcerpt: "thanks", nextAttemptAt: null, error: null });
      expect(await manager.getDeliveryLogs({ limit: 1 })).toHaveLength(1);
      expect(await manager.getDeliveryLogs({ since: new Date(Date.now() + 60_000) })).toHaveLength(0);
    });

    it("replays one dead letter, and all since a time, with the same webhook-id", async () => {
      let up = false;
      rx.reply = () => (up ? {} : { status: 400 });
      const { bus, manager } = make();
      manager.register({ eventType: "test", url: rx.url() });
      await manager.start();
      bus.emit({ type: "test", data: { n: 1 } });
      await waitFor(async () => (await manager.getDeliveryLogs({ status: "dead" })).length === 1);
      const between = Date.now();
      await sleep(5);
      bus.emit({ type: "test", data: { n: 2 } });
      bus.emit({ type: "test", data: { n: 3 } });
      await waitFor(async () => (await manager.getDeliveryLogs({ status: "dead" })).length === 3);
      up = true;
      const [oldest] = (await manager.getDeliveryLogs({ status: "dead" })).reverse();
      await manager.replayDeadLetter(oldest.deliveryId);
      await waitFor(() => rx.requests.length === 4);
      expect(rx.ids()[3]).toBe(oldest.webhookId);
      expect(JSON.parse(rx.requests[3].body).data.n).toBe(1);
      await expect(manager.replayDeadLetter(oldest.deliveryId)).rejects.toThrow(/not a dead letter/);
      await expect(manager.replayDeadLetter("msg_nope")).rejects.toThrow(/no webhook delivery/);

      const replayed = await manager.replayDeadLetters({ since: new Date(between) });
      expect(replayed).toHaveLength(2);
      await waitFor(() => rx.requests.length === 6);
      expect(
        rx.requests
          .slice(4)
          .map((r) => JSON.parse(r.body).data.n)
          .sort(),
      ).toEqual([2, 3]);
      const logs = await manager.getDeliveryLogs({ deliveryId: oldest.deliveryId });
      expect(logs.map((l) => [l.attempt, l.status])).toEqual([
        [2, "delivered"],
        [1, "dead"],
      ]);
    });

    it("never logs a full URL, a secret or configured headers", async () => {
      rx.reply = (_r, i) => (i === 0 ? { status: 500 } : { status: 404 });
      const { bus, manager, logs } = make();
      manager.register({
        eventType: "test",
        url: rx.url("/services/T0KEN-PATH?token=Q-T0KEN"),
        secret: "super-s3cret",
        headers: { Authorization: "Bearer H-T0KEN" },
      });
      await manager.start();
      bus.emit({ type: "test", data: {} });
      await waitFor(async () => (await manager.getDeliveryLogs({ status: "dead" })).length === 1);
      const everything = logs.text() + JSON.stringify(await manager.getDeliveryLogs()) + JSON.stringify(manager.list());
      expect(everything).toContain(`127.0.0.1:${rx.port}`);
      for (const secret of ["T0KEN-PATH", "Q-T0KEN", "super-s3cret", "H-T0KEN"]) expect(everything).not.toContain(secret);
    });
  });
});
