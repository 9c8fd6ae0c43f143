/**
 * One definition of each registration option (src/delivery/options.ts): register(), the operator
 * config and the integrations' config sections refuse the same values with the same limits, and
 * apply the same defaults. Delivery ids come from one generator per manager.
 */
import { parseOperatorConfig, OperatorConfigError } from "../../src/config/operatorConfig.js";
import { DeliveryIds } from "../../src/delivery/ids.js";
import { WEBHOOK_DEFAULTS } from "../../src/delivery/options.js";
import { buildRegistration, WebhookRegistrationError } from "../../src/delivery/registration.js";
import { deliveryKeys } from "../../src/integrations/common.js";

const url = "https://hooks.example.test/h";

function registerError(options: object): string | null {
  try {
    buildRegistration({ eventType: "test", url, ...options }, null);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(WebhookRegistrationError);
    return (err as Error).message;
  }
}

function configError(line: string): string | null {
  try {
    parseOperatorConfig(`webhooks:\n  - event_type: test\n    url: ${url}\n    ${line}\n`, { env: {} });
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(OperatorConfigError);
    return (err as OperatorConfigError).issues[0].message;
  }
}

describe("webhook registration options", () => {
  it.each([
    ["timeoutSeconds", "timeout_seconds", 300, 300.5, "must be at most 300 seconds"],
    ["retryCount", "retry_count", 20, 21, "must be from 0 to 20"],
    ["batchSize", "batch_size", 1000, 1001, "must be from 1 to 1000"],
    ["batchTimeoutSeconds", "batch_timeout_seconds", 3600, 3601, "must be at most 3600 seconds"],
  ])("%s: the same limit in register() and in the operator config", (camel, snake, ok, over, message) => {
    expect(registerError({ [camel]: ok })).toBeNull();
    expect(configError(`${snake}: ${ok}`)).toBeNull();
    expect(registerError({ [camel]: over })).toBe(`${camel} ${message}, got ${over} (test to https://hooks.example.test)`);
    expect(configError(`${snake}: ${over}`)).toBe(message);
  });

  it("refuses zero timeouts and fractional counts in both", () => {
    expect(registerError({ timeoutSeconds: 0 })).toMatch(/^timeoutSeconds must be more than 0 seconds/);
    expect(configError("timeout_seconds: 0")).toBe("must be more than 0 seconds");
    expect(registerError({ retryCount: 1.5 })).toMatch(/^retryCount must be a whole number/);
    expect(configError("retry_count: 1.5")).toBe("must be a whole number");
    expect(registerError({ verifySsl: "yes" })).toMatch(/^verifySsl must be true or false/);
  });

  it("applies the same defaults", () => {
    const reg = buildRegistration({ eventType: "test", url }, null);
    expect({
      verifySsl: reg.verifySsl,
      timeoutSeconds: reg.timeoutMs / 1000,
      retryCount: reg.retryCount,
      batchSize: reg.batchSize,
      batchTimeoutSeconds: reg.batchTimeoutMs / 1000,
    }).toEqual(WEBHOOK_DEFAULTS);
    const [hook] = parseOperatorConfig(`webhooks:\n  - event_type: test\n    url: ${url}\n`, { env: {} }).webhooks;
    expect({
      verifySsl: hook.verifySsl,
      timeoutSeconds: hook.timeoutSeconds,
      retryCount: hook.retryCount,
      batchSize: hook.batchSize,
      batchTimeoutSeconds: hook.batchTimeoutSeconds,
    }).toEqual(WEBHOOK_DEFAULTS);
  });

  it("gives the integrations the same timeout and retry limits", () => {
    expect(deliveryKeys.retry_count.safeParse(21).success).toBe(false);
    expect(deliveryKeys.retry_count.safeParse("20").success).toBe(true);
    expect(deliveryKeys.timeout_seconds.safeParse(301).success).toBe(false);
  });

  it("refuses an event type name the config would refuse", () => {
    expect(registerError({ eventType: "two words" })).toMatch(/^eventType must be an event type name/);
    expect(registerError({ eventType: "pull_request.opened" })).toBeNull();
  });
});

describe("DeliveryIds", () => {
  it("makes unique, increasing ids per generator, and different ones across generators", () => {
    const a = new DeliveryIds();
    const b = new DeliveryIds();
    const ids = Array.from({ length: 1000 }, () => a.next());
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual(ids);
    expect(ids[0]).toMatch(/^msg_[0-9a-z]{13}[0-9a-f]{16}$/);
    expect(b.next().slice(-16)).not.toBe(ids[0].slice(-16));
  });
});
