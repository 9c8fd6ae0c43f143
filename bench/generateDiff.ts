/** A synthetic but realistic unified diff: JS, TS and Python files, mostly ordinary code with some risky lines. */

const JS_LINES = [
  "const total = items.reduce((sum, item) => sum + item.price * item.qty, 0);",
  "if (!user) throw new Error('not found');",
  "const rows = await db.query('SELECT * FROM orders WHERE id = $1', [id]);",
  "logger.info({ orderId: order.id }, 'order saved');",
  "export function formatPrice(cents) { return (cents / 100).toFixed(2); }",
  "const result = await fetch(`${API_BASE}/v1/orders/${encodeURIComponent(id)}`);",
  "await db.query(\"SELECT * FROM users WHERE name = '\" + req.query.name + \"'\");",
  "el.innerHTML = req.body.comment;",
];
const PY_LINES = [
  "total = sum(item.price * item.qty for item in items)",
  "if not user:\n    raise ValueError('not found')",
  "cursor.execute('SELECT * FROM orders WHERE id = %s', (order_id,))",
  "logger.info('order saved %s', order.id)",
  "def format_price(cents):\n    return f'{cents / 100:.2f}'",
  "cursor.execute(f\"SELECT * FROM users WHERE name = '{request.args['name']}'\")",
  "data = pickle.loads(request.data)",
];

export function generateDiff(targetLines: number): string {
  const out: string[] = [];
  let lines = 0;
  let fileNo = 0;
  while (lines < targetLines) {
    const kind = fileNo % 3;
    const ext = kind === 0 ? "js" : kind === 1 ? "ts" : "py";
    const pool = ext === "py" ? PY_LINES : JS_LINES;
    const path = `src/module${fileNo}/file${fileNo}.${ext}`;
    const body: string[] = [];
    for (let i = 0; i < 200 && lines + body.length < targetLines; i++) {
      for (const l of pool[(i * 7 + fileNo) % pool.length].split("\n")) body.push(`+${l}`);
    }
    out.push(`diff --git a/${path} b/${path}`, "new file mode 100644", "--- /dev/null", `+++ b/${path}`, `@@ -0,0 +1,${body.length} @@`, ...body);
    lines += body.length;
    fileNo++;
  }
  return `${out.join("\n")}\n`;
}
