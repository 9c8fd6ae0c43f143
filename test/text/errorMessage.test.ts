import { runInNewContext } from "node:vm";
import { errorMessage, messageOf } from "../../src/text/errorMessage.js";

describe("errorMessage", () => {
  it("gives an error's message", () => {
    expect(errorMessage(new Error("boom"))).toBe("boom");
    expect(errorMessage(new TypeError("bad type"))).toBe("bad type");
  });

  it("reads an error of another realm (a VM, undici's DOMException) by its shape", () => {
    const foreign = runInNewContext('new Error("from elsewhere")') as unknown;
    expect(foreign instanceof Error).toBe(false);
    expect(errorMessage(foreign)).toBe("from elsewhere");
    expect(errorMessage({ message: "plain object" })).toBe("plain object");
  });

  it("gives String() of any other thrown value", () => {
    expect(errorMessage("just text")).toBe("just text");
    expect(errorMessage(42)).toBe("42");
    expect(errorMessage(null)).toBe("null");
    expect(errorMessage(undefined)).toBe("undefined");
    expect(errorMessage({ message: 7 })).toBe("[object Object]");
  });
});

describe("messageOf", () => {
  it("is the message of anything with a string one, else undefined", () => {
    expect(messageOf(new Error("x"))).toBe("x");
    expect(messageOf({ message: "y", code: "ECONNREFUSED" })).toBe("y");
    expect(messageOf("x")).toBeUndefined();
    expect(messageOf(null)).toBeUndefined();
    expect(messageOf({ message: 1 })).toBeUndefined();
  });
});
