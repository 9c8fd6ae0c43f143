/**
 * A GraphQL schema read for the comparison (see graphql.ts): a tokenizer and a tolerant parser
 * of its type definitions (types, interfaces, inputs, enums, unions, scalars) with their
 * fields, arguments, defaults, values and members, each with its line.
 */

interface Token {
  kind: "name" | "punct" | "string" | "number";
  value: string;
  line: number;
}

/** SDL tokens; comments, commas and descriptions' contents are dropped. Never throws. */
function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let line = 1;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i];
    if (c === "\n") {
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r" || c === "," || c === "\uFEFF") i++;
    else if (c === "#") {
      while (i < n && text[i] !== "\n") i++;
    } else if (text.startsWith('"""', i)) {
      const start = line;
      const end = text.indexOf('"""', i + 3);
      const stop = end < 0 ? n : end + 3;
      for (let j = i; j < stop; j++) if (text[j] === "\n") line++;
      out.push({ kind: "string", value: "", line: start });
      i = stop;
    } else if (c === '"') {
      let j = i + 1;
      while (j < n && text[j] !== '"' && text[j] !== "\n") j += text[j] === "\\" ? 2 : 1;
      out.push({ kind: "string", value: "", line });
      i = j + 1;
    } else if (/[A-Za-z_]/.test(c)) {
      let j = i + 1;
      while (j < n && /\w/.test(text[j])) j++;
      out.push({ kind: "name", value: text.slice(i, j), line });
      i = j;
    } else if (/[-\d]/.test(c)) {
      let j = i + 1;
      while (j < n && /[\w.+-]/.test(text[j])) j++;
      out.push({ kind: "number", value: text.slice(i, j), line });
      i = j;
    } else if (text.startsWith("...", i)) {
      out.push({ kind: "punct", value: "...", line });
      i += 3;
    } else {
      out.push({ kind: "punct", value: c, line });
      i++;
    }
  }
  return out;
}

interface GqlArg {
  line: number;
  type: string;
  hasDefault: boolean;
}
interface GqlField {
  line: number;
  type: string;
  args: Map<string, GqlArg>;
  hasDefault: boolean;
}
export interface GqlType {
  kind: string;
  line: number;
  fields: Map<string, GqlField>;
  values: Map<string, number>;
  members: Map<string, number>;
}

const DEF_KINDS = new Set(["type", "interface", "input", "enum", "union", "scalar"]);

/** The types of a schema (extensions merged). Undefined when nothing readable is there. */
export function parseSchema(text: string): Map<string, GqlType> | undefined {
  const t = tokenize(text);
  const types = new Map<string, GqlType>();
  let i = 0;
  const peek = (v: string) => t[i]?.value === v && t[i].kind === "punct";
  const skipBalanced = () => {
    const open = t[i]?.value;
    const close = open === "(" ? ")" : open === "[" ? "]" : open === "{" ? "}" : undefined;
    if (!close) {
      i++;
      return;
    }
    let depth = 0;
    for (; i < t.length; i++) {
      if (t[i].kind !== "punct") continue;
      if (t[i].value === open) depth++;
      else if (t[i].value === close && --depth === 0) {
        i++;
        return;
      }
    }
  };
  const directives = () => {
    while (peek("@")) {
      i += 2;
      if (peek("(")) skipBalanced();
    }
  };
  const typeRef = (): string => {
    let s = "";
    if (peek("[")) {
      i++;
      s = `[${typeRef()}]`;
      if (peek("]")) i++;
    } else if (t[i]?.kind === "name") s = t[i++].value;
    else return s;
    if (peek("!")) {
      i++;
      s += "!";
    }
    return s;
  };
  const value = () => {
    if (peek("[") || peek("{")) skipBalanced();
    else if (peek("$")) i += 2;
    else i++;
  };
  const inputValues = (close: string): Map<string, GqlArg> => {
    const out = new Map<string, GqlArg>();
    while (i < t.length && !peek(close)) {
      if (t[i].kind === "string") {
        i++;
        continue;
      }
      if (t[i].kind !== "name" || t[i + 1]?.value !== ":") {
        i++;
        continue;
      }
      const name = t[i];
      i += 2;
      const type = typeRef();
      let hasDefault = false;
      if (peek("=")) {
        i++;
        hasDefault = true;
        value();
      }
      directives();
      out.set(name.value, { line: name.line, type, hasDefault });
    }
    if (peek(close)) i++;
    return out;
  };

  while (i < t.length) {
    const tok = t[i];
    if (tok.kind === "string" || tok.value === "extend") {
      i++;
      continue;
    }
    if (tok.kind !== "name") {
      i++;
      continue;
    }
    if (tok.value === "schema") {
      i++;
      directives();
      if (peek("{")) skipBalanced();
      continue;
    }
    if (tok.value === "directive") {
      i++;
      while (i < t.length && !(t[i].kind === "name" && t[i].value === "on")) {
        if (peek("(")) skipBalanced();
        else i++;
      }
      i++;
      while (i < t.length && (peek("|") || (t[i].kind === "name" && /^[A-Z_]+$/.test(t[i].value)))) i++;
      continue;
    }
    if (!DEF_KINDS.has(tok.value) || t[i + 1]?.kind !== "name") {
      i++;
      continue;
    }
    const kind = tok.value;
    const nameTok = t[i + 1];
    i += 2;
    const def: GqlType = types.get(nameTok.value) ?? { kind, line: nameTok.line, fields: new Map(), values: new Map(), members: new Map() };
    types.set(nameTok.value, def);
    if (t[i]?.value === "implements") {
      i++;
      while (i < t.length && (peek("&") || (t[i].kind === "name" && t[i + 1]?.value !== ":" && !peek("{")))) {
        if (t[i].kind === "name" && (DEF_KINDS.has(t[i].value) || t[i].value === "extend")) break;
        i++;
      }
    }
    directives();
    if (kind === "union") {
      if (peek("=")) {
        i++;
        while (i < t.length && (peek("|") || t[i].kind === "name")) {
          if (t[i].kind === "name") {
            if (
              (DEF_KINDS.has(t[i].value) || t[i].value === "extend" || t[i].value === "schema" || t[i].value === "directive") &&
              t[i + 1]?.kind === "name"
            )
              break;
            def.members.set(t[i].value, t[i].line);
          }
          i++;
        }
      }
      continue;
    }
    if (!peek("{")) continue;
    i++;
    if (kind === "enum") {
      while (i < t.length && !peek("}")) {
        if (t[i].kind === "name") {
          def.values.set(t[i].value, t[i].line);
          i++;
          directives();
        } else i++;
      }
      i++;
      continue;
    }
    if (kind === "input") {
      for (const [k, a] of inputValues("}")) def.fields.set(k, { line: a.line, type: a.type, args: new Map(), hasDefault: a.hasDefault });
      continue;
    }
    while (i < t.length && !peek("}")) {
      if (t[i].kind !== "name") {
        i++;
        continue;
      }
      const f = t[i];
      i++;
      const fieldArgs = peek("(") ? (i++, inputValues(")")) : new Map<string, GqlArg>();
      if (!peek(":")) continue;
      i++;
      const type = typeRef();
      directives();
      def.fields.set(f.value, { line: f.line, type, args: fieldArgs, hasDefault: false });
    }
    i++;
  }
  return types.size > 0 ? types : undefined;
}
