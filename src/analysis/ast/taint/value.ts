/**
 * The abstract value the taint engine computes for an expression: how much of it an attacker
 * may control, whether it was assembled at runtime, and the literal text around it.
 */

/** A literal or constant: nothing an attacker controls. */
export const CLEAN = 0;
/** Passed through a sanitiser, a number conversion or an allow-list check. */
export const SAFE = 1;
/** Not a literal, origin not visible within the function (a parameter, a call result). */
export const UNKNOWN = 2;
/** Carries data from a known source (a request, the command line, the environment). */
export const SOURCE = 3;

export type Level = typeof CLEAN | typeof SAFE | typeof UNKNOWN | typeof SOURCE;

export interface Source {
  /** What it is, for messages: "req.query", "request.args", "process.argv". */
  label: string;
  /** From the network (a request, an event, the page URL), not the local command line or environment. */
  remote: boolean;
}

/**
 * Objects whose members are sources: the request of a web framework, `process`, the page's
 * `location`, a serverless event.
 */
export type Container =
  | "request"
  | "koa"
  | "url"
  | "process"
  | "location"
  | "window"
  | "document"
  | "event"
  | "os"
  | "sys"
  | "goRequest"
  | "goUrl"
  | "goContext"
  | "goOs"
  | "javaRequest"
  | "javaSystem";

export interface Val {
  level: Level;
  /** A string assembled at runtime (concatenation, interpolation, formatting) with a non-constant part. */
  built: boolean;
  /** The literal fragments of the value, in order (capped). */
  text: string;
  /** The literal text the value is known to start with; undefined when it starts with a non-literal. */
  prefix?: string;
  source?: Source;
  container?: Container;
  /**
   * Unknown only through the application's own state: an attribute of `self`/`this` (set up at
   * construction, from configuration). A file read from such a path is the application's own data.
   */
  state?: boolean;
  /** Shape, when known: an object/dict literal, an array/list, a function, a number. */
  shape?: "object" | "array" | "function" | "number";
}

/** Literal text kept in a value (enough for the rules' `literal` checks). */
export const MAX_TEXT = 400;

export const clean = (text = "", shape?: Val["shape"]): Val => ({
  level: CLEAN,
  built: false,
  text: text.slice(0, MAX_TEXT),
  prefix: text.slice(0, MAX_TEXT),
  shape,
});
export const safe = (shape?: Val["shape"]): Val => ({ level: SAFE, built: false, text: "", shape });
export const unknown = (): Val => ({ level: UNKNOWN, built: false, text: "" });
export const sourced = (label: string, remote: boolean): Val => ({ level: SOURCE, built: false, text: "", source: { label, remote } });
export const containerVal = (container: Container, level: Level = UNKNOWN, source?: Source): Val => ({
  level,
  built: false,
  text: "",
  container,
  source,
});

function betterSource(a: Source | undefined, b: Source | undefined): Source | undefined {
  if (!a) return b;
  if (!b) return a;
  return !a.remote && b.remote ? b : a;
}

function commonPrefix(a: string | undefined, b: string | undefined): string | undefined {
  if (a === undefined || b === undefined) return undefined;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i > 0 ? a.slice(0, i) : undefined;
}

/** Either of two values (branches of a conditional, several definitions). */
export function join(values: readonly Val[]): Val {
  if (values.length === 0) return unknown();
  if (values.length === 1) return values[0];
  let level: Level = CLEAN;
  let built = false;
  let text = "";
  let source: Source | undefined;
  let prefix: string | undefined = values[0].prefix;
  for (const v of values) {
    if (v.level > level) level = v.level;
    built ||= v.built;
    if (text.length < MAX_TEXT) text += (text ? " " : "") + v.text;
    source = betterSource(source, v.source);
    prefix = commonPrefix(prefix, v.prefix);
  }
  const shapes = new Set(values.map((v) => v.shape));
  return {
    level,
    built,
    text: text.slice(0, MAX_TEXT),
    prefix,
    source,
    shape: shapes.size === 1 ? values[0].shape : undefined,
    state: stateOnly(values),
  };
}

/** Parts put together into one string (concatenation, template, f-string, format). */
export function concat(parts: readonly Val[]): Val {
  let level: Level = CLEAN;
  let built = false;
  let text = "";
  let source: Source | undefined;
  let prefix = "";
  let open = true;
  for (const p of parts) {
    if (p.level > level) level = p.level;
    if (p.level >= UNKNOWN || p.built) built = true;
    if (text.length < MAX_TEXT) text += p.text;
    source = betterSource(source, p.source);
    if (open) {
      if (p.level === CLEAN && p.prefix === p.text) prefix += p.text;
      else {
        // The known start ends at the first part that is not wholly literal.
        if (p.prefix) prefix += p.prefix;
        open = false;
      }
    }
  }
  return {
    level,
    built,
    text: text.slice(0, MAX_TEXT),
    prefix: open || prefix !== "" ? prefix.slice(0, MAX_TEXT) : undefined,
    source,
    state: stateOnly(parts),
  };
}

/** Whether every part that is not a constant is unknown only through the application's own state. */
function stateOnly(parts: readonly Val[]): boolean | undefined {
  let any = false;
  for (const p of parts) {
    if (p.level < UNKNOWN) continue;
    if (p.level !== UNKNOWN || !p.state) return undefined;
    any = true;
  }
  return any || undefined;
}

/** The same data, derived (a method result, a member, an element): keeps level and source, not the shape. */
export function derived(v: Val): Val {
  if (v.level <= SAFE) return { level: v.level, built: false, text: "", source: undefined };
  return { level: v.level, built: v.built, text: v.text, prefix: v.prefix, source: v.source, state: v.state };
}
