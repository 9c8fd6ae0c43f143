/**
 * The taint engine on its own: what value reaches `sink(...)` (the last call to `sink` in the
 * snippet), for a category. Levels: 0 literal, 1 sanitised/safe, 2 unknown origin, 3 source.
 */
import { parse } from "@ast-grep/napi";
import { NAPI_LANG, languageSupport, type AstLanguage } from "../../../src/analysis/ast/languages.js";
import { TaintBudget, TaintEngine } from "../../../src/analysis/ast/taint/engine.js";
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
    [
      "through assignment and template",
      "app.get('/', (req, res) => { const id = req.params.id; const q = `x ${id}`; sink(q); });",
      3,
      true,
    ],
    ["through destructuring", "app.post('/', (req, res) => { const { a: { b } } = req.body; sink(b); });", 3, false],
    [
      "through += and push/join",
      "function f(req) { let s = 'a'; s += req.query.x; const parts = []; parts.push(s); sink(parts.join(',')); }",
      3,
      true,
    ],
    ["a parameter of unknown origin, built", "function f(id) { sink('SELECT ' + id); }", 2, true],
    ["a parameter of unknown origin, plain", "function f(sql) { sink(sql); }", 2, false],
    ["a number conversion", "app.get('/', (req, res) => sink('x' + parseInt(req.query.n, 10)));", 1, false],
    ["an allow-list lookup", "const M = { a: 'x', b: 'y' }; app.get('/', (req, res) => sink(M[req.query.k] || 'x'));", 0, false],
    [
      "an allow-list guard that returns",
      "app.get('/', (req, res) => { const c = req.query.c; if (!OK.includes(c)) return res.end(); sink(c); });",
      1,
      false,
    ],
    [
      "a guard on a property of the request is no guard",
      "app.get('/', (req, res) => { if (req.method !== 'GET') return; sink(req.query.c); });",
      3,
      false,
    ],
    ["a ternary allow-list", "app.get('/', (req, res) => { const v = req.query.v; sink(OK.includes(v) ? v : 'en'); });", 1, false],
    ["a reassignment in a branch keeps both", "app.get('/', (req, res) => { let v = 'a'; if (x) v = req.query.v; sink(v); });", 3, false],
    ["a reassignment in the same block replaces", "app.get('/', (req, res) => { let v = req.query.v; v = 'a'; sink(v); });", 0, false],
    ["process.argv is a local source", "sink('rm ' + process.argv[2]);", 3, true],
    [
      "a local helper's return value, with its parameters bound",
      "function q(id) { return 'SELECT ' + id; } app.get('/', (req, res) => sink(q(req.query.id)));",
      3,
      true,
    ],
    ["what callers in the file pass to a parameter", "function run(sql) { sink(sql); } run('SELECT ' + req.query.id);", 3, true],
    ["a Lambda handler's event", "exports.handler = async (event) => { sink(event.queryStringParameters.q); };", 3, false],
    ["a postMessage listener's data", "window.addEventListener('message', (e) => sink(e.data.html));", 3, false],
    ["a tagged template", "function f(id) { sink(sql`SELECT ${id}`); }", 1, false],
    ["a (r, res) handler's first parameter", "router.get('/x', (r, res) => sink(r.query.id));", 3, false],
    ["a framework context's request (Hono's c.req)", "app.get('/x', async (c) => sink(c.req.query('q')));", 3, false],
    ["an API Gateway event by its members", "module.exports.get = async (event) => sink(event.pathParameters.id);", 3, false],
    ["a socket client's message", "io.on('connection', (socket) => socket.on('run', (task) => sink(task.cmd)));", 3, false],
    ["a Next.js page's searchParams", "export default function Page({ searchParams }) { sink(searchParams.q); }", 3, false],
    [
      "an argument list keeps the shape of a list",
      "app.get('/x', (req, res) => { const argv = Array.of('ls', req.query.d); sink(argv); });",
      3,
      false,
    ],
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
    expect(js("app.get('/', (req, res) => sink('https://api.example.com/u/' + req.query.id));", "ssrf").prefix).toBe(
      "https://api.example.com/u/",
    );
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
    ["flask.request by its full name", "import flask\ndef v():\n    sink(flask.request.form['x'])", 3, false],
    ["a typed Django request under another name", "def v(r: HttpRequest):\n    sink(r.GET['x'])", 3, false],
    ["Falcon's req.get_param", "def on_get(self, req, resp):\n    sink(req.get_param('q'))", 3, false],
    ["compile() keeps the source's code", "def v(request):\n    sink(compile(request.POST['src'], '<x>', 'exec'))", 3, false],
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
    const v = sinkValue(
      "go",
      'package main\nfunc h(w http.ResponseWriter, r *http.Request) {\n\tq := fmt.Sprintf("SELECT %s", r.URL.Query().Get("q"))\n\tsink(q)\n}',
    );
    expect({ level: v.level, built: v.built }).toEqual({ level: 3, built: true });
  });

  it("Java: request.getParameter and Spring @RequestParam", () => {
    const servlet = sinkValue(
      "java",
      'class A { void f(HttpServletRequest request) { String id = request.getParameter("id"); sink("SELECT " + id); } }',
    );
    expect(servlet.level).toBe(3);
    const spring = sinkValue("java", "class A { String f(@RequestParam String q, @RequestParam int n) { sink(n); return q; } }");
    expect(spring.level).toBe(1);
  });
});

describe("taint engine: calls between methods and classes of one file", () => {
  const ts = (code: string, category?: Category) => sinkValue("typescript", code, category);

  it("a service method's parameter gets what a controller passes through `this.service`", () => {
    const code = [
      "class FilesService {",
      "  remove(name: string) { sink(join(this.root, name)); }",
      "}",
      "class FilesController {",
      "  constructor(private readonly filesService: FilesService) {}",
      "  del(@Param('name') name: string) { return this.filesService.remove(name); }",
      "}",
    ].join("\n");
    expect(ts(code, "path-traversal").level).toBe(3);
  });

  it("an instance made in the file (`proxy = new ImageProxy()`) is a caller; another object's method of the same name is not", () => {
    const called =
      "class ImageProxy { load(src) { sink(src); } }\nconst proxy = new ImageProxy();\napp.get('/i', (req, res) => proxy.load(req.query.src));";
    expect(js(called, "ssrf").level).toBe(3);
    const other =
      "class ImageProxy { load(src) { sink(src); } }\nconst cache = new Map();\napp.get('/i', (req, res) => cache.load(req.query.src));";
    expect(js(other, "ssrf").level).toBe(2);
  });

  it("Python: `storage.open_report(name)` binds the parameter after self; `Class.method(obj, x)` does not shift", () => {
    const code = [
      "class ReportStorage:",
      "    def open_report(self, name):",
      "        return sink(os.path.join(self.root, name))",
      "",
      "storage = ReportStorage('/srv')",
      "",
      "@app.route('/r/<name>')",
      "def download(name):",
      "    return storage.open_report(name)",
    ].join("\n");
    expect(py(code, "path-traversal").level).toBe(3);
  });

  it("a method's return value through an instance: `reports.path_for(name)`", () => {
    const code = [
      "class Reports:",
      "    def path_for(self, name):",
      "        return os.path.join(self.root, name)",
      "",
      "reports = Reports('/srv')",
      "",
      "@app.get('/r/{name}')",
      "def get_report(name: str):",
      "    return sink(reports.path_for(name))",
    ].join("\n");
    expect(py(code, "path-traversal").level).toBe(3);
  });

  it("Go: a method on the receiver's type, called through a field (`h.store.Read(...)`)", () => {
    const code = [
      "package files",
      "func (s *Store) Read(name string) ([]byte, error) {",
      "\treturn sink(filepath.Join(s.Root, name))",
      "}",
      "func (h *Handler) Download(w http.ResponseWriter, r *http.Request) {",
      '\th.store.Read(r.URL.Query().Get("name"))',
      "}",
    ].join("\n");
    expect(sinkValue("go", code, "path-traversal").level).toBe(3);
  });

  it("Java: a @Service method called from a controller through its field", () => {
    const code = [
      "class StorageService {",
      "  byte[] load(String filename) { return sink(root.resolve(filename)); }",
      "}",
      "class StorageController {",
      "  private final StorageService storageService;",
      "  byte[] get(@PathVariable String name) { return storageService.load(name); }",
      "}",
    ].join("\n");
    expect(sinkValue("java", code, "path-traversal").level).toBe(3);
  });
});

describe("taint engine: bindings and checks", () => {
  it("Python: `with open(...) as fh` binds fh; a file at a constant path is the application's own data", () => {
    const code = [
      "CACHE_DIR = os.path.join(os.path.dirname(__file__), '.cache')",
      "CACHE_FILE = os.path.join(CACHE_DIR, 'embeddings.pkl')",
      "def load_cache():",
      "    with open(CACHE_FILE, 'rb') as fh:",
      "        return sink(fh)",
    ].join("\n");
    expect(py(code, "insecure-deserialization").level).toBe(0);
    expect(py("def load(path):\n    with open(path, 'rb') as fh:\n        return sink(fh)", "insecure-deserialization").level).toBe(2);
    // a path from the object's own configured state is the application's file too
    const cache =
      "class Cache:\n    def __init__(self, cache_dir):\n        self.cache_file = os.path.join(cache_dir, 'index.pkl')\n    def load(self):\n        with open(self.cache_file, 'rb') as fh:\n            return sink(fh)";
    expect(py(cache, "insecure-deserialization").level).toBe(0);
    // a path from the environment is configuration; one from the command line is not the application's choice
    expect(
      py(
        "CACHE = os.environ.get('CACHE_FILE', '/tmp/c.pkl')\ndef load():\n    with open(CACHE, 'rb') as fh:\n        return sink(fh)",
        "insecure-deserialization",
      ).level,
    ).toBe(0);
    expect(py("def load():\n    with open(sys.argv[1], 'rb') as fh:\n        return sink(fh)", "insecure-deserialization").level).toBe(2);
    expect(
      py(
        "class Cache:\n    def load(self, name):\n        with open(os.path.join(self.root, name), 'rb') as fh:\n            return sink(fh)",
        "insecure-deserialization",
      ).level,
    ).toBe(2);
  });

  it("configuration objects are fixed values: settings.X, app.config[...]", () => {
    expect(py("def v():\n    sink(os.path.join(settings.MEDIA_ROOT, 'x.pkl'))", "insecure-deserialization").level).toBe(0);
    expect(py("def v():\n    sink(app.config['CACHE_FILE'])", "insecure-deserialization").level).toBe(0);
    expect(py("def v(request):\n    config = request.json\n    sink(config['path'])", "path-traversal").level).toBe(3);
  });

  it("Go: json.NewDecoder(r.Body).Decode(&reg) and c.ShouldBindJSON(&in) fill the target from the request", () => {
    const decode =
      "package w\nfunc h(w http.ResponseWriter, r *http.Request) {\n\tvar reg registration\n\tjson.NewDecoder(r.Body).Decode(&reg)\n\tsink(reg.URL)\n}";
    expect(sinkValue("go", decode, "ssrf").level).toBe(3);
    const gin =
      "package w\nfunc h(c *gin.Context) {\n\tvar in req\n\tif err := c.ShouldBindJSON(&in); err != nil {\n\t\treturn\n\t}\n\tsink(in.Target)\n}";
    expect(sinkValue("go", gin, "ssrf").level).toBe(3);
    const file =
      'package w\nfunc h() {\n\traw, _ := os.ReadFile("/etc/app.json")\n\tvar s settings\n\tjson.Unmarshal(raw, &s)\n\tsink(s.URL)\n}';
    expect(sinkValue("go", file, "ssrf").level).toBeLessThan(3);
  });

  it("an origin or host comparison guards a URL (`target.origin !== APP_ORIGIN`, `urlparse(n).netloc != request.host`)", () => {
    const guarded =
      "app.get('/r', (req, res) => { const t = new URL(req.query.to, BASE); if (t.origin !== new URL(BASE).origin) return res.redirect('/'); sink(t.href); });";
    expect(js(guarded, "open-redirect").level).toBe(1);
    const unguarded = "app.get('/r', (req, res) => { const t = new URL(req.query.to, BASE); console.log(t.host); sink(t.href); });";
    expect(js(unguarded, "open-redirect").level).toBe(3);
    const pyGuard =
      "def v(request):\n    n = request.GET['next']\n    if urlparse(n).netloc != request.get_host():\n        return redirect('/')\n    sink(n)";
    expect(py(pyGuard, "open-redirect").level).toBe(1);
  });

  it("jQuery objects are elements, not text; getters read the page", () => {
    expect(js("function f(user) { const card = $('<div>'); card.append($('<p>').text(user.bio)); sink(card); }", "xss").shape).toBe(
      "object",
    );
    expect(js("function f() { sink('x' + $('#q').val()); }", "xss").level).toBe(2);
  });
});

describe("taint engine: handler parameters", () => {
  it("Django views: the parameters after `request` are URL captures", () => {
    expect(py("def download(request, filename):\n    return FileResponse(sink(os.path.join(DIR, filename)))", "path-traversal").level).toBe(
      3,
    );
    expect(
      py("class ReportView(View):\n    def get(self, request, name):\n        return HttpResponse(sink(name))", "path-traversal").level,
    ).toBe(3);
    // A helper that takes the request is not a view.
    expect(py("def client_ip(request, header):\n    return sink(request.META.get(header))", "path-traversal").level).toBe(3);
    expect(py("def log_action(request, action):\n    audit.write(sink(action))", "path-traversal").level).toBe(2);
    // ids and pages are `<int:...>` captures
    expect(py("def detail(request, pk):\n    return HttpResponse(sink(pk))", "xss").level).toBe(2);
  });

  it("Next.js route handlers: the request and the route's params", () => {
    const code = "export async function GET(request, { params }) { return new Response(sink(params.slug)); }";
    expect(js(code, "path-traversal").level).toBe(3);
  });
});

describe("taint engine: functions run later", () => {
  it("FastAPI background tasks, executors and Celery's .delay pass their arguments on", () => {
    const bg = [
      "async def send_callback(url: str, body: dict):",
      "    async with httpx.AsyncClient() as client:",
      "        await sink(url)",
      "",
      "@app.post('/jobs')",
      "async def create_job(job: Job, background_tasks: BackgroundTasks):",
      "    background_tasks.add_task(send_callback, job.callback_url, {'ok': True})",
    ].join("\n");
    expect(py(bg, "ssrf").level).toBe(3);
    const celery =
      "@shared_task\ndef fetch_feed(url):\n    return sink(url)\n\n@app.route('/feeds', methods=['POST'])\ndef add_feed():\n    fetch_feed.delay(request.form['url'])";
    expect(py(celery, "ssrf").level).toBe(3);
    const executor = "def work(path):\n    sink(path)\n\ndef v():\n    pool.submit(work, request.args['p'])";
    expect(py(executor, "path-traversal").level).toBe(3);
    const fixed = "def work(path):\n    sink(path)\n\ndef v():\n    pool.submit(work, '/tmp/x')";
    expect(py(fixed, "path-traversal").level).toBe(0);
  });
});

describe("taint engine: work limit", () => {
  const code =
    "function g(b) { return b; }\nfunction f(a) { return g(a); }\napp.get('/', (req, res) => { const v = f(req.query.id); sink('SELECT ' + v); });";
  const sinkArg = (root: ReturnType<ReturnType<typeof parse>["root"]>) => {
    const call = root.findAll({ rule: { kind: "call_expression", regex: "^sink\\(" } })[0];
    return (call.field("arguments" as never) as unknown as { namedChildren(): unknown[] }).namedChildren()[0] as Parameters<
      TaintEngine["valueOf"]
    >[0];
  };

  it("follows the flow within the default limit", () => {
    const root = parse(NAPI_LANG.javascript, code).root();
    const engine = new TaintEngine("javascript", root);
    expect(engine.valueOf(sinkArg(root), { category: "sql-injection", sanitizers: [] })).toMatchObject({
      level: 3,
      source: { label: "req.query.id" },
    });
    expect(engine.stopped).toBe(false);
    expect(engine.budget.steps).toBeGreaterThan(0);
  });

  it("stops at `maxSteps`: the value is unknown, the engine says it stopped, and later questions are not worked on", () => {
    const root = parse(NAPI_LANG.javascript, code).root();
    const engine = new TaintEngine("javascript", root, { maxSteps: 3 });
    const opts = { category: "sql-injection" as const, sanitizers: [] };
    const v = engine.valueOf(sinkArg(root), opts);
    expect(v.level).toBe(2);
    expect(v.source).toBeUndefined();
    expect(engine.stopped).toBe(true);
    const spent = engine.budget.steps;
    expect(engine.valueOf(sinkArg(root), opts).level).toBe(2);
    expect(engine.budget.steps).toBe(spent);
  });

  it("a budget shared by engines (the units of one file) is spent by all of them", () => {
    const run = (budget: TaintBudget) => {
      const root = parse(NAPI_LANG.javascript, code).root();
      new TaintEngine("javascript", root, { budget }).valueOf(sinkArg(root), { category: "sql-injection", sanitizers: [] });
    };
    const alone = new TaintBudget();
    run(alone);
    const shared = new TaintBudget();
    run(shared);
    run(shared);
    expect(shared.steps).toBe(2 * alone.steps);
  });
});

describe("taint engine: safe look-alikes and further sources (issue 10)", () => {
  const go = (code: string, category?: Category) => sinkValue("go", code, category);
  it.each([
    [
      "a ternary allow-list on a member read",
      () => js("app.get('/', (req, res) => sink(LOCALES.includes(req.params.lang) ? req.params.lang : 'en'));", "path-traversal"),
      1,
    ],
    ["multer's stored path is the library's", () => js("app.post('/', (req, res) => sink(req.file.path));", "path-traversal"), 1],
    ["multer's original name is the client's", () => js("app.post('/', (req, res) => sink(req.file.originalname));", "path-traversal"), 3],
    ["placeholders mapped from ids", () => js("app.post('/', (req, res) => sink(req.body.ids.map((_, i) => `$${i + 1}`).join(',')));"), 1],
    ["values mapped from ids stay input", () => js("app.post('/', (req, res) => sink(req.body.ids.map((id) => `'${id}'`).join(',')));"), 3],
    [
      "split('/').pop() keeps no directory",
      () => js("app.get('/', (req, res) => sink(req.query.f.split('/').pop()));", "path-traversal"),
      1,
    ],
    [
      "a GraphQL resolver's arguments",
      () => js("const resolvers = { Query: { calc: (_p, args) => sink(args.expr) } };", "code-injection"),
      3,
    ],
    [
      "tRPC input",
      () => js("export const r = router({ calc: p.input(schema).query(({ input }) => sink(input.expr)) });", "code-injection"),
      3,
    ],
    [
      "an environment base keeps the origin fixed",
      () => js("app.get('/', (req, res) => sink(`${process.env.API_URL}/users/${req.params.id}`));", "ssrf").prefix?.endsWith("/users/"),
      true,
    ],
    ["another module's constant", () => js("function f() { sink('SELECT * FROM ' + Tables.AUDIT); }"), 0],
  ])("JavaScript: %s", (_title, run, expected) => {
    const v = run();
    expect(typeof v === "object" && v !== null ? (v as { level: number }).level : v).toBe(expected);
  });

  it.each([
    ["type=int on request.args.get", "@app.get('/')\ndef f():\n    sink(request.args.get('n', type=int))", "path-traversal", 1],
    ["a Werkzeug int converter", "@app.route('/r/<int:year>')\ndef f(year):\n    sink(year)", "path-traversal", 1],
    ["an upload object is no path", "@app.post('/')\ndef f():\n    sink(request.files['data'])", "path-traversal", 3],
    ["split('/')[-1]", "@app.get('/')\ndef f():\n    sink(request.args['p'].split('/')[-1])", "path-traversal", 1],
    ["replace('/', '')", "@app.get('/')\ndef f():\n    sink(request.args['p'].replace('/', ''))", "path-traversal", 1],
    [
      "a statement check that raises",
      "@app.get('/')\ndef f():\n    p = ROOT / request.args['p']\n    ensure_within_root(p)\n    sink(p)",
      "path-traversal",
      1,
    ],
    [
      "an assert",
      "@app.get('/')\ndef f():\n    p = (ROOT / request.args['p']).resolve()\n    assert p.is_relative_to(ROOT)\n    sink(p)",
      "path-traversal",
      1,
    ],
    [
      "a check of an archive member's name",
      "def f(zf):\n    for m in zf.infolist():\n        if '..' in m.filename:\n            raise ValueError()\n        sink(m)",
      "path-traversal",
      1,
    ],
    ["a GraphQL resolver's arguments", "class Q:\n    def resolve_calc(root, info, expr):\n        return sink(expr)", "code-injection", 3],
    ["argparse arguments are the command line", "def main():\n    args = parser.parse_args()\n    sink(args.expr)", "code-injection", 3],
    ["socket data", "def serve(conn):\n    sink(conn.recv(4096))", "insecure-deserialization", 3],
    [
      "an environment path for a deserialiser is the operator's",
      "def f():\n    sink(os.environ['MODEL_PATH'])",
      "insecure-deserialization",
      0,
    ],
    ["min(int(x), 100)", "@app.get('/')\ndef f():\n    sink('LIMIT %d' % min(int(request.args['n']), 100))", "sql-injection", 1],
  ])("Python: %s", (_title, code, category, level) => {
    const v = py(code, category as Category);
    // (an upload object is a source whose shape says it is no text)
    if (_title === "an upload object is no path") expect(v.shape).toBe("object");
    expect(v.level).toBe(level);
  });

  it('Go: filepath.Clean("/" + name) stays under the root it is joined to', () => {
    expect(
      go('package m\nfunc h(w http.ResponseWriter, r *http.Request) {\n\tsink(filepath.Clean("/" + r.FormValue("f")))\n}', "path-traversal")
        .level,
    ).toBe(1);
    expect(
      go('package m\nfunc h(w http.ResponseWriter, r *http.Request) {\n\tsink(filepath.Clean(r.FormValue("f")))\n}', "path-traversal")
        .level,
    ).toBe(3);
  });
});
