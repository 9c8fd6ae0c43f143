/**
 * Accessibility checks of a page in a real browser: axe-core's WCAG 2 A/AA rules (its source
 * injected into the page, so the context needs `bypassCSP: true` under a strict CSP), and a walk
 * with the Tab key that must reach every interactive control in document order, each with a
 * visible focus indicator. No jest globals.
 */
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import type { Page } from "playwright-core";

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  rule: string;
  impact: string | null;
  help: string;
  /** Each failing element: its CSS selector, its markup (shortened) and why it fails. */
  nodes: { target: string; html: string; why: string }[];
}

/** axe-core's WCAG 2.0/2.1 A and AA violations of the page as it is now. */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  if (!(await page.evaluate("typeof globalThis.axe === 'object'"))) await page.addScriptTag({ content: AXE_SOURCE });
  const result = (await page.evaluate(
    `axe.run(document, { runOnly: { type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"] }, resultTypes: ["violations"] })`,
  )) as {
    violations: {
      id: string;
      impact: string | null;
      help: string;
      nodes: { target: unknown[]; html: string; failureSummary?: string }[];
    }[];
  };
  return result.violations.map((v) => ({
    rule: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => ({
      target: n.target.map(String).join(" "),
      html: n.html.slice(0, 200),
      why: (n.failureSummary ?? "").replace(/\s+/g, " ").trim(),
    })),
  }));
}

/** One interactive control, as the Tab walk names it. */
export interface Control {
  index: number;
  /** e.g. `a "Live events"`, `button "Pause"`, `select #f-type`. */
  name: string;
}

export interface TabWalk {
  /** The interactive controls of the page, in document order (hidden ones left out). */
  controls: Control[];
  /** What each press of Tab focused: a control's index, or -1 for something that is not one of them. */
  reached: number[];
  /** Controls that had focus without a visible indicator (no outline, no box shadow, or not :focus-visible). */
  invisibleFocus: string[];
  /** Whether some stylesheet of the page has a :focus-visible rule. */
  focusVisibleRule: boolean;
}

// Marks every focusable, visible control with its document-order index and names it.
const MARK_CONTROLS = `(() => {
  const selector = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, [tabindex]';
  const controls = [];
  for (const el of document.querySelectorAll(selector)) {
    el.removeAttribute("data-tab-index");
    if (el.disabled || el.tabIndex < 0 || el.closest("[inert]")) continue;
    // A closed <details> hides its content (not its summary) from focus; display:none and
    // visibility:hidden hide it too. Off-screen (the skip link) is still reachable.
    if (!el.checkVisibility({ visibilityProperty: true, contentVisibilityAuto: true })) continue;
    const label = (el.getAttribute("aria-label") || el.textContent || el.value || el.getAttribute("name") || "").replace(/\\s+/g, " ").trim().slice(0, 60);
    el.setAttribute("data-tab-index", String(controls.length));
    controls.push({ index: controls.length, name: el.tagName.toLowerCase() + (el.id ? " #" + el.id : "") + ' "' + label + '"' });
  }
  return controls;
})()`;

// The focused element: its index, and whether its focus shows.
const FOCUSED = `(() => {
  const el = document.activeElement;
  if (!el || el === document.body) return { index: -1, visible: true, name: "body" };
  const s = getComputedStyle(el);
  const outline = s.outlineStyle !== "none" && parseFloat(s.outlineWidth) > 0;
  const shadow = s.boxShadow !== "none";
  const index = el.hasAttribute("data-tab-index") ? Number(el.getAttribute("data-tab-index")) : -1;
  const detail = "focus-visible: " + el.matches(":focus-visible") + ", outline: " + s.outlineStyle + " " + s.outlineWidth + ", box-shadow: " + s.boxShadow;
  return { index, visible: el.matches(":focus-visible") && (outline || shadow), name: el.tagName.toLowerCase() + " " + (el.textContent || "").trim().slice(0, 40), detail };
})()`;

const HAS_FOCUS_VISIBLE_RULE = `(() => {
  for (const sheet of document.styleSheets) {
    let rules;
    try { rules = sheet.cssRules; } catch { continue; }
    for (const rule of rules) if (rule.selectorText && rule.selectorText.includes(":focus-visible")) return true;
  }
  return false;
})()`;

/**
 * Presses Tab until focus has moved once per control (a control with inner fields, like a
 * date-time input, takes several presses: counted once), recording what gets focus. Call it on
 * a freshly loaded page (nothing focused or clicked yet: Tab starts from the top). `reached`
 * equal to 0..n-1 means every control is reached, in document order.
 */
export async function walkWithTab(page: Page): Promise<TabWalk> {
  const controls = (await page.evaluate(MARK_CONTROLS)) as Control[];
  const reached: number[] = [];
  const invisibleFocus: string[] = [];
  for (let presses = 0; reached.length < controls.length && presses < controls.length * 8; presses++) {
    await page.keyboard.press("Tab");
    const f = (await page.evaluate(FOCUSED)) as { index: number; visible: boolean; name: string; detail: string };
    if (f.index >= 0 && f.index === reached.at(-1)) continue; // the next field of the same control
    reached.push(f.index);
    if (!f.visible) invisibleFocus.push(`${f.index >= 0 ? controls[f.index].name : f.name} (${f.detail})`);
  }
  return { controls, reached, invisibleFocus, focusVisibleRule: (await page.evaluate(HAS_FOCUS_VISIBLE_RULE)) as boolean };
}
