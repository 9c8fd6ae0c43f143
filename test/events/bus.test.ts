import { jest } from "@jest/globals";
import { EventBus, EventHandlingError } from "../../src/events/bus.js";
import type { AnyEventEnvelope } from "../../src/events/catalog.js";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function recorder(bus: EventBus) {
  const seen: AnyEventEnvelope[] = [];
  bus.on("*", (e) => {
    seen.push(e);
  });
  return seen;
}

describe("EventBus envelope", () => {
  it("returns the envelope synchronously with a unique uuid and an ISO timestamp", () => {
    const bus = new EventBus();
    const env = bus.emit({ type: "test", data: {} });
    expect(env.event_type).toBe("test");
    expect(env.data).toEqual({});
    expect(env.id).toMatch(UUID);
    expect(new Date(env.timestamp).toISOString()).toBe(env.timestamp);
    const ids = new Set(Array.from({ length: 200 }, () => bus.emit({ type: "test", data: {} }).id));
    expect(ids.size).toBe(200);
  });

  it("uses the injected clock and id factory", () => {
    const bus = new EventBus({ now: () => new Date("2024-05-01T10:00:00Z"), newId: () => "fixed" });
    const env = bus.emit({ type: "test", data: { a: 1 } });
    expect(env).toEqual({ id: "fixed", event_type: "test", timestamp: "2024-05-01T10:00:00.000Z", data: { a: 1 } });
  });

  it("snapshots the data: later mutation by the emitter is not seen by handlers", async () => {
    const bus = new EventBus();
    const seen = recorder(bus);
    const data = { list: [1] };
    bus.emit({ type: "test", data });
    data.list.push(2);
    await bus.settled();
    expect(seen[0].data).toEqual({ list: [1] });
  });

  it("builds an envelope without sending it; publish sends a kept one (read back from JSON) with its id and timestamp, frozen", async () => {
    const bus = new EventBus();
    const seen = recorder(bus);
    const built = bus.envelope({ type: "test", data: { list: [1] } });
    await bus.settled();
    expect(seen).toEqual([]);
    const stored = JSON.parse(JSON.stringify(built)) as AnyEventEnvelope;
    const sent = bus.publish(stored);
    (stored.data as { list: number[] }).list.push(2);
    await bus.settled();
    expect(seen).toEqual([built]);
    expect(Object.isFrozen(sent.data)).toBe(true);
    expect(() => bus.publish({ ...built, event_type: "*" })).toThrow(TypeError);
  });

  it("rejects programmer errors at emit", () => {
    const bus = new EventBus();
    expect(() => bus.emit({ type: "", data: {} })).toThrow(TypeError);
    expect(() => bus.emit({ type: "*", data: {} })).toThrow(TypeError);
    expect(() => bus.emit({ type: "test", data: null as unknown as Record<string, unknown> })).toThrow(TypeError);
    expect(() => bus.emit({ type: "custom", data: { f: () => 1 } })).toThrow(/not serialisable/);
  });
});

describe("EventBus delivery", () => {
  it("runs handlers after emit has returned, and settled() waits for them", async () => {
    const bus = new EventBus();
    let called = false;
    bus.on("test", () => {
      called = true;
    });
    bus.emit({ type: "test", data: {} });
    expect(called).toBe(false);
    await bus.settled();
    expect(called).toBe(true);
    expect(bus.pending).toBe(0);
  });

  it("types catalog events for their handlers", async () => {
    const bus = new EventBus();
    const got: number[] = [];
    bus.on("trust_milestone", (e) => {
      got.push(e.data.milestone); // typed: number
    });
    bus.emit({ type: "trust_milestone", data: { user_id: "u", trust_level: 0.75, milestone: 0.75, repo: "o/r" } });
    await bus.settled();
    expect(got).toEqual([0.75]);
  });

  it("wildcard handlers receive every event, custom ones included", async () => {
    const bus = new EventBus();
    const seen = recorder(bus);
    bus.emit({ type: "test", data: {} });
    bus.emit({ type: "deploy_finished", data: { env: "prod" } });
    await bus.settled();
    expect(seen.map((e) => e.event_type)).toEqual(["test", "deploy_finished"]);
  });

  it("once fires once; off and the unsubscribe function remove handlers", async () => {
    const bus = new EventBus();
    const once = jest.fn();
    const removed = jest.fn();
    const unsubscribed = jest.fn();
    bus.once("test", once);
    bus.on("test", removed);
    const unsubscribe = bus.on("test", unsubscribed);
    expect(bus.handlers).toEqual({ test: 3 });
    expect(bus.off("test", removed)).toBe(true);
    expect(bus.off("test", removed)).toBe(false);
    unsubscribe();
    bus.emit({ type: "test", data: {} });
    bus.emit({ type: "test", data: {} });
    await bus.settled();
    expect(once).toHaveBeenCalledTimes(1);
    expect(removed).not.toHaveBeenCalled();
    expect(unsubscribed).not.toHaveBeenCalled();
    expect(bus.handlers).toEqual({});
  });

  it("off also removes a once handler before it fires", async () => {
    const bus = new EventBus();
    const h = jest.fn();
    bus.once("test", h);
    expect(bus.off("test", h)).toBe(true);
    bus.emit({ type: "test", data: {} });
    await bus.settled();
    expect(h).not.toHaveBeenCalled();
  });

  it("custom types: declared ones are listed, any string can be emitted and handled", async () => {
    const bus = new EventBus();
    bus.declare("deploy_finished");
    expect(bus.eventTypes).toContain("deploy_finished");
    expect(bus.eventTypes).toContain("level_4_prediction");
    const got: unknown[] = [];
    bus.on("deploy_finished", (e) => {
      got.push(e.data.env);
    });
    bus.on("undeclared_thing", (e) => {
      got.push(e.data.n);
    });
    bus.emit({ type: "deploy_finished", data: { env: "prod" } });
    bus.emit({ type: "undeclared_thing", data: { n: 1 } });
    await bus.settled();
    expect(got).toEqual(["prod", 1]);
    expect(() => bus.declare("*")).toThrow(TypeError);
  });

  it("counts handlers per type, wildcard included", () => {
    const bus = new EventBus();
    bus.on("*", () => {});
    bus.on("error", () => {});
    bus.on("error", () => {});
    expect(bus.handlers).toEqual({ "*": 1, error: 2 });
  });

  it("gives handlers a frozen envelope, so one handler cannot alter another's view", async () => {
    const bus = new EventBus();
    const seen = recorder(bus);
    bus.on("test", (e) => {
      (e.data as { x: number }).x = 2;
    });
    bus.emit({ type: "test", data: { x: 1 } });
    await bus.settled();
    expect(seen[0].data).toEqual({ x: 1 });
    expect(seen.find((e) => e.event_type === "error")?.data.error_type).toBe("handler_error");
  });
});

describe("EventBus isolation", () => {
  it("a synchronously throwing handler neither breaks emit nor the other handlers, and becomes an error event", async () => {
    const logger = { error: jest.fn() };
    const bus = new EventBus({ logger });
    const errors: AnyEventEnvelope[] = [];
    bus.on("error", (e) => {
      errors.push(e);
    });
    const other = jest.fn();
    bus.on("test", () => {
      throw new Error("boom");
    });
    bus.on("test", other);
    const env = bus.emit({ type: "test", data: {} });
    await bus.settled();
    expect(other).toHaveBeenCalledTimes(1);
    expect(errors).toHaveLength(1);
    expect(errors[0].data).toEqual({
      error_type: "handler_error",
      error_message: "boom",
      context: { event_type: "test", event_id: env.id },
    });
    expect(logger.error).toHaveBeenCalledTimes(1);
  });

  it("a rejecting async handler becomes an error event too", async () => {
    const bus = new EventBus();
    const errors: AnyEventEnvelope[] = [];
    bus.on("error", (e) => {
      errors.push(e);
    });
    const other = jest.fn();
    bus.on("test", async () => {
      await new Promise((r) => setTimeout(r, 5));
      throw new Error("late boom");
    });
    bus.on("test", other);
    bus.emit({ type: "test", data: {} });
    await bus.settled();
    expect(other).toHaveBeenCalled();
    expect(errors.map((e) => e.data.error_message)).toEqual(["late boom"]);
  });

  it("a hanging handler blocks neither emit nor other handlers; settled can time out", async () => {
    const bus = new EventBus();
    const other = jest.fn();
    bus.on("test", () => new Promise(() => {}));
    bus.on("test", other);
    const envelope = bus.emit({ type: "test", data: {} }); // returns at once, handlers not yet run
    expect(envelope.event_type).toBe("test");
    expect(other).not.toHaveBeenCalled();
    await bus.settled({ timeoutMs: 50 });
    expect(other).toHaveBeenCalledTimes(1);
    expect(bus.pending).toBe(1);
  });

  it("a slow handler does not delay the emitter, and settled waits for it", async () => {
    const bus = new EventBus();
    let done = false;
    bus.on("test", async () => {
      await new Promise((r) => setTimeout(r, 100));
      done = true;
    });
    bus.emit({ type: "test", data: {} });
    expect(done).toBe(false);
    await bus.settled();
    expect(done).toBe(true);
  });

  it("settled also waits for events emitted by handlers", async () => {
    const bus = new EventBus();
    let chained = false;
    bus.on("test", () => {
      bus.emit({ type: "chained", data: {} });
    });
    bus.on("chained", async () => {
      await new Promise((r) => setTimeout(r, 30));
      chained = true;
    });
    bus.emit({ type: "test", data: {} });
    await bus.settled();
    expect(chained).toBe(true);
  });

  it("a failing error handler is only logged: no error loop", async () => {
    const logger = { error: jest.fn() };
    const bus = new EventBus({ logger });
    const seen = recorder(bus);
    const errorHandler = jest.fn(() => {
      throw new Error("error handler broke");
    });
    bus.on("error", errorHandler);
    bus.on("*", async (e) => {
      if (e.event_type === "error") throw new Error("wildcard broke on error");
    });
    bus.on("test", () => {
      throw new Error("boom");
    });
    bus.emit({ type: "test", data: {} });
    await bus.settled();
    expect(seen.map((e) => e.event_type)).toEqual(["test", "error"]);
    expect(errorHandler).toHaveBeenCalledTimes(1);
    // boom, then the two failures while handling the error event
    expect(logger.error).toHaveBeenCalledTimes(3);
  });

  it("a throwing logger does not break the bus", async () => {
    const bus = new EventBus({
      logger: {
        error: () => {
          throw new Error("logger down");
        },
      },
    });
    const seen = recorder(bus);
    bus.on("test", () => {
      throw new Error("boom");
    });
    bus.emit({ type: "test", data: {} });
    await bus.settled();
    expect(seen.map((e) => e.event_type)).toEqual(["test", "error"]);
  });
});

describe("EventBus dispatch queue", () => {
  it("runs handlers in emit order, events emitted by handlers included, after every emit has returned", async () => {
    const bus = new EventBus();
    const order: string[] = [];
    bus.on("a", (e) => {
      order.push(`a${e.data.n}`);
      if (e.data.n === 1) bus.emit({ type: "b", data: {} });
    });
    bus.on("b", () => {
      order.push("b");
    });
    bus.on("*", (e) => {
      order.push(`*${e.event_type}`);
    });
    bus.emit({ type: "a", data: { n: 1 } });
    bus.emit({ type: "a", data: { n: 2 } });
    order.push("emitted");
    expect(bus.pending).toBe(4);
    await bus.settled();
    expect(order).toEqual(["emitted", "a1", "*a", "a2", "*a", "b", "*b"]);
    expect(bus.pending).toBe(0);
  });

  it("tracks thenables that are not promises, and reports their rejection", async () => {
    const bus = new EventBus();
    const errors: string[] = [];
    bus.on("error", (e) => {
      errors.push(e.data.error_message);
    });
    let settledLate = false;
    bus.on("test", () => ({
      then(_ok: () => void, fail: (err: unknown) => void) {
        setTimeout(() => {
          settledLate = true;
          fail(new Error("thenable failed"));
        }, 10);
      },
    }));
    bus.emit({ type: "test", data: {} });
    await bus.settled();
    expect(settledLate).toBe(true);
    expect(errors).toEqual(["thenable failed"]);
  });

  it("survives a thrown value that cannot even be described", async () => {
    const bus = new EventBus();
    const seen = recorder(bus);
    const other = jest.fn();
    bus.on("test", () => {
      throw Object.create(null);
    });
    bus.on("test", other);
    bus.emit({ type: "test", data: {} });
    await bus.settled();
    expect(other).toHaveBeenCalledTimes(1);
    expect(seen.map((e) => e.event_type)).toEqual(["test", "error"]);
  });
});

describe("EventBus scopes: durable handlers report failures to the job that emitted the event", () => {
  /** A durable handler that keeps each event until `settle` is called for it. */
  function durable(bus: EventBus) {
    const calls: { event: AnyEventEnvelope; resolve: () => void; reject: (err: unknown) => void }[] = [];
    bus.on(
      "test",
      (event) =>
        new Promise<void>((resolve, reject) => {
          calls.push({ event, resolve, reject });
        }),
      { durable: true },
    );
    return calls;
  }

  it("emit still returns at once inside a scope; flush() waits for the durable handlers of the scope's events", async () => {
    const bus = new EventBus();
    const calls = durable(bus);
    let flushed = false;
    const job = bus.scope(async () => {
      bus.emit({ type: "test", data: { n: 1 } });
      expect(calls).toHaveLength(0); // handlers run after emit has returned, as outside a scope
      const flush = bus.flush().then(() => (flushed = true));
      await sleep(20);
      expect(calls).toHaveLength(1);
      expect(flushed).toBe(false);
      calls[0].resolve();
      await flush;
      return "result";
    });
    await expect(job).resolves.toBe("result");
    expect(flushed).toBe(true);
  });

  it("a durable handler's failure fails flush() and the scope with EventHandlingError, and is still logged and reported once", async () => {
    const logger = { error: jest.fn() };
    const bus = new EventBus({ logger });
    const calls = durable(bus);
    const seen: AnyEventEnvelope[] = [];
    bus.on("error", (e) => void seen.push(e));
    const cause = new Error("outbox unavailable");
    let flushError: unknown;
    const job = bus.scope(async () => {
      bus.emit({ type: "test", data: { n: 1 } });
      bus.emit({ type: "test", data: { n: 2 } });
      await Promise.resolve();
      // One write for both events, as the webhook outbox does: the same failure for each.
      for (const c of calls.splice(0)) c.reject(cause);
      flushError = await bus.flush().catch((err: unknown) => err);
    });
    await expect(job).rejects.toThrow(EventHandlingError);
    expect(flushError).toBeInstanceOf(EventHandlingError);
    expect((flushError as EventHandlingError).failures).toEqual([cause]); // one failure, however many events it concerns
    expect((flushError as Error).message).toBe("an event emitted here was not kept by a durable listener: outbox unavailable");
    await bus.settled();
    expect(logger.error).toHaveBeenCalledTimes(1);
    expect(seen.map((e) => e.data.error_message)).toEqual(["outbox unavailable"]);
  });

  it("an ordinary handler's failure never fails the scope (a dead Slack endpoint must not fail a review)", async () => {
    const bus = new EventBus();
    bus.on("test", () => {
      throw new Error("slack down");
    });
    bus.on("test", async () => {
      throw new Error("jira down");
    });
    await expect(
      bus.scope(async () => {
        bus.emit({ type: "test", data: {} });
        await bus.flush();
        return 1;
      }),
    ).resolves.toBe(1);
  });

  it("failures belong to the scope that emitted the event: concurrent jobs and unscoped emitters are not affected", async () => {
    const bus = new EventBus();
    bus.on("*", (e) => (e.data.fail ? Promise.reject(new Error(`cannot keep ${String(e.data.job)}`)) : Promise.resolve()), {
      durable: true,
    });
    const a = bus.scope(async () => {
      await sleep(5);
      bus.emit({ type: "test", data: { job: "a", fail: true } });
      await sleep(5);
    });
    const b = bus.scope(async () => {
      bus.emit({ type: "test", data: { job: "b" } });
      await sleep(10);
      await bus.flush();
    });
    bus.emit({ type: "test", data: { job: "outside", fail: true } }); // logged, attributed to nobody
    await expect(a).rejects.toThrow("cannot keep a");
    await expect(b).resolves.toBeUndefined();
    await expect(bus.flush()).resolves.toBeUndefined(); // outside a scope nothing is the caller's
  });

  it("events emitted by handlers of a scoped event belong to the same scope; the error report does not", async () => {
    const bus = new EventBus();
    bus.on("test", () => {
      bus.emit({ type: "follow_up", data: {} });
    });
    bus.on("follow_up", () => Promise.reject(new Error("follow-up not kept")), { durable: true });
    // The `error` event reporting that failure is emitted outside the scope: a durable failure on it is nobody's.
    const reported = jest.fn(() => Promise.reject(new Error("error reports are nobody's")));
    bus.on("error", reported, { durable: true });
    const error = await bus
      .scope(async () => {
        bus.emit({ type: "test", data: {} });
      })
      .catch((err: unknown) => err);
    expect(error).toBeInstanceOf(EventHandlingError);
    await bus.settled();
    expect(reported).toHaveBeenCalledTimes(1);
    expect((error as EventHandlingError).failures.map((f) => (f as Error).message)).toEqual(["follow-up not kept"]);
  });

  it("a durable handler that throws synchronously fails the scope too, and a later flush keeps failing", async () => {
    const bus = new EventBus();
    bus.on(
      "test",
      () => {
        throw new Error("no room");
      },
      { durable: true },
    );
    await bus
      .scope(async () => {
        bus.emit({ type: "test", data: {} });
        await expect(bus.flush()).rejects.toThrow("no room");
        await expect(bus.flush()).rejects.toThrow("no room");
      })
      .catch(() => undefined);
    await expect(bus.scope(async () => bus.emit({ type: "test", data: {} }))).rejects.toThrow(EventHandlingError);
  });
});
