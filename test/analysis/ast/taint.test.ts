/**
 * The taint engine on its own: what value reaches `sink(...)` (the last call to `sink` in the
 * snippet), for a category. Levels: 0 literal, 1 sanitised/safe, 2 unknown origin, 3 source.
 */
import { parse } from "@ast-grep/napi";
import { NAPI_LANG, languageSupport, type AstLanguage } from "../../../src/analysis/ast/languages.js";
import { TaintEngine } from "../../../src/analysis/ast/taint/engine.js";
import type { Category } from "../../../src/analysis/types.js";

languageSupport();

function sinkValue(language: AstLanguage, code: string, category: Category = "sql-injection") {
  const root = parse(NAPI_LANG[language], code).root();
  const kind = language === "python" ? "call" : language === "java" ? "method_invocation" : "call_expression";
  const calls = root.findAll({ rule: { kind, regex: "^sink\\(" } });
  const call = calls[calls.length - 1];
  const args = call.field("arguments" as never) as unknown as { namedChildren(): unknown[] };
  const arg = args.namedChildren()[0] as Parameters<TaintEngine["valueOf"]>[0];
  return new TaintEngine(language, root).valueOf(arg, { category, sanitizers: [] });
}

const js = (code: string, category?: Category) => sinkValue("javascript", code, category);
const py = (code: string, category?: Category) => sinkValue("python", code, category);

describe("taint engine: JavaScript", () => {
  it.each([
    ["a literal", "sink('SELECT 1');", 0, false],
    ["a concatenation of literals and constants", "const T = 'users'; sink('SELECT * FROM ' + T);", 0, false],
    ["request input", "app.get('/', (req, res) => sink(req.query.id));", 3, false],
    ["through assignment and template", "app.get('/', (req, res) => { const id = req.params.id; const q = `x ${id}`; sink(q); });", 3, true],
    ["through destructuring", "app.post('/', (req, res) => { const { a: { b } } = req.body; sink(b); });", 3, false],
    ["through += and push/join", "function f(req) { let s = 'a'; s += req.query.x; const parts = []; parts.push(s); sink(parts.join(',')); }", 3, true],
    ["a parameter of unknown origin, built", "function f(id) { sink('SELECT ' + id); }", 2, true],
    ["a parameter of unknown origin, plain", "function f(sql) { sink(sql); }", 2, false],
    ["a number conversion", "app.get('/', (req, res) => sink('x' + parseInt(req.query.n, 10)));", 1, false],
    ["an allow-list lookup", "const M = { a: 'x', b: 'y' }; app.get('/', (req, res) => sink(M[req.query.k] || 'x'));", 0, false],
    ["an allow-list guard that returns", "app.get('/', (req, res) => { const c = req.query.c; if (!OK.includes(c)) return res.end(); sink(c); });", 1, false],
    ["a guard on a property of the request is no guard", "app.get('/', (req, res) => { if (req.method !== 'GET') return; sink(req.query.c); });", 3, false],
    ["a ternary allow-list", "app.get('/', (req, res) => { const v = req.query.v; sink(OK.includes(v) ? v : 'en'); });", 1, false],
    ["a reassignment in a branch keeps both", "app.get('/', (req, res) => { let v = 'a'; if (x) v = req.query.v; sink(v); });", 3, false],
    ["a reassignment in the same block replaces", "app.get('/', (req, res) => { let v = req.query.v; v = 'a'; sink(v); });", 0, false],
    ["process.argv is a local source", "sink('rm ' + process.argv[2]);", 3, true],
    ["a local helper's return value, with its parameters bound", "function q(id) { return 'SELECT ' + id; } app.get('/', (req, res) => sink(q(req.query.id)));", 3, true],
    ["what callers in the file pass to a parameter", "function run(sql) { sink(sql); } run('SELECT ' + req.query.id);", 3, true],
    ["a Lambda handler's event", "exports.handler = async (event) => { sink(event.queryStringParameters.q); };", 3, false],
    ["a postMessage listener's data", "window.addEventListener('message', (e) => sink(e.data.html));", 3, false],
    ["a tagged template", "function f(id) { sink(sql`SELECT ${id}`); }", 1, false],
  ])("%s", (_name, code, level, built) => {
    const v = js(code);
    expect({ level: v.level, built: v.built }).toEqual({ level, built });
  });

  it("sanitisers depend on the category", () => {
    const code = "app.get('/', (req, res) => sink(path.basename(req.query.f)));";
    expect(js(code, "path-traversal").level).toBe(1);
    expect(js(code, "sql-injection").level).toBe(2); // another category's sanitiser: just a call of unknown result
    expect(js("app.get('/', (req, res) => sink(DOMPurify.sanitize(req.body.html)));", "xss").level).toBe(1);
  });

  it("keeps the literal start of a value (fixed origins for URLs)", () => {
    expect(js("app.get('/', (req, res) => sink('https://api.example.com/u/' + req.query.id));", "ssrf").prefix).toBe("https://api.example.com/u/");
    expect(js("app.get('/', (req, res) => sink(req.query.url));", "ssrf").prefix).toBeUndefined();
  });
});

describe("taint engine: Python", () => {
  it.each([
    ["Flask request.args", "def v():\n    sink(request.args.get('q'))", 3, false],
    ["an f-string", "def v():\n    q = request.args['q']\n    sink(f'SELECT {q}')", 3, true],
    ["% formatting", "def v(name):\n    sink('SELECT %s' % name)", 2, true],
    [".format()", "def v(name):\n    sink('SELECT {}'.format(name))", 2, true],
    ["a tuple unpacking", "def v():\n    a, b = request.args['a'], 1\n    sink(b)", 0, false],
    ["Django request.GET", "def view(request):\n    sink(request.GET['x'])", 3, false],
    ["a route parameter", "@app.route('/u/<name>')\ndef u(name):\n    sink(name)", 3, false],
    ["an int route parameter", "@app.get('/u/{uid}')\ndef u(uid: int):\n    sink(uid)", 1, false],
    ["input()", "sink('ls ' + input())", 3, true],
    ["os.environ", "sink(os.environ['CMD'])", 3, false],
    ["a Lambda event", "def lambda_handler(event, context):\n    sink(event['body'])", 3, false],
    ["shlex.quote is no SQL sanitiser", "def v():\n    sink('ls ' + shlex.quote(request.args['d']))", 2, true],
    ["int()", "def v():\n    sink('SELECT ' + str(int(request.args['n'])))", 1, false],
    ["a not-in guard that aborts", "def v():\n    n = request.args['n']\n    if n not in OK:\n        abort(400)\n    sink(n)", 1, false],
  ])("%s", (_name, code, level, built) => {
    const v = py(code);
    expect({ level: v.level, built: v.built }).toEqual({ level, built });
  });

  it("shlex.quote sanitises for commands", () => {
    expect(py("def v():\n    sink('ls ' + shlex.quote(request.args['d']))", "command-injection").level).toBe(1);
  });
});

describe("taint engine: Go and Java", () => {
  it("Go: r.URL.Query().Get, r.FormValue, fmt.Sprintf", () => {
    const v = sinkValue("go", 'package main\nfunc h(w http.ResponseWriter, r *http.Request) {\n\tq := fmt.Sprintf("SELECT %s", r.URL.Query().Get("q"))\n\tsink(q)\n}');
    expect({ level: v.level, built: v.built }).toEqual({ level: 3, built: true });
  });

  it("Java: request.getParameter and Spring @RequestParam", () => {
    const servlet = sinkValue("java", 'class A { void f(HttpServletRequest request) { String id = request.getParameter("id"); sink("SELECT " + id); } }');
    expect(servlet.level).toBe(3);
    const spring = sinkValue("java", 'class A { String f(@RequestParam String q, @RequestParam int n) { sink(n); return q; } }');
    expect(spring.level).toBe(1);
  });
});
