/**
 * Properties every predictor keeps on any input: it never throws, and each prediction is
 * anchored on a line of the diff (a commentable line), with sane fields. Inputs are realistic
 * files and deterministic random mutations of them (lines dropped, duplicated, swapped,
 * garbled, truncated), read with and without the whole file's content.
 */
import { commentableLines, parsePatch } from "../../../src/analysis/diff.js";
import {
  apiContractPredictor,
  dependenciesPredictor,
  dockerfilePredictor,
  migrationsPredictor,
  terraformPredictor,
  workflowsPredictor,
} from "../../../src/analysis/predictors/index.js";
import { reconstructOld } from "../../../src/analysis/predictors/predict.js";
import { SEVERITIES, type AnalysisInput, type DiffFile, type Prediction } from "../../../src/analysis/types.js";
import { patchOf } from "./helpers.js";

const SEEDS: Record<string, string> = {
  "db/migrations/20240101_users.sql":
    "-- +goose Up\nALTER TABLE users\n  ADD COLUMN tenant_id bigint NOT NULL,\n  DROP COLUMN legacy_id;\nCREATE INDEX users_email_idx ON users (email);\nALTER TABLE users ALTER COLUMN name TYPE varchar(50);\nUPDATE users SET x = 'a;b';\n-- +goose Down\nDROP TABLE users;\n",
  "app/migrations/0002_auto.py":
    "from django.db import migrations, models\n\nclass Migration(migrations.Migration):\n    operations = [\n        migrations.RemoveField(model_name='user', name='email'),\n        migrations.AlterField(model_name='user', name='bio', field=models.CharField(max_length=50, null=False)),\n        migrations.RunSQL(\"ALTER TABLE a DROP COLUMN b\", reverse_sql=\"ALTER TABLE a ADD COLUMN b int\"),\n    ]\n",
  "api/openapi.yaml":
    "openapi: 3.0.3\ninfo:\n  title: x\n  version: '1'\npaths:\n  /users:\n    get:\n      parameters:\n        - name: q\n          in: query\n          required: false\n          schema:\n            type: string\n      responses:\n        '200':\n          description: ok\n          content:\n            application/json:\n              schema:\n                type: object\n                required: [id]\n                properties:\n                  id:\n                    type: string\n                  kind:\n                    type: string\n                    enum: [a, b, c]\n",
  "schema.graphql":
    'type Query {\n  user(id: ID!, full: Boolean = false): User\n}\n\n"""A user"""\ntype User {\n  id: ID!\n  name: String\n  role: Role!\n}\n\nenum Role {\n  ADMIN\n  MEMBER\n}\n\ninput UserFilter {\n  role: Role\n}\n\nunion Thing = User\n',
  "proto/user.proto":
    'syntax = "proto3";\npackage acme.v1;\n\nmessage User {\n  string id = 1;\n  int64 age = 2;\n  repeated string tags = 3;\n  reserved 4, 6 to 8;\n  oneof contact {\n    string email = 9;\n    string phone = 10;\n  }\n}\n\nenum Role {\n  ROLE_UNSPECIFIED = 0;\n  ROLE_ADMIN = 1;\n}\n\nservice Users {\n  rpc Get(GetRequest) returns (User);\n}\n',
  "package.json":
    '{\n  "name": "x",\n  "dependencies": {\n    "express": "^4.19.2",\n    "pg": "^8.11.0"\n  },\n  "devDependencies": {\n    "jest": "^29.7.0"\n  }\n}\n',
  "pyproject.toml":
    '[project]\nname = "x"\ndependencies = [\n  "django>=4.2",\n  "celery~=5.3",\n]\n\n[tool.poetry.dependencies]\nrequests = "^2.31"\n',
  ".github/workflows/ci.yml":
    'on:\n  pull_request_target:\njobs:\n  build:\n    runs-on: ubuntu-latest\n    permissions: write-all\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n      - uses: tj-actions/changed-files@v44\n      - run: |\n          echo "${{ github.event.pull_request.title }}"\n          echo ${{ secrets.TOKEN }} | base64\n',
  Dockerfile:
    'FROM node:latest AS build\nARG NPM_TOKEN\nRUN curl -fsSL https://get.example.sh | sh\nADD https://example.com/tool.tar.gz /opt/\nFROM node\nENV API_KEY=abc123def456ghi789\nCOPY --from=build /app /app\nCMD ["node", "/app"]\n',
  "infra/main.tf":
    'resource "aws_s3_bucket_acl" "a" {\n  bucket = "x"\n  acl    = "public-read"\n}\n\nresource "aws_security_group" "sg" {\n  ingress {\n    from_port   = 22\n    to_port     = 22\n    protocol    = "tcp"\n    cidr_blocks = ["0.0.0.0/0"]\n  }\n}\n\nresource "aws_db_instance" "db" {\n  publicly_accessible = true\n  storage_encrypted   = false\n}\n',
};

const PREDICTORS = [
  migrationsPredictor,
  apiContractPredictor,
  dependenciesPredictor,
  workflowsPredictor,
  dockerfilePredictor,
  terraformPredictor,
];

/** Deterministic PRNG (mulberry32). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function mutate(text: string, rand: () => number): string {
  const lines = text.replace(/\n$/, "").split("\n");
  const ops = 1 + Math.floor(rand() * 4);
  for (let k = 0; k < ops && lines.length > 0; k++) {
    const i = Math.floor(rand() * lines.length);
    const op = Math.floor(rand() * 6);
    if (op === 0) lines.splice(i, 1);
    else if (op === 1) lines.splice(i, 0, lines[i]);
    else if (op === 2 && i + 1 < lines.length) [lines[i], lines[i + 1]] = [lines[i + 1], lines[i]];
    else if (op === 3) lines[i] = lines[i].slice(0, Math.floor(rand() * lines[i].length));
    else if (op === 4)
      lines[i] = lines[i] + ["{", "}", "[", '"', "'", "(", ";", "$$", "/*", "<<EOF", "\\", "\u0000"][Math.floor(rand() * 12)];
    else lines.splice(i, 0, "  " + lines[Math.floor(rand() * lines.length)].trim());
  }
  return lines.join("\n") + "\n";
}

function check(files: DiffFile[], input: AnalysisInput): Prediction[] {
  const all: Prediction[] = [];
  for (const p of PREDICTORS) {
    let out: Prediction[] = [];
    expect(() => (out = p.analyze(input).predictions)).not.toThrow();
    all.push(...out);
  }
  for (const pred of all) {
    const f = files.find((x) => x.path === pred.path);
    expect(f).toBeDefined();
    const lines = commentableLines(f as DiffFile);
    expect(lines[pred.side].has(pred.line)).toBe(true);
    expect(pred.confidence).toBeGreaterThan(0);
    expect(pred.confidence).toBeLessThanOrEqual(1);
    expect(SEVERITIES).toContain(pred.severity);
    expect(pred.kind).toMatch(/^[a-z][a-z-]+$/);
    expect(pred.prediction.length).toBeGreaterThan(20);
    expect(pred.recommendation.length).toBeGreaterThan(20);
    expect(pred.tags.length).toBeGreaterThan(0);
    expect(pred.id).toBe(`pred-${pred.fingerprint.slice(0, 12)}`);
  }
  return all;
}

describe("predictors: invariants on realistic and mutated inputs", () => {
  it("the seeds themselves produce predictions, all anchored in the diff", () => {
    for (const [path, text] of Object.entries(SEEDS)) {
      const file = parsePatch(path, patchOf("", text));
      check([file], { files: [file], fileContents: new Map([[path, text]]) });
    }
    const files = Object.entries(SEEDS).map(([path, text]) => parsePatch(path, patchOf("", text)));
    const preds = check(files, { files, fileContents: new Map(Object.entries(SEEDS)) });
    const kinds = new Set(preds.map((p) => p.kind));
    for (const k of [
      "migration-drop-column",
      "migration-not-null",
      "ci-untrusted-checkout",
      "ci-script-injection",
      "ci-secret-leak",
      "docker-runs-as-root",
      "terraform-open-ingress",
    ])
      expect(kinds).toContain(k);
  });

  it("never throws and always anchors on diff lines, over 600 mutated versions", () => {
    const rand = rng(20240601);
    let total = 0;
    for (let round = 0; round < 60; round++)
      for (const [path, text] of Object.entries(SEEDS)) {
        const before = round % 3 === 0 ? text : mutate(text, rand);
        const after = mutate(before, rand);
        const patch = patchOf(before, after, Math.floor(rand() * 4));
        const file = parsePatch(path, patch);
        total += check([file], { files: [file], fileContents: new Map([[path, after]]) }).length;
        total += check([file], { files: [file] }).length;
        // A stale content that does not match the diff must not mislead the anchoring.
        check([file], { files: [file], fileContents: new Map([[path, mutate(after, rand)]]) });
      }
    expect(total).toBeGreaterThan(0);
  });

  it("tolerates hunks cut anywhere and binary-looking content", () => {
    for (const [path, text] of Object.entries(SEEDS)) {
      const lines = text.split("\n");
      for (let cut = 1; cut < lines.length; cut += 3) {
        const body = lines.slice(cut).map((l) => `+${l}`);
        const file = parsePatch(path, `@@ -${cut},0 +${cut + 1},${body.length} @@\n${body.join("\n")}`);
        check([file], { files: [file] });
      }
      const junk = parsePatch(path, `@@ -1,2 +1,2 @@\n-\u0000\u0001\u0002\n+\uFFFD\uFFFD{{[[((\n \u0000`);
      check([junk], { files: [junk], fileContents: new Map([[path, "\uFFFD\uFFFD{{[[((\n\u0000\n"]]) });
    }
  });
});

describe("reconstructOld", () => {
  it("rebuilds the old file exactly from the new one and the diff", () => {
    const rand = rng(7);
    for (let round = 0; round < 40; round++)
      for (const text of Object.values(SEEDS)) {
        const before = mutate(text, rand);
        const after = mutate(before, rand);
        const file = parsePatch("x", patchOf(before, after, Math.floor(rand() * 4)));
        expect(reconstructOld(after, file)).toBe(before.replace(/\n$/, ""));
      }
  });

  it("refuses a content that does not match the diff", () => {
    const file = parsePatch("x", patchOf("a\nb\nc\n", "a\nB\nc\n"));
    expect(reconstructOld("a\nX\nc\n", file)).toBeUndefined();
    expect(reconstructOld("a\nB\n", file)).toBeUndefined();
  });
});
