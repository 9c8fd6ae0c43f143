/**
 * Terraform files read for the Terraform predictor (see terraform.ts): a small HCL block reader
 * (blocks, attributes, multi-line values, heredocs, comments) that gives each attribute its block
 * and its lines, and the readers of an attribute's literal value (a string, a boolean, a number,
 * the strings of a list). None of them throws.
 */

export interface Attr {
  value: string;
  line: number;
  endLine: number;
}

export interface HclBlock {
  type: string;
  labels: string[];
  start: number;
  end: number;
  attrs: Map<string, Attr>;
  children: HclBlock[];
}

/** Brackets opened minus closed, outside strings; `#`, `//` comments end the count. */
function balance(text: string): number {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === "\\") i++;
      continue;
    }
    if (c === "#" || (c === "/" && text[i + 1] === "/")) break;
    if (c === "(" || c === "[" || c === "{") depth++;
    else if (c === ")" || c === "]" || c === "}") depth--;
  }
  return depth;
}

/** Blocks and attributes of HCL lines (a hunk may start inside a block: its attributes go to the root). Never throws. */
export function parseHcl(lines: readonly string[]): HclBlock {
  const root: HclBlock = { type: "", labels: [], start: 0, end: lines.length - 1, attrs: new Map(), children: [] };
  const stack: HclBlock[] = [root];
  let inComment = false;
  for (let i = 0; i < lines.length; i++) {
    let text = lines[i];
    if (inComment) {
      const close = text.indexOf("*/");
      if (close < 0) continue;
      inComment = false;
      text = text.slice(close + 2);
    }
    const open = text.indexOf("/*");
    if (open >= 0 && !text.slice(0, open).includes('"')) {
      if (text.indexOf("*/", open + 2) < 0) inComment = true;
      text = text.slice(0, open);
    }
    const t = text.trim();
    if (t === "" || t.startsWith("#") || t.startsWith("//")) continue;
    const top = stack[stack.length - 1];
    if (/^\}/.test(t)) {
      if (stack.length > 1) {
        top.end = i;
        stack.pop();
      }
      continue;
    }
    const attr = /^([\w-]+)\s*=\s*(.*)$/.exec(t);
    if (attr) {
      const name = attr[1];
      let value = attr[2];
      const start = i;
      const heredoc = /^<<-?\s*["']?(\w+)["']?\s*$/.exec(value.trim());
      if (heredoc) {
        for (let j = i + 1; j < lines.length; j++) {
          value += "\n" + lines[j];
          i = j;
          if (lines[j].trim() === heredoc[1]) break;
        }
      } else {
        let depth = balance(value);
        while (depth > 0 && i + 1 < lines.length && i - start < 400) {
          i++;
          value += "\n" + lines[i];
          depth += balance(lines[i]);
        }
      }
      top.attrs.set(name, { value, line: start, endLine: i });
      continue;
    }
    const header = /^([\w-]+)((?:\s+(?:"[^"]*"|[\w-]+))*)\s*\{\s*(.*?)\s*$/.exec(t);
    if (header) {
      const labels = (header[2].match(/"[^"]*"|[\w-]+/g) ?? []).map((l) => l.replace(/^"|"$/g, ""));
      const block: HclBlock = { type: header[1], labels, start: i, end: i, attrs: new Map(), children: [] };
      top.children.push(block);
      const rest = header[3];
      if (rest.endsWith("}")) {
        // One-line block: `ingress { from_port = 22 }` (several attributes are not split: enough here)
        const inner = /^([\w-]+)\s*=\s*(.*?)\s*\}$/.exec(rest);
        if (inner) block.attrs.set(inner[1], { value: inner[2], line: i, endLine: i });
      } else stack.push(block);
    }
  }
  return root;
}

// ---------------------------------------------------------------------------------------------

export function stringValue(raw: string | undefined): string | undefined {
  const m = raw === undefined ? null : /^\s*"([^"]*)"\s*(?:#.*|\/\/.*)?$/.exec(raw);
  return m ? m[1] : undefined;
}
export function boolValue(raw: string | undefined): boolean | undefined {
  const m = raw === undefined ? null : /^\s*(true|false)\s*(?:#.*|\/\/.*)?$/.exec(raw);
  return m ? m[1] === "true" : undefined;
}
export function numberValue(raw: string | undefined): number | undefined {
  const m = raw === undefined ? null : /^\s*"?(-?\d+)"?\s*(?:#.*|\/\/.*)?$/.exec(raw);
  return m ? Number(m[1]) : undefined;
}
export function strings(raw: string | undefined): string[] {
  return raw === undefined ? [] : [...raw.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
}
