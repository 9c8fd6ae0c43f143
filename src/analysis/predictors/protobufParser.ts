/**
 * A .proto file read for the Protocol Buffers comparison (see protobuf.ts): a tokenizer and a
 * tolerant parser of its package, messages (nested ones as Outer.Inner), enums, services and
 * their `reserved` numbers and names. It never throws; a file it cannot read gives undefined.
 */

export interface Reserved {
  ranges: [number, number][];
  names: Set<string>;
}

export function parseReserved(text: string): Reserved {
  const out: Reserved = { ranges: [], names: new Set() };
  for (const part of text.replace(/;.*$/, "").split(",")) {
    const p = part.trim();
    const name = /^["']([\w]+)["']$/.exec(p);
    if (name) {
      out.names.add(name[1]);
      continue;
    }
    const range = /^(\d+)\s*(?:to\s*(\d+|max))?$/.exec(p);
    if (range)
      out.ranges.push([Number(range[1]), range[2] === undefined ? Number(range[1]) : range[2] === "max" ? 536_870_911 : Number(range[2])]);
    else if (/^[A-Za-z_]\w*$/.test(p)) out.names.add(p); // editions: reserved foo;
  }
  return out;
}

export function reservedHas(r: Reserved, n: number): boolean {
  return r.ranges.some(([lo, hi]) => n >= lo && n <= hi);
}

interface PToken {
  kind: "name" | "punct" | "string" | "number";
  value: string;
  line: number;
}

function tokenize(text: string): PToken[] {
  const out: PToken[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === "\n") {
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r" || c === "\uFEFF") i++;
    else if (c === "/" && text[i + 1] === "/") {
      while (i < n && text[i] !== "\n") i++;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end < 0 ? n : end + 2;
      for (let j = i; j < stop; j++) if (text[j] === "\n") line++;
      i = stop;
    } else if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < n && text[j] !== c && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      out.push({ kind: "string", value: text.slice(i + 1, Math.min(j, n)), line });
      i = j + 1;
    } else if (/[A-Za-z_.]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w.]/.test(text[j])) j++;
      out.push({ kind: "name", value: text.slice(i, j), line });
      i = j;
    } else if (/[-+\d]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w.+-]/.test(text[j])) j++;
      out.push({ kind: "number", value: text.slice(i, j), line });
      i = j;
    } else {
      out.push({ kind: "punct", value: c, line });
      i++;
    }
  }
  return out;
}

interface PField {
  name: string;
  number: number;
  type: string;
  label: string;
  line: number;
  typeLine: number;
}
interface PMessage {
  line: number;
  fields: PField[];
  reserved: Reserved;
}
interface PEnum {
  line: number;
  values: Map<string, { number: number; line: number }>;
  reserved: Reserved;
}
interface PRpc {
  line: number;
  request: string;
  response: string;
}
export interface ProtoFile {
  pkg?: { name: string; line: number };
  messages: Map<string, PMessage>;
  enums: Map<string, PEnum>;
  services: Map<string, { line: number; rpcs: Map<string, PRpc> }>;
}

const LABELS = new Set(["optional", "required", "repeated"]);

/** Messages (nested ones as Outer.Inner), enums and services of a .proto file. Never throws. */
export function parseProto(text: string): ProtoFile | undefined {
  const t = tokenize(text);
  const file: ProtoFile = { messages: new Map(), enums: new Map(), services: new Map() };
  let i = 0;
  const is = (v: string) => t[i]?.value === v;
  const skipStatement = () => {
    // to the next ";" at this level, or over a balanced {...} block
    let depth = 0;
    for (; i < t.length; i++) {
      const v = t[i].kind === "punct" ? t[i].value : "";
      if (v === "{") depth++;
      else if (v === "}") {
        if (depth === 0) return;
        if (--depth === 0) {
          i++;
          return;
        }
      } else if (v === ";" && depth === 0) {
        i++;
        return;
      }
    }
  };
  const skipBracket = (open: string, close: string) => {
    if (!is(open)) return;
    let depth = 0;
    for (; i < t.length; i++) {
      if (t[i].value === open && t[i].kind === "punct") depth++;
      else if (t[i].value === close && t[i].kind === "punct" && --depth === 0) {
        i++;
        return;
      }
    }
  };
  const reservedStatement = (r: Reserved) => {
    const start = t[i].line;
    i++;
    const parts: string[] = [];
    let cur = "";
    while (i < t.length && !is(";") && !is("}")) {
      if (t[i].value === "," && t[i].kind === "punct") {
        parts.push(cur);
        cur = "";
      } else cur += (cur ? " " : "") + (t[i].kind === "string" ? `"${t[i].value}"` : t[i].value);
      i++;
    }
    parts.push(cur);
    if (is(";")) i++;
    const parsed = parseReserved(parts.join(","));
    r.ranges.push(...parsed.ranges);
    for (const n of parsed.names) r.names.add(n);
    void start;
  };
  const enumBody = (name: string, line: number) => {
    const e: PEnum = { line, values: new Map(), reserved: { ranges: [], names: new Set() } };
    file.enums.set(name, e);
    i++; // {
    while (i < t.length && !is("}")) {
      if (is("reserved")) reservedStatement(e.reserved);
      else if (t[i].kind === "name" && t[i].value !== "option" && t[i + 1]?.value === "=" && t[i + 2]?.kind === "number") {
        e.values.set(t[i].value, { number: Number(t[i + 2].value), line: t[i].line });
        i += 3;
        skipBracket("[", "]");
        if (is(";")) i++;
      } else skipStatement();
    }
    i++;
  };
  const messageBody = (name: string, line: number, depth: number) => {
    const m: PMessage = { line, fields: [], reserved: { ranges: [], names: new Set() } };
    file.messages.set(name, m);
    i++; // {
    const field = () => {
      const start = i;
      let label = "";
      if (t[i].kind === "name" && LABELS.has(t[i].value) && t[i + 1]?.kind === "name") label = t[i++].value;
      let type: string;
      const typeLine = t[i].line;
      if (is("map") && t[i + 1]?.value === "<") {
        let s = "map<";
        i += 2;
        while (i < t.length && !is(">")) s += t[i++].value;
        i++;
        type = `${s}>`;
      } else type = t[i++]?.value ?? "";
      const nameTok = t[i];
      if (nameTok?.kind === "name" && t[i + 1]?.value === "=" && t[i + 2]?.kind === "number") {
        m.fields.push({
          name: nameTok.value,
          number: Number(t[i + 2].value),
          type: type.replace(/^\./, ""),
          label,
          line: nameTok.line,
          typeLine,
        });
        i += 3;
        skipBracket("[", "]");
        if (is(";")) i++;
        return;
      }
      i = start;
      skipStatement();
    };
    while (i < t.length && !is("}")) {
      const v = t[i].value;
      if (t[i].kind !== "name") {
        skipStatement();
        if (is("}") && t[i].kind === "punct") break;
        continue;
      }
      if ((v === "message" || v === "enum") && t[i + 1]?.kind === "name" && t[i + 2]?.value === "{") {
        const inner = `${name}.${t[i + 1].value}`;
        const l = t[i + 1].line;
        i += 2;
        if (v === "message" && depth < 32) messageBody(inner, l, depth + 1);
        else if (v === "enum") enumBody(inner, l);
        else skipStatement();
      } else if (v === "reserved") reservedStatement(m.reserved);
      else if (v === "oneof" && t[i + 1]?.kind === "name" && t[i + 2]?.value === "{") {
        i += 3;
        while (i < t.length && !is("}")) {
          if (is("option")) skipStatement();
          else field();
        }
        i++;
      } else if (v === "option" || v === "extensions" || v === "extend" || v === "group") skipStatement();
      else field();
    }
    i++;
  };

  while (i < t.length) {
    const tok = t[i];
    if (tok.kind !== "name") {
      i++;
      continue;
    }
    if (tok.value === "package" && t[i + 1]?.kind === "name") {
      file.pkg = { name: t[i + 1].value, line: tok.line };
      i += 2;
      if (is(";")) i++;
    } else if ((tok.value === "message" || tok.value === "enum") && t[i + 1]?.kind === "name" && t[i + 2]?.value === "{") {
      const name = t[i + 1].value;
      const line = t[i + 1].line;
      i += 2;
      if (tok.value === "message") messageBody(name, line, 0);
      else enumBody(name, line);
    } else if (tok.value === "service" && t[i + 1]?.kind === "name" && t[i + 2]?.value === "{") {
      const svc = { line: t[i + 1].line, rpcs: new Map<string, PRpc>() };
      file.services.set(t[i + 1].value, svc);
      i += 3;
      while (i < t.length && !is("}")) {
        if (is("rpc") && t[i + 1]?.kind === "name") {
          const name = t[i + 1].value;
          const line = t[i + 1].line;
          i += 2;
          const sig: string[] = [];
          while (i < t.length && !is("{") && !is(";") && !is("}")) {
            if (t[i].kind === "name" && t[i].value !== "returns") sig.push(t[i].value);
            else if (t[i].value === "returns") sig.push("->");
            i++;
          }
          const arrow = sig.indexOf("->");
          svc.rpcs.set(name, {
            line,
            request: (arrow >= 0 ? sig.slice(0, arrow) : sig).join(" ").replace(/(^|\s)\./g, "$1"),
            response: (arrow >= 0 ? sig.slice(arrow + 1) : []).join(" ").replace(/(^|\s)\./g, "$1"),
          });
          if (is("{")) skipBracket("{", "}");
          if (is(";")) i++;
        } else skipStatement();
      }
      i++;
    } else skipStatement();
  }
  return file.messages.size + file.enums.size + file.services.size > 0 || file.pkg ? file : undefined;
}
