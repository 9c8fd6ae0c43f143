import { rulesFound, scan } from "./helpers.js";

type Case = [rule: string, vulnerable: string[], safe: string[]];

const CHILD_PROCESS = 'import { exec, execSync, spawn, execFile } from "node:child_process";\n';

const cases: Case[] = [
  [
    "js/sql-injection",
    [
      "const rows = await db.query(`SELECT * FROM users WHERE id = ${req.params.id}`);",
      "connection.execute(\"SELECT * FROM t WHERE name = '\" + name + \"'\");",
      "await prisma.$queryRawUnsafe(`SELECT * FROM users WHERE email = ${email}`);",
      "knex.raw('select * from users where id = ' + id);",
      "const sql = `SELECT * FROM users WHERE id = ${id}`;\nawait pool.query(sql);",
      "await pool.query(\n  `UPDATE users SET name = '${name}' WHERE id = 1`\n);",
    ],
    [
      "const rows = await db.query('SELECT * FROM users WHERE id = $1', [req.params.id]);",
      "db.query(\"SELECT \" + \"1\");",
      "await prisma.$queryRaw`SELECT * FROM users WHERE id = ${id}`;",
      "knex.raw('select * from users where id = ?', [id]);",
      "const sql = 'SELECT * FROM users WHERE id = ?';\nawait pool.query(sql, [id]);",
      "await pool.query({ text: 'SELECT * FROM t WHERE id = $1', values: [id] });",
      "const params = new URLSearchParams(location.search).get('q');",
    ],
  ],
  [
    "js/command-injection",
    [
      CHILD_PROCESS + "exec(`git log ${branch}`, cb);",
      "child_process.execSync('rm -rf ' + dir);",
      CHILD_PROCESS + "spawn(cmd, { shell: true });",
      CHILD_PROCESS + "spawn('sh', ['-c', userCommand], { shell: true });",
    ],
    [
      CHILD_PROCESS + "execSync('git status');",
      "const m = /a(b)/.exec(text);\nconst n = pattern.exec(input);",
      "const found = exec(pattern, input); // a local helper",
      CHILD_PROCESS + "spawn('git', ['log', branch]);",
      CHILD_PROCESS + "execFile('git', ['log', branch], cb);",
    ],
  ],
  [
    "js/code-injection",
    [
      "const result = eval(userCode);",
      "const fn = new Function('a', body);",
      "vm.runInNewContext(code, sandbox);",
      "setTimeout('tick(' + n + ')', 10);",
    ],
    ["const two = eval('1 + 1');", "setTimeout(() => tick(n), 10);", "const one = new Function('return 1');", "await page.eval(script);"],
  ],
  [
    "js/xss",
    [
      "el.innerHTML = userInput;",
      "el.innerHTML = `<b>${name}</b>`;",
      "list.innerHTML += '<li>' + item + '</li>';",
      "document.write(location.hash);",
      "return <div dangerouslySetInnerHTML={{ __html: comment.body }} />;",
      "el.insertAdjacentHTML('beforeend', html);",
    ],
    [
      "el.innerHTML = '<b>hi</b>';",
      "el.innerHTML = DOMPurify.sanitize(html);",
      "return <div dangerouslySetInnerHTML={{ __html: DOMPurify.sanitize(comment.body) }} />;",
      "el.textContent = userInput;",
      "if (el.innerHTML === html) return;",
    ],
  ],
  [
    "js/path-traversal",
    [
      "fs.readFile(path.join(__dirname, 'files', req.params.name), cb);",
      "res.sendFile(req.query.file);",
      "const p = req.query.path;\nfs.createReadStream(p).pipe(res);",
    ],
    [
      "fs.readFile(path.join(dir, path.basename(req.params.name)), cb);",
      "res.sendFile(req.params.name, { root: publicDir });",
      "fs.readFile(configPath, 'utf8', cb);",
    ],
  ],
  [
    "js/insecure-deserialization",
    ["const obj = serialize.unserialize(req.body.data);", "const doc = yaml.load(text, { schema: yaml.DEFAULT_FULL_SCHEMA });"],
    ["const doc = yaml.load(text);", "const obj = JSON.parse(body);"],
  ],
  [
    "js/weak-crypto",
    ["const h = crypto.createHash('md5').update(password).digest('hex');", "const c = crypto.createCipher('aes192', key);"],
    ["const h = crypto.createHash('sha256').update(password).digest('hex');", "const c = crypto.createCipheriv('aes-256-gcm', key, iv);"],
  ],
  [
    "js/insecure-randomness",
    ["const token = Math.random().toString(36).slice(2);", "const sessionId = String(Math.random());"],
    ["const delay = Math.random() * 1000;", "const token = crypto.randomBytes(32).toString('hex');"],
  ],
  [
    "js/ssrf",
    ["const r = await fetch(req.query.url);", "await axios.get(req.body.webhook);", "const target = req.query.target;\nconst res2 = await got(target);"],
    ["const r = await fetch('https://api.github.com/repos');", "const r = await fetch(`${API}/users/${id}`);"],
  ],
  [
    "js/insecure-tls",
    ["const agent = new https.Agent({ rejectUnauthorized: false });", "process.env.NODE_TLS_REJECT_UNAUTHORIZED = '0';"],
    ["const agent = new https.Agent({ rejectUnauthorized: true });", "const agent = new https.Agent({ ca: fs.readFileSync('ca.pem') });"],
  ],
];

describe.each(cases)("%s", (rule, vulnerable, safe) => {
  it.each(vulnerable)("flags %s", (code) => {
    expect(rulesFound("src/handler.ts", code, { wholeFile: true })).toContain(rule);
  });
  it.each(safe)("does not flag %s", (code) => {
    expect(rulesFound("src/handler.ts", code, { wholeFile: true })).not.toContain(rule);
  });
});

describe("JavaScript rule details", () => {
  it("fills a complete finding on the added line", () => {
    const [f] = scan("src/db.js", "// load\nconst rows = await db.query(`SELECT * FROM users WHERE id = ${id}`);");
    expect(f).toMatchObject({
      rule: "js/sql-injection",
      category: "sql-injection",
      path: "src/db.js",
      line: 2,
      side: "RIGHT",
      severity: "high",
      confidence: 0.9,
    });
    expect(f.fingerprint).toMatch(/^[0-9a-f]{16}$/);
    expect(f.message.length).toBeGreaterThan(20);
    expect(f.recommendation).toMatch(/parameter/i);
  });

  it("applies to every JS/TS extension and not to other files", () => {
    for (const ext of ["js", "jsx", "mjs", "cjs", "ts", "tsx"]) expect(rulesFound(`a.${ext}`, "eval(userCode);")).toEqual(["js/code-injection"]);
    expect(rulesFound("a.rb", "eval(userCode)")).toEqual([]);
    expect(rulesFound("a.d.ts", "declare function eval(x: string): void;")).toEqual([]);
  });

  it("ignores commented-out code", () => {
    expect(rulesFound("a.ts", "// eval(userCode);\n/* el.innerHTML = x; */\n * document.write(x)")).toEqual([]);
  });

  it("without the whole file, a bare exec( is reported with lower confidence", () => {
    const [f] = scan("a.js", "exec(`git log ${branch}`);");
    expect(f.rule).toBe("js/command-injection");
    expect(f.confidence).toBeLessThan(0.85);
  });

  it("rates MD5 outside a security context as low", () => {
    const [f] = scan("etag.js", "const etag = crypto.createHash('md5').update(body).digest('hex');");
    expect(f).toMatchObject({ rule: "js/weak-crypto", severity: "low", confidence: 0.5 });
  });
});

describe("JavaScript false-positive guards", () => {
  it.each([
    "exports.exec = function exec(sql) {",
    "  exec(sql) {",
    "  async exec(command: string): Promise<void> {",
    "export function Function(parameters, returns) {",
    "const FULL = 'yarn';\nexecSync(FULL + ' --version');",
    ".map(line => exec(line, columns, options))",
  ])("does not flag %s", (code) => {
    expect(rulesFound("src/lib.js", code)).toEqual([]);
  });

  it("rounds adjusted confidences", () => {
    const token = ["ghp_", "R8kq2ZtY7mN4vB1xW9cD3fH6jL0pS5aE2gU8"].join("");
    const [f] = scan("test/fixtures.test.ts", `const t = "${token}";`);
    expect(f.confidence).toBe(0.7);
  });
});
