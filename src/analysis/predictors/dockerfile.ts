/**
 * Dockerfiles: base images that float (`latest` or no tag), containers that run as root,
 * remote `ADD` without a checksum, `curl | sh`, and secrets baked into `ENV` / `ARG`.
 * Instructions are read with their continuation lines and heredocs; only instructions on added
 * lines are evidence, except "runs as root", which needs the whole final stage (the whole file
 * or a new Dockerfile) and a change that causes it.
 */
import type { DiffFile, DiffLine, Prediction, Severity, SyncAnalyzer } from "../types.js";
import { baseName, contentOf, DiffIndex, isNotDeployed, makePrediction, reconstructOld, safely, snippet, textLines } from "./predict.js";

export function isDockerfile(path: string): boolean {
  const b = baseName(path);
  if (/\.(?:md|markdown|txt|rst|adoc|json|ya?ml|sh|bak|orig|swp|[cm]?[jt]sx?|py|go|rb|java|rs|kt|cs|php)$/i.test(b)) return false;
  return /^(?:Dockerfile|Containerfile)(?:\.[\w.-]+)?$/i.test(b) || /\.(?:dockerfile|containerfile)$/i.test(b);
}

interface Instruction {
  keyword: string;
  /** Arguments, continuation lines joined. */
  args: string;
  /** Line indexes (0-based) the instruction spans. */
  start: number;
  end: number;
}

/** Instructions of a Dockerfile (comments and parser directives skipped). Never throws. */
export function parseDockerfile(lines: readonly string[]): Instruction[] {
  const out: Instruction[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    if (/^\s*(?:#.*)?$/.test(line)) {
      i++;
      continue;
    }
    const m = /^\s*([A-Za-z]+)\s*(.*)$/.exec(line);
    if (!m) {
      i++;
      continue;
    }
    const start = i;
    let args = m[2];
    // Continuation lines (comment lines inside are skipped, as Docker does).
    while (/\\\s*$/.test(args) && i + 1 < lines.length) {
      args = args.replace(/\\\s*$/, " ");
      i++;
      while (i < lines.length && /^\s*#/.test(lines[i])) i++;
      if (i < lines.length) args += lines[i].trim();
    }
    // Heredocs: RUN <<EOF ... EOF
    const heredoc = /<<-?\s*["']?(\w+)["']?/.exec(args);
    if (heredoc) {
      for (let j = i + 1; j < lines.length; j++) {
        args += "\n" + lines[j];
        i = j;
        if (lines[j].trim() === heredoc[1]) break;
      }
    }
    out.push({ keyword: m[1].toUpperCase(), args: args.trim(), start, end: i });
    i++;
  }
  return out;
}

interface Hit {
  kind: string;
  at: DiffLine;
  prediction: string;
  confidence: number;
  severity: Severity;
  impact: string;
  recommendation: string;
  tags: string[];
}

const SECRET_NAME =
  /(?:^|_)(?:PASSWORD|PASSWD|PASS|SECRET|SECRET_KEY|SECRET_KEY_BASE|CLIENT_SECRET|TOKEN|AUTH_TOKEN|ACCESS_TOKEN|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIALS?)$/i;
const NOT_A_SECRET_VALUE =
  /^(?:|""|''|\$\{?\w+\}?|<[^>]*>|changeme|change-me|xxx+|example|dummy|placeholder|none|null|false|true|\/[\w./-]+|[\w./-]+\.(?:txt|json|pem|key))$/i;
const URL_CREDENTIALS = /\b[a-z][a-z0-9+.-]*:\/\/[^\s:/@]+:[^\s@/]{3,}@/i;
const NON_ROOT_BASE =
  /(?:^|\/)(?:distroless\/[^:]*:(?:[\w.-]*-)?nonroot|[^:]+:(?:[\w.-]*-)?nonroot\b|[^:]*-unprivileged\b|[^:]*-rootless\b)|^(?:cgr\.dev|chainguard)\/|^(?:docker\.io\/)?bitnami\//i;
const PRIVILEGE_DROP = /\b(?:gosu|su-exec|setpriv|runuser|chroot\s+--userspec|s6-setuidgid|dumb-init\s+.*--?u)\b/;

/** `ENV A=1 B=2` and the legacy `ENV A 1`: name, value and whether the value is literal. */
function envPairs(args: string): { name: string; value: string }[] {
  const pairs: { name: string; value: string }[] = [];
  if (!/^[\w.-]+=/.test(args)) {
    const legacy = /^([\w.-]+)\s+(.*)$/.exec(args);
    if (legacy) pairs.push({ name: legacy[1], value: legacy[2].trim() });
    return pairs;
  }
  const re = /([\w.-]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(args)) !== null) pairs.push({ name: m[1], value: m[2] });
  return pairs;
}

function imageOf(fromArgs: string): { image: string; alias?: string } | undefined {
  const m = /^(?:--[\w-]+=\S+\s+)*(\S+)(?:\s+AS\s+(\S+))?/i.exec(fromArgs);
  return m ? { image: m[1], alias: m[2]?.toLowerCase() } : undefined;
}

function checkInstructions(ins: Instruction[], added: (i: number) => DiffLine | undefined, hits: Hit[]): void {
  const stages = new Set<string>();
  const args = new Map<string, string>(); // ARG defaults, for FROM ${BASE}
  for (const x of ins) {
    // The evidence: the first added line of the instruction.
    let at: DiffLine | undefined;
    for (let i = x.start; i <= x.end && !at; i++) at = added(i);

    if (x.keyword === "ARG") {
      const m = /^([\w.-]+)(?:=(.*))?$/.exec(x.args.trim());
      if (m) {
        if (m[2] !== undefined) args.set(m[1], m[2].replace(/^["']|["']$/g, ""));
        if (at && SECRET_NAME.test(m[1]))
          hits.push({
            kind: "docker-secret-in-image",
            at,
            prediction: `The build argument \`${m[1]}\` carries a secret: build arguments are recorded in the image's history and metadata, so anyone who can pull the image can read it (\`docker history\`).`,
            confidence: 0.6,
            severity: "medium",
            impact: "The secret readable by everyone with access to the image or its build cache.",
            recommendation: `Use a BuildKit secret instead: \`RUN --mount=type=secret,id=${m[1].toLowerCase()} ...\` and \`docker build --secret id=${m[1].toLowerCase()},env=${m[1]}\`.`,
            tags: ["docker", "security", "secrets"],
          });
      }
      continue;
    }
    if (x.keyword === "FROM") {
      const img = imageOf(x.args);
      if (!img) continue;
      const resolved = img.image.replace(/\$\{?(\w+)\}?/g, (all, name: string) => args.get(name) ?? all);
      const isStage = stages.has(resolved.toLowerCase());
      if (img.alias) stages.add(img.alias);
      if (!at || isStage || /^scratch$/i.test(resolved) || resolved.includes("$")) continue;
      if (resolved.includes("@sha256:")) continue;
      const lastSlash = resolved.lastIndexOf("/");
      const colon = resolved.indexOf(":", lastSlash + 1);
      const tag = colon >= 0 ? resolved.slice(colon + 1) : undefined;
      if (tag !== undefined && tag.toLowerCase() !== "latest") continue;
      hits.push({
        kind: "docker-unpinned-base-image",
        at,
        prediction: `The base image \`${resolved}\` ${tag ? "uses the `latest` tag" : "has no tag (it means `latest`)"}: every build pulls whatever was published last, so a new upstream major version (runtime, OS, libraries) can break the build or the application with no change in this repository, and two builds of the same commit differ.`,
        confidence: tag ? 0.75 : 0.7,
        severity: "medium",
        impact: "Unreproducible builds and surprise breakages in production after an unrelated rebuild.",
        recommendation: `Pin a specific version tag (e.g. \`${resolved.replace(/:latest$/i, "")}:<version>\`), ideally with its digest (\`@sha256:...\`), and update it deliberately (Dependabot/Renovate).`,
        tags: ["docker", "reproducibility"],
      });
      continue;
    }
    if (!at) continue;
    if (x.keyword === "ENV") {
      for (const { name, value } of envPairs(x.args)) {
        const v = value.replace(/^["']|["']$/g, "");
        const credentialsInUrl = URL_CREDENTIALS.test(v) && !/\$\{?\w+\}?@/.test(v);
        if (!credentialsInUrl && (!SECRET_NAME.test(name) || /_(?:FILE|PATH|DIR|NAME|URL|ENDPOINT|HEADER)$/i.test(name))) continue;
        const fromArg = /^\$\{?\w+\}?$/.test(v);
        if (!credentialsInUrl && !fromArg && NOT_A_SECRET_VALUE.test(v)) continue;
        hits.push({
          kind: "docker-secret-in-image",
          at,
          prediction: fromArg
            ? `\`ENV ${name}\` copies a build argument into the image's environment: the secret is baked into the image config, readable by anyone who can pull it (\`docker inspect\`) and by every process in the container.`
            : `\`ENV ${name}\` sets a secret value in the Dockerfile: it is committed to the repository and baked into every image layer's config, readable by anyone who can pull the image (\`docker inspect\`, \`docker history\`).`,
          confidence: fromArg ? 0.75 : 0.85,
          severity: "high",
          impact:
            "The secret exposed to everyone with access to the repository or the image registry; rotating it means rebuilding every image.",
          recommendation:
            "Provide secrets at runtime (orchestrator secrets, environment injected at deploy) and at build time through `RUN --mount=type=secret`; remove the value and rotate it.",
          tags: ["docker", "security", "secrets"],
        });
        break;
      }
      continue;
    }
    if (x.keyword === "ADD") {
      const url = /(?:^|\s)((?:https?|git):\/\/\S+|git@\S+)/i.exec(x.args);
      if (url && !/--checksum=/.test(x.args))
        hits.push({
          kind: "docker-remote-add",
          at,
          prediction: `\`ADD ${snippet(url[1], 80)}\` downloads into the image at build time without verifying it: if the server or the connection is compromised, or the file simply changes, the image silently contains something else.`,
          confidence: 0.65,
          severity: "medium",
          impact: "Tampered or changed files in the image; unreproducible builds.",
          recommendation:
            "Add `--checksum=sha256:<hash>` to the ADD, or download with `curl` in a RUN step and verify the checksum (`sha256sum -c`).",
          tags: ["docker", "security", "supply-chain"],
        });
      continue;
    }
    if (x.keyword === "RUN") {
      const pipe =
        /\b(?:curl|wget)\b[^|;&\n]*\|\s*(?:sudo\s+)?(?:-?\w+=\S+\s+)*(?:sh|bash|zsh|ash|dash|ksh|python\d?(?:\.\d+)?|perl|ruby|node)\b|\b(?:sh|bash)\s+(?:-\w+\s+)*(?:-c\s+)?["']?\$\((?:curl|wget)\b|\b(?:sh|bash)\s+<\(\s*(?:curl|wget)\b/.exec(
          x.args,
        );
      if (pipe)
        hits.push({
          kind: "docker-curl-pipe-shell",
          at,
          prediction: `The build runs a script straight from the network (\`${snippet(pipe[0], 80)}\`), as root and unverified: whatever the server returns that day (a new version, or a compromised script) ends up executed in the image.`,
          confidence: 0.7,
          severity: "medium",
          impact: "A compromised or changed install script backdoors or breaks every image built afterwards.",
          recommendation:
            "Download the script or package to a file, verify its checksum or signature, then run it; better, install from the distribution's package manager or a pinned release artifact.",
          tags: ["docker", "security", "supply-chain"],
        });
    }
  }
}

/** The last USER of the final stage, its instruction, and the final FROM. */
function finalStage(ins: Instruction[]): { from?: Instruction; user?: Instruction; all: Instruction[] } {
  let from: Instruction | undefined;
  let startIdx = 0;
  ins.forEach((x, k) => {
    if (x.keyword === "FROM") {
      from = x;
      startIdx = k;
    }
  });
  const all = from ? ins.slice(startIdx) : [];
  let user: Instruction | undefined;
  for (const x of all) if (x.keyword === "USER") user = x;
  return { from, user, all };
}

const isRootUser = (args: string) => /^(?:root|0)(?::(?:root|0))?$/i.test(args.trim());

/** Images for development, tests or CI, where root is the norm (dev containers, test runners). */
const NOT_FOR_PRODUCTION = /(?:^|\/)\.devcontainer\/|(?:^|\/)[^/]*[.-](?:dev|devel|development|test|tests|ci|local)(?:\.[\w-]+)?$/i;

function checkRoot(
  file: DiffFile,
  newLines: string[],
  oldLines: string[] | undefined,
  added: (i: number) => DiffLine | undefined,
  hits: Hit[],
): void {
  if (NOT_FOR_PRODUCTION.test(file.path)) return;
  const now = finalStage(parseDockerfile(newLines));
  if (!now.from) return;
  const runsAsRoot = !now.user || isRootUser(now.user.args);
  if (!runsAsRoot) return;
  const img = imageOf(now.from.args);
  if (img && NON_ROOT_BASE.test(img.image)) return;
  if (now.all.some((x) => (x.keyword === "ENTRYPOINT" || x.keyword === "CMD") && PRIVILEGE_DROP.test(x.args))) return;
  // What in this change makes it run as root?
  let at: DiffLine | undefined;
  if (now.user && isRootUser(now.user.args)) at = added(now.user.start);
  if (!at && (oldLines === undefined || oldLines.length === 0)) {
    // A new Dockerfile: its final FROM is the evidence.
    at = added(now.from.start);
  }
  if (!at && oldLines && oldLines.length > 0) {
    const before = finalStage(parseDockerfile(oldLines));
    if (before.user && !isRootUser(before.user.args)) {
      const index = new DiffIndex(file);
      at = index.changed("old", before.user.start + 1);
    }
  }
  if (!at) return;
  hits.push({
    kind: "docker-runs-as-root",
    at,
    prediction: `The final image ${now.user ? "switches back to `USER root`" : "sets no `USER`"}, so the application runs as root: clusters that enforce non-root containers (Kubernetes \`runAsNonRoot\`, Pod Security "restricted", OpenShift) refuse to start it, and any code-execution bug in the app gets root in the container, making escapes and tampering with mounted volumes easier.`,
    confidence: 0.7,
    severity: "medium",
    impact: "Pods rejected by hardened clusters; a far larger blast radius for any compromise of the application.",
    recommendation:
      "Create an unprivileged user and switch to it at the end of the final stage (`RUN useradd --uid 10001 app` / `adduser -D -u 10001 app`, then `USER 10001`), or use a base image that runs as non-root.",
    tags: ["docker", "security"],
  });
}

export const dockerfilePredictor: SyncAnalyzer = {
  name: "dockerfile",
  analyze(input) {
    const predictions: Prediction[] = [];
    for (const file of input.files) {
      if (file.binary || file.hunks.length === 0 || !isDockerfile(file.path) || isNotDeployed(file.path)) continue;
      safely(() => {
        const hits: Hit[] = [];
        const content = contentOf(input, file.path);
        const whole = content !== undefined ? textLines(content) : undefined;
        const oldText = content !== undefined ? reconstructOld(content, file) : undefined;
        if (whole && oldText !== undefined) {
          const index = new DiffIndex(file);
          const added = (i: number) => {
            const l = index.changed("new", i + 1);
            return l?.kind === "add" ? l : undefined;
          };
          const ins = parseDockerfile(whole);
          checkInstructions(ins, added, hits);
          checkRoot(file, whole, oldText === "" ? [] : textLines(oldText), added, hits);
        } else {
          for (const h of file.hunks) {
            const side = h.lines.filter((l) => l.kind !== "del");
            const added = (i: number) => (side[i]?.kind === "add" ? side[i] : undefined);
            const lines = side.map((l) => l.content);
            checkInstructions(parseDockerfile(lines), added, hits);
            // A new Dockerfile's single hunk is the whole file.
            if (file.hunks.length === 1 && h.oldLines === 0 && h.oldStart === 0) checkRoot(file, lines, [], added, hits);
          }
        }
        for (const h of hits) predictions.push(makePrediction({ ...h, path: file.path }));
      });
    }
    return { findings: [], predictions };
  },
};
