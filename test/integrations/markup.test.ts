/**
 * The escaping helpers every service's builder uses: escaping after the cut (an entity or an
 * escape is never split), each markup's specials, http(s)-only links.
 */
import {
  codeSpanText,
  escapeDatadog,
  escapeDiscord,
  escapeGitHub,
  escapeJiraWiki,
  escapeSlack,
  fitEscaped,
  safeUrl,
  stripControl,
  utf8Bytes,
} from "../../src/integrations/markup.js";

describe("markup", () => {
  it("escapes after the cut: an entity is never cut in half, and the result fits", () => {
    // Escaping first and cutting after would leave "&a…".
    const text = `${"x".repeat(8)}&&&`;
    for (let max = 2; max <= 30; max++) {
      const out = fitEscaped(text, max, escapeSlack);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out).not.toMatch(/&(?!amp;)/); // every & begins a whole &amp;
    }
    expect(fitEscaped(text, 13, escapeSlack)).toBe("xxxxxxxx…");
    expect(fitEscaped(text, 14, escapeSlack)).toBe("xxxxxxxx&amp;…");
    expect(fitEscaped("a<b", 100, escapeSlack)).toBe("a&lt;b");
  });

  it("never leaves half an escape for Discord or Datadog, nor half a surrogate pair", () => {
    for (let max = 2; max <= 12; max++) {
      const out = fitEscaped("ab**cd__ef", max, escapeDiscord);
      expect(out.length).toBeLessThanOrEqual(max);
      expect(out.replace(/\\[^]/g, "")).not.toMatch(/[\\*_]/); // every special is escaped, every backslash escapes one
    }
    expect(fitEscaped("😀😀😀", 4)).toBe("😀…");
  });

  it("escapes each markup's specials", () => {
    const evil = "<!channel> @everyone <@U1> [x](https://evil.example) **b** %%% [~admin] {code}";
    expect(escapeSlack(evil)).toBe("&lt;!channel&gt; @everyone &lt;@U1&gt; [x](https://evil.example) **b** %%% [~admin] {code}");
    expect(escapeDiscord(evil)).toBe(
      "\\<!channel\\> \\@everyone \\<\\@U1\\> \\[x\\](https://evil.example) \\*\\*b\\*\\* %%% \\[\\~admin\\] {code}",
    );
    const dd = escapeDatadog(evil);
    expect(dd).not.toContain("@");
    expect(dd).not.toContain("%%%");
    expect(dd).toContain("\\[x\\]\\(https://evil.example\\)");
    expect(escapeGitHub("@alice see #12 and org/repo#3 [x](u)")).toBe("@\u200balice see #\u200b12 and org/repo#\u200b3 \\[x\\](u)");
    expect(escapeJiraWiki("[~admin] [x|https://evil.example] {code} *b*")).toBe(
      "\\[\\~admin\\] \\[x\\|https://evil.example\\] \\{code\\} \\*b\\*",
    );
  });

  it("keeps links to http(s), strips control characters and backticks in code spans, counts UTF-8 bytes", () => {
    expect(safeUrl("https://github.com/o/r/pull/1")).toBe("https://github.com/o/r/pull/1");
    expect(safeUrl("javascript:alert(1)")).toBeNull();
    expect(safeUrl("not a url")).toBeNull();
    expect(stripControl("a\u0000b\u0007c\nd\te")).toBe("abc\nd\te");
    expect(codeSpanText("a`b")).toBe("a'b");
    expect(utf8Bytes("日本")).toBe(6);
  });
});
