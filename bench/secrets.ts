/**
 * `npm run bench:secrets`: the redactor and the secret detector on hostile inputs, each at one
 * eighth of its size and at full size: linear scans take about 8× as long at full size, a
 * quadratic one 64×. The baseline row is ordinary code of the same size.
 */
import { detectSecrets, redactSecrets } from "../src/analysis/secrets.js";
import { HOSTILE_SECRET_INPUTS, MB } from "./secretInputs.js";

async function time(text: string): Promise<number> {
  const started = performance.now();
  redactSecrets(text);
  await detectSecrets(text, { path: "x.env", withoutSecretlint: true });
  await detectSecrets(text, { path: "x.ts", quotedOnly: true, withoutSecretlint: true });
  return performance.now() - started;
}

const ordinary = (n: number) => "export function add(a, b) {\n  return a + b;\n}\n".repeat(Math.ceil(n / 44)).slice(0, n);
const rows = [];
for (const [name, make] of [["baseline: ordinary code", ordinary] as [string, (n: number) => string], ...HOSTILE_SECRET_INPUTS]) {
  const size = /^thousands/.test(name) ? MB / 2 : MB;
  await time(make(size / 8)); // warm-up
  const small = await time(make(size / 8));
  const big = await time(make(size));
  rows.push({
    input: name,
    kb: Math.round(size / 1000),
    "ms at 1/8": small.toFixed(0),
    "ms at full": big.toFixed(0),
    ratio: (big / Math.max(small, 0.1)).toFixed(1),
  });
}
console.log("Secret scans on hostile input (linear: ratio about 8; quadratic: about 64)");
console.table(rows);
