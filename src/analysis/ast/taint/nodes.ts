/** Small helpers on tree-sitter nodes and source text, shared by the evaluator's modules. */
import type { SgNode } from "@ast-grep/napi";

/** How much of a node a label shows. */
export const MAX_LABEL = 60;

/** A node's child in a tree-sitter field (napi's typed `field` wants a known kind map). */
export function fld(n: SgNode | null | undefined, name: string): SgNode | null {
  if (!n) return null;
  return (n as unknown as { field(name: string): SgNode | null }).field(name) ?? null;
}

export function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

export function compact(text: string): string {
  return text.replace(/\s+/g, "").slice(0, 200);
}

export function stripQuotes(text: string): string {
  return text.replace(/^[a-zA-Z]{0,3}("""|'''|"|'|`)/, "").replace(/("""|'''|"|'|`)$/, "");
}

/** Names the plain-name indexes answer for; others are searched for in full (and charged for it). */
export const PLAIN_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
/** A dotted name (`a.b.c`): the names dottedKeys finds in a text. */
export const DOTTED_NAME = /^[\w$]+(?:\.[\w$]+)*$/;
