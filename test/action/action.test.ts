/**
 * The GitHub Action (action.yml) and its workflow example (examples/workflows/empathy-review.yml).
 *
 * The action's run steps are run the way a runner runs a composite action: each `run:` with its
 * `${{ … }}` expressions substituted from the contexts (github.event from a real `pull_request`
 * payload of @octokit/webhooks-examples, its base and head moved to commits of a local git
 * repository; inputs with their defaults), through `bash --noprofile --norc -eo pipefail`, in
 * GITHUB_WORKSPACE, with GITHUB_OUTPUT / GITHUB_STEP_SUMMARY files; a failing step stops the rest.
 * Steps that need the network are not run: `uses:` steps (actions/setup-node) and the install
 * step (`npm ci` in the action's folder); the action folder is this checkout, so the CLI runs from
 * its built lib/ (`npm run build`).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { parse as parseYaml } from "yaml";
import { examplePayload } from "../helpers/webhookExamples.js";
import { sarifSchemaErrors } from "../helpers/sarifSchema.js";

const ROOT = resolve(import.meta.dirname ?? process.cwd(), "..", "..");

interface Step {
  id?: string;
  name?: string;
  uses?: string;
  run?: string;
  shell?: string;
  env?: Record<string, string>;
  with?: Record<string, string | number>;
  "working-directory"?: string;
  if?: string;
}

interface ActionFile {
  name: string;
  description: string;
  inputs: Record<string, { description: string; required?: boolean; default?: string }>;
  outputs: Record<string, { description: string; value: string }>;
  runs: { using: string; steps: Step[] };
}

const action = parseYaml(readFileSync(join(ROOT, "action.yml"), "utf8")) as ActionFile;

/** Steps a test runner cannot run here (they need the network), by id. */
const NETWORK_STEPS = new Set(["node", "install"]);

// ---------------------------------------------------------------------------------------------
// A composite action run, as a runner does it

type Contexts = Record<string, unknown>;

/**
 * `${{ path.to.value }}` from the contexts; a missing value is the empty string, as on GitHub. Only
 * property paths: an expression this runner does not know fails the test instead of being guessed.
 */
function substitute(text: string, contexts: Contexts): string {
  return text.replace(/\$\{\{\s*(.*?)\s*\}\}/g, (_, expression: string) => {
    if (!/^[A-Za-z_][\w-]*(?:\.[\w-]+)*$/.test(expression)) throw new Error(`expression not supported by the test runner: ${expression}`);
    let value: unknown = contexts;
    for (const key of expression.split(".")) value = value !== null && typeof value === "object" ? (value as Contexts)[key] : undefined;
    return value === undefined || value === null ? "" : String(value);
  });
}

/** GITHUB_OUTPUT's `name=value` lines (and `name<<DELIMITER` blocks). */
function readOutputs(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = existsSync(file) ? readFileSync(file, "utf8").split("\n") : [];
  for (let i = 0; i < lines.length; i++) {
    const block = /^([^=]+)<<(.+)$/.exec(lines[i]);
    if (block) {
      const end = lines.indexOf(block[2], i + 1);
      out[block[1]] = lines.slice(i + 1, end).join("\n");
      i = end;
    } else if (lines[i].includes("=")) {
      out[lines[i].slice(0, lines[i].indexOf("="))] = lines[i].slice(lines[i].indexOf("=") + 1);
    }
  }
  return out;
}

interface StepRun {
  id: string;
  ran: boolean;
  code: number | null;
  stdout: string;
  stderr: string;
}

interface ActionRun {
  steps: StepRun[];
  outputs: Record<string, string>;
  summary: string;
  /** The exit code of the last step run (the action's result). */
  code: number | null;
}

function runAction(options: { workspace: string; eventName: string; event: object; inputs?: Record<string, string> }): ActionRun {
  const temp = mkdtempSync(join(tmpdir(), "empathy-action-runner-"));
  try {
    const eventPath = join(temp, "event.json");
    writeFileSync(eventPath, JSON.stringify(options.event));
    const summaryPath = join(temp, "summary.md");
    writeFileSync(summaryPath, "");
    const inputs = Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, options.inputs?.[k] ?? v.default ?? ""]));
    const steps: Record<string, { outputs: Record<string, string> }> = {};
    const contexts: Contexts = {
      github: {
        event_name: options.eventName,
        event: JSON.parse(readFileSync(eventPath, "utf8")),
        action_path: ROOT,
        workspace: options.workspace,
      },
      inputs,
      steps,
    };
    const runs: StepRun[] = [];
    let failed = false;
    for (const [n, step] of action.runs.steps.entries()) {
      const id = step.id ?? `step${n}`;
      if (failed || step.uses !== undefined || NETWORK_STEPS.has(id)) {
        runs.push({ id, ran: false, code: null, stdout: "", stderr: "" });
        continue;
      }
      expect(step.shell).toBe("bash");
      const script = join(temp, `${id}.sh`);
      writeFileSync(script, substitute(step.run!, contexts));
      const outputPath = join(temp, `${id}.output`);
      writeFileSync(outputPath, "");
      const env: NodeJS.ProcessEnv = {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        CI: "true",
        GITHUB_ACTIONS: "true",
        GITHUB_EVENT_NAME: options.eventName,
        GITHUB_EVENT_PATH: eventPath,
        GITHUB_WORKSPACE: options.workspace,
        GITHUB_ACTION_PATH: ROOT,
        GITHUB_OUTPUT: outputPath,
        GITHUB_STEP_SUMMARY: summaryPath,
        RUNNER_TEMP: temp,
        // Not the runner's: this machine's cores are shared with other test runs.
        EMPATHY_ANALYSIS_WORKERS: "1",
        ...Object.fromEntries(Object.entries(step.env ?? {}).map(([k, v]) => [k, substitute(String(v), contexts)])),
      };
      const cwd = step["working-directory"]
        ? resolve(options.workspace, substitute(step["working-directory"], contexts))
        : options.workspace;
      const p = spawnSync("bash", ["--noprofile", "--norc", "-eo", "pipefail", script], { cwd, env, encoding: "utf8", timeout: 120_000 });
      steps[id] = { outputs: readOutputs(outputPath) };
      runs.push({ id, ran: true, code: p.status, stdout: p.stdout, stderr: p.stderr });
      if (p.status !== 0) failed = true;
    }
    const outputs = Object.fromEntries(Object.entries(action.outputs).map(([k, v]) => [k, substitute(v.value, contexts)]));
    const last = [...runs].reverse().find((r) => r.ran);
    return { steps: runs, outputs, summary: readFileSync(summaryPath, "utf8"), code: last?.code ?? null };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

// ---------------------------------------------------------------------------------------------

describe("action.yml", () => {
  it("is a composite action with the documented inputs and the SARIF file as its output", () => {
    expect(action.runs.using).toBe("composite");
    expect(Object.keys(action.inputs)).toEqual(["fail-on", "min-severity", "target-level", "sarif-file"]);
    expect(Object.fromEntries(Object.entries(action.inputs).map(([k, v]) => [k, v.default]))).toEqual({
      "fail-on": "",
      "min-severity": "",
      "target-level": "",
      "sarif-file": "empathy.sarif",
    });
    for (const input of Object.values(action.inputs)) expect(input.description.length).toBeGreaterThan(10);
    expect(Object.keys(action.outputs)).toEqual(["sarif-file"]);
  });

  it("checks the event first, sets up Node 20 and installs itself in its own folder", () => {
    const ids = action.runs.steps.map((s) => s.id);
    expect(ids).toEqual(["event", "node", "install", "review"]);
    const node = action.runs.steps[1];
    expect(node.uses).toMatch(/^actions\/setup-node@v\d+$/);
    expect(String(node.with?.["node-version"])).toBe("20");
    const install = action.runs.steps[2];
    expect(install["working-directory"]).toBe("${{ github.action_path }}");
    expect(install.run?.trim()).toMatch(/^npm ci\b/);
    // `prepare` builds lib/ at `npm ci`: the install step needs no build of its own.
    expect(JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).scripts.prepare).toBe("npm run build");
  });

  it("never pastes an expression into a script: inputs and event values reach bash through env", () => {
    for (const step of action.runs.steps) if (step.run !== undefined) expect(step.run).not.toContain("${{");
  });
});

describe("action.yml, run as a runner runs it on a pull_request event", () => {
  let repo: string;
  let base: string;
  let middle: string;
  let head: string;
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.email=t@t", "-c", "user.name=t", ...args], { cwd: repo, encoding: "utf8" }).trim();

  beforeAll(() => {
    if (!existsSync(join(ROOT, "lib", "cli.js"))) throw new Error("run `npm run build` first: the action runs the built CLI");
    repo = mkdtempSync(join(tmpdir(), "empathy-action-repo-"));
    git("init", "-q", "-b", "main");
    mkdirSync(join(repo, "app"));
    writeFileSync(join(repo, "app/views.py"), "import os\n\ndef run(request):\n    return 1\n");
    git("add", ".");
    git("commit", "-qm", "base");
    base = git("rev-parse", "HEAD");
    git("checkout", "-qb", "feature");
    // A medium finding first: YAML loaded with a loader that builds any object.
    writeFileSync(join(repo, "app/config.py"), "import yaml\n\ndef load(data):\n    return yaml.load(data)\n");
    git("add", ".");
    git("commit", "-qm", "read the config");
    middle = git("rev-parse", "HEAD");
    // A command built from the request: a critical command injection.
    writeFileSync(join(repo, "app/views.py"), "import os\n\ndef run(request):\n    os.system('ls ' + request.args['dir'])\n    return 1\n");
    git("commit", "-qam", "list a folder");
    head = git("rev-parse", "HEAD");
    // As actions/checkout leaves it for a pull request: the merge ref's tree, detached.
    git("checkout", "-q", "--detach", head);
  });

  afterAll(() => rmSync(repo, { recursive: true, force: true }));

  afterEach(() => rmSync(join(repo, "empathy.sarif"), { force: true }));

  /** GitHub's own pull_request.opened example, its base and head moved to this repository's commits. */
  function pullRequestEvent(baseSha = base, headSha = head): object {
    const payload = examplePayload("pull_request.opened");
    payload.pull_request.base.sha = baseSha;
    payload.pull_request.head.sha = headSha;
    return payload;
  }

  const sarifOf = (file = "empathy.sarif") => JSON.parse(readFileSync(join(repo, file), "utf8"));

  it("writes a valid SARIF log of the change and passes without fail-on", () => {
    const run = runAction({ workspace: repo, eventName: "pull_request", event: pullRequestEvent() });
    expect(run.steps.map((s) => [s.id, s.ran])).toEqual([
      ["event", true],
      ["node", false],
      ["install", false],
      ["review", true],
    ]);
    expect(run.code).toBe(0);
    expect(run.outputs["sarif-file"]).toBe("empathy.sarif");
    const log = sarifOf();
    expect(sarifSchemaErrors(log)).toEqual([]);
    const located = log.runs[0].results.map((r: any) => [r.ruleId, r.locations[0].physicalLocation.artifactLocation.uri]);
    expect(located.sort()).toEqual([
      ["py/command-injection", "app/views.py"],
      ["py/unsafe-yaml", "app/config.py"],
    ]);
    expect(run.summary).toContain(`Empathy review of ${base.slice(0, 12)}...${head.slice(0, 12)}: 2 result(s) in empathy.sarif`);
  });

  it("fails at the fail-on severity, the log still written for the upload; passes when every finding is below it", () => {
    const failing = runAction({ workspace: repo, eventName: "pull_request", event: pullRequestEvent(), inputs: { "fail-on": "high" } });
    expect(failing.code).toBe(1);
    expect(failing.steps[3].stderr).toContain("--fail-on high: 1 finding(s) at high or above");
    expect(failing.steps[3].stdout).toContain("::error title=Empathy review::findings at high or above");
    expect(failing.outputs["sarif-file"]).toBe("empathy.sarif");
    expect(sarifOf().runs[0].results).toHaveLength(2);

    // base...middle: the medium finding only.
    const below = runAction({
      workspace: repo,
      eventName: "pull_request",
      event: pullRequestEvent(base, middle),
      inputs: { "fail-on": "high", "sarif-file": "below.sarif" },
    });
    expect(below.code).toBe(0);
    expect(below.outputs["sarif-file"]).toBe("below.sarif");
    expect(sarifOf("below.sarif").runs[0].results.map((r: any) => r.ruleId)).toEqual(["py/unsafe-yaml"]);
    rmSync(join(repo, "below.sarif"));
  });

  it("passes min-severity and target-level to the CLI; fail-on still judges what the log leaves out", () => {
    const run = runAction({
      workspace: repo,
      eventName: "pull_request",
      event: pullRequestEvent(),
      inputs: { "fail-on": "low", "min-severity": "critical", "target-level": "2" },
    });
    expect(run.code).toBe(1);
    expect(run.steps[3].stderr).toContain("--fail-on low: 2 finding(s) at low or above");
    expect(run.steps[3].stderr).toContain("(not in the report: below the minimum severity, critical)");
    // The medium finding is left out of the log; the critical one is there, whatever the level.
    expect(sarifOf().runs[0].results.map((r: any) => r.ruleId)).toEqual(["py/command-injection"]);
  });

  it("says clearly that it needs a pull request when the workflow runs on another event, and runs nothing else", () => {
    const run = runAction({ workspace: repo, eventName: "push", event: examplePayload("push") });
    expect(run.code).toBe(1);
    expect(run.steps.filter((s) => s.ran).map((s) => s.id)).toEqual(["event"]);
    expect(run.steps[0].stdout).toContain("::error title=Empathy review::this action reviews a pull request's change");
    expect(run.steps[0].stdout).toContain("this workflow runs on push");
    expect(run.outputs["sarif-file"]).toBe("");
    expect(existsSync(join(repo, "empathy.sarif"))).toBe(false);
  });

  it("tells a shallow checkout (base not fetched) to use fetch-depth: 0, and writes no log", () => {
    const missing = "0123456789abcdef0123456789abcdef01234567";
    const run = runAction({ workspace: repo, eventName: "pull_request", event: pullRequestEvent(missing) });
    expect(run.code).toBe(2);
    expect(run.steps[3].stdout).toContain(`commit ${missing} is not in the checkout`);
    expect(run.steps[3].stdout).toContain("fetch-depth: 0");
    expect(run.outputs["sarif-file"]).toBe("");
    expect(existsSync(join(repo, "empathy.sarif"))).toBe(false);
  });

  it("treats inputs as data: a hostile input is refused by the CLI, never run by the shell", () => {
    const run = runAction({
      workspace: repo,
      eventName: "pull_request",
      event: pullRequestEvent(),
      inputs: { "fail-on": 'high"; touch pwned; echo "', "target-level": "$(touch pwned2)" },
    });
    expect(run.code).toBe(2);
    expect(run.steps[3].stderr).toMatch(/--fail-on is one of info, low, medium, high, critical/);
    expect(existsSync(join(repo, "pwned"))).toBe(false);
    expect(existsSync(join(repo, "pwned2"))).toBe(false);
    expect(existsSync(join(repo, "empathy.sarif"))).toBe(false);
    expect(run.outputs["sarif-file"]).toBe("");
  });
});

describe("examples/workflows/empathy-review.yml", () => {
  const workflow = parseYaml(readFileSync(join(ROOT, "examples/workflows/empathy-review.yml"), "utf8")) as {
    on: Record<string, unknown>;
    permissions: Record<string, string>;
    jobs: Record<string, { steps: Step[] }>;
  };
  const steps = Object.values(workflow.jobs)[0].steps;

  it("runs on pull requests with only the permissions the upload needs", () => {
    expect(Object.keys(workflow.on)).toEqual(["pull_request"]);
    expect(workflow.permissions).toEqual({ contents: "read", "security-events": "write" });
    expect(Object.keys(workflow.jobs)).toHaveLength(1);
  });

  it("checks out the whole history, runs this action with its own inputs, and uploads the log it wrote", () => {
    expect(steps[0].uses).toMatch(/^actions\/checkout@v\d+$/);
    expect(steps[0].with?.["fetch-depth"]).toBe(0);
    const empathy = steps[1];
    expect(empathy.uses).toMatch(/\/empathy-bot@/);
    for (const key of Object.keys(empathy.with ?? {})) expect(Object.keys(action.inputs)).toContain(key);
    const upload = steps[2];
    expect(upload.uses).toBe("github/codeql-action/upload-sarif@v3");
    expect(upload.with?.sarif_file).toBe(`\${{ steps.${empathy.id}.outputs.sarif-file }}`);
    // Also after fail-on failed the job, when the log was written.
    expect(upload.if).toContain("!cancelled()");
    expect(upload.if).toContain(`steps.${empathy.id}.outputs.sarif-file != ''`);
  });
});
