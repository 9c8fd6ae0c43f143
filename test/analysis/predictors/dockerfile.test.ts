import { dockerfilePredictor, isDockerfile, parseDockerfile } from "../../../src/analysis/predictors/dockerfile.js";
import { added, change, file, predict, predictChanges } from "./helpers.js";
import { j, randomString } from "../fakeSecrets.js";

const SERVICE = `# syntax=docker/dockerfile:1.7
FROM node:20.12-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev

FROM node:20.12-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
COPY . .
RUN groupadd --gid 10001 app && useradd --uid 10001 --gid app --no-create-home app
USER app
EXPOSE 8080
CMD ["node", "server.js"]
`;

const created = (path: string, text: string) => predictChanges(dockerfilePredictor, [change(path, "", text)]);
const edited = (path: string, before: string, after: string) => predictChanges(dockerfilePredictor, [change(path, before, after)]);
const kinds = (preds: { kind: string }[]) => preds.map((p) => p.kind);

describe("dockerfile predictor", () => {
  it("never shows part of a secret in a prediction's code snippet (redacted before it is shortened)", () => {
    const token = j("ghp_", randomString(36, 77));
    const preds = created(
      "Dockerfile",
      `FROM node:20.12-bookworm-slim\nRUN curl -fsSL --retry 3 --retry-delay 2 -H "Authorization: token ${token}" https://raw.githubusercontent.com/acme/tools/main/install.sh | sh\n`,
    );
    const text = JSON.stringify(preds);
    expect(preds.length).toBeGreaterThan(0);
    for (let i = 0; i + 8 <= token.length; i++) expect(text).not.toContain(token.slice(i, i + 8));
  });

  it("a careful Dockerfile predicts nothing", () => {
    expect(created("Dockerfile", SERVICE)).toEqual([]);
  });

  it("flags latest and untagged base images, not stages, scratch, digests or versions", () => {
    const preds = created(
      "services/api/Dockerfile",
      SERVICE.replace("FROM node:20.12-bookworm-slim AS deps", "FROM node:latest AS deps").replace(
        "FROM node:20.12-bookworm-slim\n",
        "FROM node\n",
      ),
    );
    expect(preds.map((p) => [p.kind, p.line, p.confidence])).toEqual([
      ["docker-unpinned-base-image", 2, 0.75],
      ["docker-unpinned-base-image", 7, 0.7],
    ]);
    expect(preds[0].tags).toEqual(["docker", "reproducibility"]);
    const multi =
      "FROM golang:1.22 AS build\nRUN go build -o /out/app ./cmd/app\nFROM build AS test\nRUN go test ./...\nFROM scratch AS empty\nFROM gcr.io/distroless/static-debian12:nonroot@sha256:8dd8d3ca2cf283383304fd45a5c9c74d5f2cd9da8d3b4e1c0a0e4b1e2b3a4c5d\nCOPY --from=build /out/app /app\n";
    expect(created("Dockerfile", multi)).toEqual([]);
    expect(kinds(created("Dockerfile", "ARG BASE=python:latest\nFROM ${BASE}\nUSER 1000\n"))).toEqual(["docker-unpinned-base-image"]);
  });

  it("flags running as root: no USER in a new Dockerfile, USER root added, USER removed", () => {
    const noUser = SERVICE.replace("USER app\n", "");
    const [p] = created("Dockerfile", noUser);
    expect(p).toMatchObject({ kind: "docker-runs-as-root", line: 7, side: "RIGHT", confidence: 0.7 });
    expect(p.prediction).toMatch(/runAsNonRoot/);
    expect(kinds(edited("Dockerfile", SERVICE, SERVICE.replace("USER app\n", "USER app\nRUN echo ok\nUSER root\n")))).toEqual([
      "docker-runs-as-root",
    ]);
    const removed = edited("Dockerfile", SERVICE, noUser);
    expect(removed.map((p) => [p.kind, p.side, p.line])).toEqual([["docker-runs-as-root", "LEFT", 13]]);
  });

  it("does not blame an unrelated edit for a Dockerfile that always ran as root, nor dev images", () => {
    const noUser = SERVICE.replace("USER app\n", "");
    expect(edited("Dockerfile", noUser, noUser.replace("EXPOSE 8080", "EXPOSE 9090"))).toEqual([]);
    expect(created(".devcontainer/Dockerfile", noUser)).toEqual([]);
    expect(created("docker/Dockerfile.dev", noUser)).toEqual([]);
    expect(created("Dockerfile", noUser.replace('CMD ["node", "server.js"]', 'ENTRYPOINT ["gosu", "app", "node", "server.js"]'))).toEqual(
      [],
    );
    expect(created("Dockerfile", "FROM nginxinc/nginx-unprivileged:1.25-alpine\nCOPY dist /usr/share/nginx/html\n")).toEqual([]);
    expect(created("Dockerfile", "FROM node:20-alpine\nUSER 0\nRUN apk add curl\nUSER node\n")).toEqual([]);
  });

  it("flags remote ADD without a checksum and curl | sh", () => {
    const df =
      "FROM debian:12-slim\nADD https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini\nADD --checksum=sha256:93dcc18adc78c65a028a84799ecf8ad40c936fdfc5f2a57b1acda5a8117fa82c https://github.com/krallin/tini/releases/download/v0.19.0/tini /tini2\nRUN apt-get update \\\n && apt-get install -y curl \\\n && curl -fsSL https://deb.nodesource.com/setup_20.x | bash -\nRUN curl -fsSLo /tmp/install.sh https://example.com/install.sh && sha256sum -c install.sha256\nUSER 1000\n";
    const preds = created("build/Dockerfile", df);
    expect(preds.map((p) => [p.kind, p.line])).toEqual([
      ["docker-remote-add", 2],
      ["docker-curl-pipe-shell", 4],
    ]);
    expect(kinds(created("Dockerfile", 'FROM alpine:3.19\nRUN sh -c "$(wget -qO- https://get.example.sh)"\nUSER 1000\n'))).toEqual([
      "docker-curl-pipe-shell",
    ]);
  });

  it("flags secrets in ENV and ARG, redacted, not placeholders or file paths", () => {
    const df =
      "FROM python:3.12-slim\nARG PIP_INDEX_TOKEN\nENV DJANGO_SETTINGS_MODULE=app.settings \\\n    DATABASE_PASSWORD=Zx8-kq2LmP0wRt5vY7\nENV NPM_TOKEN=${PIP_INDEX_TOKEN}\nENV DATABASE_URL=postgres://app:s3cr3tPassw0rd@db:5432/app\nUSER 1000\n";
    const preds = created("Dockerfile", df);
    expect(preds.map((p) => [p.kind, p.line, p.confidence])).toEqual([
      ["docker-secret-in-image", 2, 0.6],
      ["docker-secret-in-image", 3, 0.85],
      ["docker-secret-in-image", 5, 0.75],
      ["docker-secret-in-image", 6, 0.85],
    ]);
    for (const p of preds) {
      expect(p.prediction).not.toContain("Zx8-kq2LmP0wRt5vY7");
      expect(p.prediction).not.toContain("s3cr3tPassw0rd");
    }
    const safe =
      'FROM python:3.12-slim\nENV API_KEY=""\nENV SECRET_KEY_FILE=/run/secrets/django_key\nENV DB_PASSWORD=changeme\nENV TOKEN_URL=https://auth.example.com/token\nENV DATABASE_URL=postgres://${DB_USER}:${DB_PASS}@db/app\nUSER 1000\n';
    expect(created("Dockerfile", safe)).toEqual([]);
  });

  it("works from hunks alone, and never throws", () => {
    const f = file(
      "deploy/api.Dockerfile",
      [" FROM node:20-alpine", "-RUN npm ci", "+RUN curl -sL https://get.pnpm.io/install.sh | sh -", " USER node"],
      1,
    );
    expect(kinds(predict(dockerfilePredictor, [f]))).toEqual(["docker-curl-pipe-shell"]);
    expect(() => predict(dockerfilePredictor, [file("Dockerfile", added("FROM \\\n\\\nRUN <<EOF\nENV =\nADD"))])).not.toThrow();
    expect(predict(dockerfilePredictor, [file("test/fixtures/Dockerfile", added("FROM node:latest"))])).toEqual([]);
  });

  it("recognises Dockerfile names and parses continuations", () => {
    for (const p of ["Dockerfile", "docker/Dockerfile.prod", "api.Dockerfile", "Containerfile", "build/web.dockerfile"])
      expect(isDockerfile(p)).toBe(true);
    for (const p of ["Dockerfile.md", "docs/dockerfile-guide.txt", "src/dockerfile.ts", "Dockerfile.yml"])
      expect(isDockerfile(p)).toBe(false);
    expect(parseDockerfile(["RUN a \\", "  # comment", "  && b", "USER x"]).map((x) => [x.keyword, x.start, x.end])).toEqual([
      ["RUN", 0, 2],
      ["USER", 3, 3],
    ]);
  });
});
