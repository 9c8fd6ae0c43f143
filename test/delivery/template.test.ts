import {
  batchTemplateData,
  compileTemplate,
  eventTemplateData,
  TemplateError,
  type TemplateEnvelope,
} from "../../src/delivery/template.js";

/** Renders one placeholder over { v: value }. */
function fmt(value: unknown, spec: string): string {
  return compileTemplate(`{v:${spec}}`).render({ v: value }) as string;
}

function templateError(fn: () => unknown): TemplateError {
  try {
    fn();
  } catch (err) {
    if (err instanceof TemplateError) return err;
    throw err;
  }
  throw new Error("expected a TemplateError");
}

describe("format specs: Python's outputs", () => {
  // Expected strings are CPython 3.11's format(value, spec) (value an int when integer-valued).
  const table: [unknown, string, string][] = [
    // percentages (the catalog's {confidence:.0%}); rounding is half-even on the exact binary value
    [0.87, ".0%", "87%"],
    [0.855, ".0%", "86%"],
    [0.125, ".1%", "12.5%"],
    [19 / 22, ".2%", "86.36%"],
    [1, ".0%", "100%"],
    [0.5, "%", "50.000000%"],
    // fixed point
    [3.14159, ".2f", "3.14"],
    [2.675, ".2f", "2.67"],
    [0.125, ".2f", "0.12"],
    [0.375, ".2f", "0.38"],
    [2.5, ".0f", "2"],
    [3.5, ".0f", "4"],
    [-2.5, ".0f", "-2"],
    [1e22, ".1f", "10000000000000000000000.0"],
    [-0.0001, ".2f", "-0.00"],
    [-0.0001, "z.2f", "0.00"],
    // grouping
    [1234567, ",", "1,234,567"],
    [1234567890, ",", "1,234,567,890"],
    [1234.5, ",", "1,234.5"],
    [1234567.891, ",.2f", "1,234,567.89"],
    [-1234567.891, ",.2f", "-1,234,567.89"],
    [1234567, "_", "1_234_567"],
    [0xdeadbeef, "_x", "dead_beef"],
    // width, fill, alignment (code points, not UTF-16 units)
    ["hello", ">10", "     hello"],
    ["hello", "<10", "hello     "],
    ["hello", "^10", "  hello   "],
    ["hi", "^5", " hi  "],
    ["centered", "*^30", "***********centered***********"],
    ["hello", "*^12", "***hello****"],
    ["naïve ☃", "-^11", "--naïve ☃--"],
    ["abcdef", ".3", "abc"],
    ["abcdef", "8.3", "abc     "],
    ["ab", "05", "ab000"],
    ["ab", ">05", "000ab"],
    [0.5, "10.1%", "     50.0%"],
    [0.5, "<10.1%", "50.0%     "],
    [0.5, "^10.1%", "  50.0%   "],
    [0.5, "*>10.1%", "*****50.0%"],
    // zero padding and sign
    [3.14159, "08.3f", "0003.142"],
    [-3.14159, "08.3f", "-003.142"],
    [3.14159, "+.2f", "+3.14"],
    [3.14159, " .2f", " 3.14"],
    [-3.14159, "+.2f", "-3.14"],
    [42, "+d", "+42"],
    [42, "=+8", "+     42"],
    [-42, "08d", "-0000042"],
    [1234, "010,", "00,001,234"],
    [1234, "09,", "0,001,234"],
    [1234, "08,", "0,001,234"],
    [-1234.5, "012,.2f", "-0,001,234.50"],
    // integer types
    [42, "d", "42"],
    [42, "x", "2a"],
    [255, "X", "FF"],
    [255, "#x", "0xff"],
    [255, "#X", "0XFF"],
    [8, "o", "10"],
    [8, "#o", "0o10"],
    [5, "b", "101"],
    [5, "#010b", "0b00000101"],
    [65, "c", "A"],
    [128512, "c", "😀"],
    [42, "n", "42"],
    // exponent and general
    [1234.5678, "e", "1.234568e+03"],
    [1234.5678, ".2e", "1.23e+03"],
    [1234.5678, "E", "1.234568E+03"],
    [0.00012345, ".3e", "1.234e-04"],
    [1, ".0e", "1e+00"],
    [1, "#.0e", "1.e+00"],
    [1234.5678, "g", "1234.57"],
    [1.234e-5, "g", "1.234e-05"],
    [123456789.5, "g", "1.23457e+08"],
    [100000, "g", "100000"],
    [1000000, "g", "1e+06"],
    [0.0001, "g", "0.0001"],
    [1.5, "#g", "1.50000"],
    [1234.5678, ".3g", "1.23e+03"],
    [1234.5678, "G", "1234.57"],
    [1e-10, "G", "1E-10"],
    // no type: repr(float), or "g" with at least one decimal when a precision is given
    [3.14159, ".3", "3.14"],
    [123.456, ".3", "1.23e+02"],
    [0.1, ".1", "0.1"],
    [0.1, "", "0.1"],
    [1.5e-5, "", "1.5e-05"],
    [0.1 + 0.2, "", "0.30000000000000004"],
    [2 ** 53, "", "9007199254740992"],
    // JS has one number type: an integer-valued number is a Python int (Python's float would
    // give "1e+22" / "1.0000000000000002e+16"), and a precision without a type makes it a float
    // (format(5, ".2") raises in Python; format(5.0, ".2") is "5.0").
    [1e22, "", "10000000000000000000000"],
    [1e16 + 2, "", "10000000000000002"],
    [5, ".2", "5.0"],
  ];

  it.each(table)("format(%p, %p) is %p", (value, spec, expected) => {
    expect(fmt(value, spec)).toBe(expected);
  });

  it("formats booleans as 1/0 under a numeric type and as JSON text otherwise", () => {
    expect(fmt(true, "d")).toBe("1");
    expect(fmt(false, ".1f")).toBe("0.0");
    expect(fmt(true, ">6")).toBe("  true");
    expect(compileTemplate("{a} {b} {c}").render({ a: true, b: null, c: false })).toBe("true null false");
  });

  it("formats several placeholders and literal braces in one string (as Python's str.format)", () => {
    const t = compileTemplate("{{literal}} {name:>6}|{n:,}|{p:.1%} }}{{");
    expect(t.render({ name: "ab", n: 1234567, p: 0.8765 })).toBe("{literal}     ab|1,234,567|87.6% }{");
  });

  it("refuses a value its spec cannot format, at render time, naming the field and path", () => {
    expect(templateError(() => compileTemplate({ t: "{v:.2f}" }).render({ v: "0.9" })).message).toBe(
      'payload_template.t: placeholder "{v:.2f}": format type "f" needs a number, got a string',
    );
    expect(templateError(() => fmt(1.5, "d")).detail).toMatch(/needs an integer/);
    expect(templateError(() => fmt("x", "+")).detail).toMatch(/sign is not allowed/);
    expect(templateError(() => fmt(5, "s")).detail).toMatch(/needs a string/);
    expect(templateError(() => fmt(["a"], "d")).detail).toMatch(/needs a number, got an array/);
  });
});

describe("compileTemplate", () => {
  const prediction = {
    prediction: 'Dropping "users.email" breaks the mobile client',
    confidence: 0.87,
    user_id: "octocat",
    tags: ["security", "migration"],
    evidence: { path: "db/migrate/001.sql", line: 12 },
    pr_number: 7,
    url: null,
  };

  it("renders a nested Slack template from the catalog's example", () => {
    const t = compileTemplate({
      text: "🔮 *Level 4 Prediction*",
      blocks: [
        {
          type: "section",
          text: { type: "mrkdwn", text: "*Prediction:* {prediction}\n*Confidence:* {confidence:.0%}\n*User:* {user_id}" },
        },
      ],
    });
    expect(t.fields).toEqual(["prediction", "confidence", "user_id"]);
    expect(t.render(prediction)).toEqual({
      text: "🔮 *Level 4 Prediction*",
      blocks: [
        {
          type: "section",
          text: {
            type: "mrkdwn",
            text: '*Prediction:* Dropping "users.email" breaks the mobile client\n*Confidence:* 87%\n*User:* octocat',
          },
        },
      ],
    });
  });

  it("keeps the JSON type of a string that is exactly one placeholder without a spec", () => {
    const t = compileTemplate({
      tags: "{tags}",
      confidence: "{confidence}",
      evidence: "{evidence}",
      line: "{evidence.line}",
      first: "{tags[0]}",
      also_first: "{tags.0}",
      url: "{url}",
      as_text: "{confidence:}",
      converted: "{pr_number!s}",
      quoted: "{user_id!r}",
      datadog_tags: ["empathy:level4", "confidence:{confidence}", "user:{user_id}"],
      constant: 3,
      flag: false,
      nothing: null,
    });
    const out = t.render(prediction) as Record<string, unknown>;
    expect(out).toEqual({
      tags: ["security", "migration"],
      confidence: 0.87,
      evidence: { path: "db/migrate/001.sql", line: 12 },
      line: 12,
      first: "security",
      also_first: "security",
      url: null,
      as_text: "0.87",
      converted: "7",
      quoted: '"octocat"',
      datadog_tags: ["empathy:level4", "confidence:0.87", "user:octocat"],
      constant: 3,
      flag: false,
      nothing: null,
    });
    // A fresh copy: editing the result does not touch the event.
    (out.tags as string[]).push("x");
    expect(prediction.tags).toEqual(["security", "migration"]);
  });

  it("puts arrays and objects inside strings as compact JSON text", () => {
    expect(compileTemplate("tags: {tags}; at {evidence}").render(prediction)).toBe(
      'tags: ["security","migration"]; at {"path":"db/migrate/001.sql","line":12}',
    );
  });

  it("escapes quotes, newlines, control characters and unicode in values through JSON, never by concatenation", () => {
    const nasty = 'He said "hi"\\n\nline2\t\u0001 </script> 😀 \u2028 ünïcödé {not_a_field}';
    const t = compileTemplate({ text: "Prediction: {prediction}", raw: "{prediction}", nested: ["{prediction:>5}"] });
    const body = JSON.stringify(t.render({ prediction: nasty }));
    expect(JSON.parse(body)).toEqual({ text: `Prediction: ${nasty}`, raw: nasty, nested: [nasty] });
    expect(body).toContain('\\"hi\\"');
    expect(body).toContain("\\n");
    expect(body).toContain("\\u0001");
    expect(body).not.toContain("undefined");
  });

  it("copies keys as they are, including __proto__, and leaves non-placeholder values alone", () => {
    const template = JSON.parse('{"__proto__": "{x}", "{x}": "y", "n": 1.5}');
    const out = compileTemplate(template).render({ x: "v" }) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(["__proto__", "{x}", "n"]);
    expect(Object.getOwnPropertyDescriptor(out, "__proto__")?.value).toBe("v");
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
  });

  it("reads own properties only, with [key] for any key", () => {
    const t = compileTemplate("{headers[Content-Type]} {a[b.c]}");
    expect(t.render({ headers: { "Content-Type": "json" }, a: { "b.c": 1 } })).toBe("json 1");
    expect(templateError(() => compileTemplate("{constructor}").render({})).detail).toBe('field "constructor" is missing from event data');
    expect(templateError(() => compileTemplate("{prediction.length}").render({ prediction: "abc" })).detail).toBe(
      'field "prediction.length" is missing from event data',
    );
  });

  it("refuses a missing field with the template path and field, never rendering undefined", () => {
    const t = compileTemplate({ blocks: [{ text: "{prediction} at {evidence.path}" }], other: "{ok}" });
    const err = templateError(() => t.render({ ok: 1, evidence: {} }));
    expect(err.message).toBe('payload_template.blocks[0].text: field "prediction" is missing from event data');
    expect(err.field).toBe("prediction");
    expect(err.segments).toEqual(["blocks", 0, "text"]);
    expect(templateError(() => t.render({ ok: 1, prediction: "p", evidence: {} })).message).toBe(
      'payload_template.blocks[0].text: field "evidence.path" is missing from event data',
    );
    expect(templateError(() => compileTemplate({ "odd key": ["{x}"] }).render({})).message).toBe(
      'payload_template["odd key"][0]: field "x" is missing from event data',
    );
    expect(templateError(() => compileTemplate({ tags: "{tags[5]}" }).render({ tags: [] })).message).toBe(
      'payload_template.tags: field "tags[5]" is missing from event data',
    );
    // null is a value, not a missing field
    expect(compileTemplate("{x}!").render({ x: null })).toBe("null!");
  });

  it.each([
    ["{prediction", /unclosed placeholder "\{prediction"/],
    ["a } b", /single "}" at character 3/],
    ["{}", /no field name/],
    ['{ "a": 1 }', /whitespace in a field name \(for a literal brace write \{\{ or \}\}\)/],
    ["{x:.0q}", /unknown format type "q"/],
    ["{x:.f}", /missing its precision/],
    ["{x:<<<}", /invalid format spec "<<<"/],
    ["{x:.2d}", /precision is not allowed with integer type "d"/],
    ["{x:,x}", /"," cannot be used with type "x"/],
    ["{x:+s}", /sign is not allowed with type "s"/],
    ["{x:={w}}", /nested placeholders in a format spec are not supported/],
    ["{x!a}", /conversion "!a" is not supported/],
    ["{x:99999}", /width above 10000/],
    ["{a..b}", /empty name after "."/],
    ["{a[}", /"\[" without "\]"|unclosed/],
  ])("refuses %p at compile time", (template, message) => {
    const err = templateError(() => compileTemplate({ text: template }));
    expect(err.templatePath).toBe("payload_template.text");
    expect(err.message).toMatch(/^payload_template\.text: /);
    expect(err.message).toMatch(message);
  });

  it("refuses values that are not JSON, and names a custom root", () => {
    expect(templateError(() => compileTemplate({ a: [1, () => 1] })).message).toBe(
      "payload_template.a[1]: a template must be JSON (found function)",
    );
    expect(templateError(() => compileTemplate({ a: NaN })).detail).toMatch(/finite/);
    expect(templateError(() => compileTemplate({ d: new Date() })).detail).toMatch(/plain JSON object/);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(templateError(() => compileTemplate(cyclic)).detail).toMatch(/cycle/);
    expect(templateError(() => compileTemplate({ t: "{" }, { root: "webhooks[0].payload_template" })).message).toMatch(
      /^webhooks\[0\]\.payload_template\.t: /,
    );
  });

  it("lists fields once each, in order, as written", () => {
    expect(compileTemplate({ a: "{x} {y.z} {x:>3}", b: ["{events[0].data.prediction}", "{count}"] }).fields).toEqual([
      "x",
      "y.z",
      "events[0].data.prediction",
      "count",
    ]);
    expect(compileTemplate({ a: "plain", b: 1 }).fields).toEqual([]);
  });
});

describe("template data", () => {
  const envelope: TemplateEnvelope = {
    id: "evt_1",
    event_type: "level_4_prediction",
    timestamp: "2025-01-01T00:00:00.000Z",
    data: { prediction: "p", confidence: 0.9, timestamp: "2024-12-31T23:59:59.000Z", event_type: "spoofed" },
  };

  it("merges the envelope's id, event_type and timestamp into the data (data's own timestamp wins; event_type is the envelope's)", () => {
    expect(eventTemplateData(envelope)).toEqual({
      id: "evt_1",
      event_type: "level_4_prediction",
      timestamp: "2024-12-31T23:59:59.000Z",
      prediction: "p",
      confidence: 0.9,
    });
    const t = compileTemplate({ text: "{event_type} {id}: {prediction} ({confidence:.0%})" });
    expect(t.render(eventTemplateData(envelope))).toEqual({ text: "level_4_prediction evt_1: p (90%)" });
  });

  it("gives batch templates events, count, a shared event_type and the first timestamp", () => {
    const second = { ...envelope, id: "evt_2", data: { prediction: "q", confidence: 0.5 } };
    const data = batchTemplateData([envelope, second], { id: "batch_1" });
    expect(data).toMatchObject({ count: 2, event_type: "level_4_prediction", timestamp: envelope.timestamp, id: "batch_1" });
    const t = compileTemplate({ text: "{count} predictions, first: {events[0].data.prediction}", events: "{events}" });
    expect(t.render(data)).toEqual({ text: "2 predictions, first: p", events: JSON.parse(JSON.stringify([envelope, second])) });
    expect(batchTemplateData([envelope, { ...second, event_type: "test" }]).event_type).toBe("*");
  });
});
