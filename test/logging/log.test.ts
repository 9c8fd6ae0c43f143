/** The one logger type: pino (Probot's logger) satisfies it, and a narrower `Pick` takes a test's stand-in. */
import { Writable } from "node:stream";
import { pino } from "pino";
import type { Log } from "../../src/logging/log.js";

describe("Log", () => {
  it("is satisfied by a pino logger and its children", () => {
    const lines: string[] = [];
    const logger = pino({ level: "debug" }, new Writable({ write: (chunk, _enc, done) => (lines.push(chunk.toString()), done()) }));
    const log: Log = logger;
    log.debug({ a: 1 }, "debug");
    log.info({ b: 2 }, "info");
    log.warn({ c: 3 }, "warn");
    log.error({ d: 4 }, "error");
    const child: Log | undefined = log.child?.({ job: "x" });
    child?.info({}, "from the child");
    expect(lines.map((l) => JSON.parse(l).msg)).toEqual(["debug", "info", "warn", "error", "from the child"]);
    expect(JSON.parse(lines[4]).job).toBe("x");
  });

  it("narrows with Pick for a module that writes one level", () => {
    const warnings: string[] = [];
    const log: Pick<Log, "warn"> = { warn: (_obj, msg) => void warnings.push(String(msg)) };
    log.warn({}, "careful");
    expect(warnings).toEqual(["careful"]);
  });
});
