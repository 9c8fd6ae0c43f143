import { suggest } from "./helpers.js";

const RULE = "js/xss-dom";

describe("suggested fix: textContent instead of innerHTML", () => {
  it.each([
    ["  status.innerHTML = message;", "  status.textContent = message;"],
    ['el.innerHTML = "Hello, " + user.name + "!"; // greet', 'el.textContent = "Hello, " + user.name + "!"; // greet'],
    ["out.innerHTML = `${count} results for ${query}`", "out.textContent = `${count} results for ${query}`"],
    ["if (ok) { label.innerHTML = params.get('q') }", null],
    ["if (ok) { label.innerHTML = q }", "if (ok) { label.textContent = q }"],
  ])("%s", (line, fixed) => {
    const s = suggest(RULE, "javascript", [line], "innerHTML");
    expect(s?.replacement ?? null).toBe(fixed);
  });

  it("reads an assignment over two lines", () => {
    const code = ["box.innerHTML =", '  "Saved: " + name;'];
    expect(suggest(RULE, "typescript", code, "innerHTML", [1, 2])).toEqual({ startLine: 1, endLine: 1, replacement: "box.textContent =" });
  });

  it.each([
    ["markup in a literal", 'el.innerHTML = "<b>" + name + "</b>";'],
    ["an entity", 'el.innerHTML = name + "&nbsp;";'],
    ["markup in a template", "el.innerHTML = `<li>${item}</li>`;"],
    ["a value named as markup", "el.innerHTML = rowHtml;"],
    ["a template value", "el.innerHTML = template;"],
    ["a sanitised value (HTML on purpose)", "el.innerHTML = DOMPurify.sanitize(input);"],
    ["a call", "el.innerHTML = render(data);"],
    ["appending (keeps the children)", "el.innerHTML += line;"],
    ["outerHTML", "el.outerHTML = text;"],
    ["a comparison", "if (el.innerHTML == text) go();"],
    ["two assignments", "a.innerHTML = b.innerHTML = text;"],
    ["an escape that could spell markup", 'el.innerHTML = "\\x3cb" + name;'],
    ["a trailing comment without a semicolon", "el.innerHTML = msg // shown"],
  ])("no suggestion: %s", (_why, line) => {
    expect(suggest(RULE, "javascript", [line], "HTML")).toBeUndefined();
  });
});
