import { rulesFound } from "./helpers.js";

type Case = [rule: string, vulnerable: string[], safe: string[]];

const cases: Case[] = [
  [
    "py/sql-injection",
    [
      'cursor.execute(f"SELECT * FROM users WHERE id = {user_id}")',
      "cursor.execute(\"SELECT * FROM users WHERE name = '%s'\" % name)",
      'cursor.execute("SELECT * FROM t WHERE a = {}".format(a))',
      'cursor.execute("SELECT * FROM t WHERE a = " + a)',
      'db.session.execute(text(f"DELETE FROM items WHERE id = {item_id}"))',
      'query = f"SELECT * FROM users WHERE email = \'{email}\'"\ncursor.execute(query)',
      'User.objects.raw("SELECT * FROM app_user WHERE name = \'%s\'" % name)',
    ],
    [
      'cursor.execute("SELECT * FROM users WHERE id = %s", (user_id,))',
      'cursor.execute("SELECT 1")',
      'User.objects.raw("SELECT * FROM app_user WHERE id = %s", [uid])',
      'db.session.execute(text("SELECT * FROM t WHERE id = :id"), {"id": item_id})',
      'query = "SELECT * FROM users WHERE id = %s"\ncursor.execute(query, (uid,))',
      'cursor.execute("SELECT * FROM t WHERE a = %s" % ("literal",))',
      'label = text(f"Hello {name}")',
    ],
  ],
  [
    "py/command-injection",
    ['os.system("ping -c 1 " + host)', 'subprocess.run(f"ls {path}", shell=True)', "out = os.popen(cmd).read()", 'subprocess.check_output(\n    "grep %s log" % pattern,\n    shell=True,\n)'],
    ['subprocess.run(["ls", path])', 'os.system("clear")', 'subprocess.run("make build", shell=True)', 'subprocess.run(f"ls {path}")'],
  ],
  [
    "py/code-injection",
    ['result = eval(request.args.get("expr"))', "exec(code)"],
    ["value = ast.literal_eval(s)", 'two = eval("1 + 1")', "cursor.execute(sql, params)"],
  ],
  [
    "py/insecure-deserialization",
    ["obj = pickle.loads(data)", "cfg = yaml.load(f)", "cfg = yaml.load(f, Loader=yaml.Loader)", "code = marshal.loads(blob)"],
    ["cfg = yaml.load(f, Loader=yaml.SafeLoader)", "cfg = yaml.safe_load(f)", "obj = json.loads(data)"],
  ],
  [
    "py/weak-crypto",
    ["digest = hashlib.md5(password.encode()).hexdigest()", "h = hashlib.sha1(token)", 'h = hashlib.new("md5", data)'],
    ["h = hashlib.md5(data, usedforsecurity=False)", "h = hashlib.sha256(password.encode())"],
  ],
  [
    "py/insecure-randomness",
    ['token = "".join(random.choice(chars) for _ in range(32))'],
    ["token = secrets.token_urlsafe(32)", "delay = random.random() * 3"],
  ],
  [
    "py/path-traversal",
    ['with open(os.path.join(UPLOADS, request.args["name"])) as f:', 'return send_file(request.args.get("path"))'],
    ['with open(os.path.join(UPLOADS, secure_filename(request.args["name"]))) as f:', 'with open("config.yml") as f:'],
  ],
  [
    "py/ssrf",
    ['r = requests.get(request.args["url"])', 'data = urlopen(request.form.get("u")).read()', 'url = request.args.get("url")\nr = requests.post(url, json=payload)'],
    ['r = requests.get("https://api.github.com/repos")', "r = requests.get(f\"{API}/users/{uid}\")"],
  ],
  [
    "py/insecure-tls",
    ["r = requests.get(url, verify=False)", "ctx = ssl._create_unverified_context()"],
    ["r = requests.get(url, verify=True)", 'r = requests.get(url, verify="/etc/ssl/ca.pem")'],
  ],
  [
    "py/debug-leftover",
    ["app.run(debug=True)", 'app.run(host="0.0.0.0", port=5000, debug=True)'],
    ["app.run()", 'app.run(debug=os.environ.get("FLASK_DEBUG") == "1")'],
  ],
];

describe.each(cases)("%s", (rule, vulnerable, safe) => {
  it.each(vulnerable)("flags %s", (code) => {
    expect(rulesFound("app/views.py", code, { wholeFile: true })).toContain(rule);
  });
  it.each(safe)("does not flag %s", (code) => {
    expect(rulesFound("app/views.py", code, { wholeFile: true })).not.toContain(rule);
  });
});

describe("Python rule details", () => {
  it("ignores comments and JS rules", () => {
    expect(rulesFound("a.py", "# cursor.execute(f\"SELECT {x}\")\nel.innerHTML = x")).toEqual([]);
  });
});

describe("Python false-positive guards", () => {
  it.each([
    '    "pickle.load(data, encoding=\'latin1\') is assumed.")',
    "asyncio.run(main(), debug=True)",
    "will_verify = context.verify_mode != ssl.CERT_NONE",
    "def _create_unverified_context(protocol=None, *, cert_reqs=CERT_NONE,",
    "if token == self.eof:",
    "def eval(self, expr):",
  ])("does not flag %s", (code) => {
    expect(rulesFound("lib/mod.py", code)).toEqual([]);
  });

  it("flags TLS switched off on an SSL context", () => {
    expect(rulesFound("lib/mod.py", "ctx.check_hostname = False\nctx.verify_mode = ssl.CERT_NONE")).toEqual(["py/insecure-tls", "py/insecure-tls"]);
  });
});
