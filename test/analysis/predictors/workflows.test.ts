import { workflowsPredictor } from "../../../src/analysis/predictors/workflows.js";
import { added, change, file, predict, predictChanges } from "./helpers.js";
import { aliasBomb } from "../../helpers/yamlBombs.js";

const newWorkflow = (path: string, yaml: string) => predictChanges(workflowsPredictor, [change(path, "", yaml)]);
const kinds = (preds: { kind: string }[]) => preds.map((p) => p.kind);

const PR_TARGET = `name: Preview
on:
  pull_request_target:
    types: [opened, synchronize]

permissions:
  contents: read
  pull-requests: write

jobs:
  preview:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11 # v4.1.1
        with:
          ref: \${{ github.event.pull_request.head.sha }}
      - uses: actions/setup-node@60edb5dd545a775178f52524783378180af0d1f8 # v4.0.2
        with:
          node-version: 20
      - run: npm ci && npm run build
        env:
          VERCEL_TOKEN: \${{ secrets.VERCEL_TOKEN }}
`;

describe("workflows predictor: untrusted checkout", () => {
  it("pull_request_target that checks out and builds the pull request head is critical", () => {
    const preds = newWorkflow(".github/workflows/preview.yml", PR_TARGET);
    expect(kinds(preds)).toEqual(["ci-untrusted-checkout"]);
    expect(preds[0]).toMatchObject({ severity: "critical", confidence: 0.9, line: 16, side: "RIGHT" });
    expect(preds[0].prediction).toMatch(/fork/);
    expect(preds[0].tags).toEqual(["ci", "security", "secrets"]);
  });

  it("is found when only the ref line is added to an existing pull_request_target workflow", () => {
    const before = PR_TARGET.replace("        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n", "");
    const preds = predictChanges(workflowsPredictor, [change(".github/workflows/preview.yml", before, PR_TARGET)]);
    expect(kinds(preds)).toEqual(["ci-untrusted-checkout"]);
    // Without the whole file the trigger is out of view: nothing is claimed.
    expect(predictChanges(workflowsPredictor, [change(".github/workflows/preview.yml", before, PR_TARGET, 1)], false)).toEqual([]);
  });

  it("also catches gh pr checkout and refs/pull in comment-triggered workflows without a maintainer gate", () => {
    const comment = `on:
  issue_comment:
    types: [created]
jobs:
  test:
    if: github.event.issue.pull_request && contains(github.event.comment.body, '/test')
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@b4ffde65f46336ab88eb53be808477a3936bae11
        with:
          ref: refs/pull/\${{ github.event.issue.number }}/head
      - run: make test
        env:
          API_KEY: \${{ secrets.API_KEY }}
`;
    expect(kinds(newWorkflow(".github/workflows/comment-test.yml", comment))).toEqual(["ci-untrusted-checkout"]);
    const gated = comment.replace(
      "contains(github.event.comment.body, '/test')",
      "contains(github.event.comment.body, '/test') && github.event.comment.author_association == 'MEMBER'",
    );
    expect(kinds(newWorkflow(".github/workflows/comment-test.yml", gated))).toEqual([]);
    const ghCheckout = PR_TARGET.replace("        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n", "").replace(
      "      - run: npm ci && npm run build",
      "      - run: gh pr checkout ${{ github.event.pull_request.number }}\n      - run: npm ci && npm run build",
    );
    expect(kinds(newWorkflow(".github/workflows/preview.yml", ghCheckout))).toEqual(["ci-untrusted-checkout"]);
  });

  it("stays quiet on the safe twins", () => {
    // pull_request_target that checks out the base branch (the default) only.
    expect(
      newWorkflow(
        ".github/workflows/label.yml",
        PR_TARGET.replace("        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n", ""),
      ),
    ).toEqual([]);
    // pull_request (no secrets for forks) checking out the head.
    expect(newWorkflow(".github/workflows/ci.yml", PR_TARGET.replace("pull_request_target:", "pull_request:"))).toEqual([]);
  });
});

describe("workflows predictor: script injection and secrets", () => {
  const triage = `name: Triage
on:
  issues:
    types: [opened]
jobs:
  triage:
    runs-on: ubuntu-latest
    steps:
      - name: Label bugs
        run: |
          title="\${{ github.event.issue.title }}"
          if [[ "$title" == *"bug"* ]]; then gh issue edit \${{ github.event.issue.number }} --add-label bug; fi
        env:
          GH_TOKEN: \${{ github.token }}
`;

  it("flags untrusted text in run:, critical on privileged triggers", () => {
    const preds = newWorkflow(".github/workflows/triage.yml", triage);
    expect(preds.map((p) => [p.kind, p.severity, p.line])).toEqual([["ci-script-injection", "critical", 11]]);
    expect(preds[0].prediction).toContain("github.event.issue.title");
    const onPr =
      'on: pull_request\njobs:\n  greet:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo "Building ${{ github.head_ref }}"\n';
    expect(newWorkflow(".github/workflows/greet.yml", onPr).map((p) => [p.kind, p.severity])).toEqual([["ci-script-injection", "high"]]);
    const script =
      "on: issue_comment\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/github-script@60a0d83039c74a4aee543508d2ffcb1c3799cdea\n        with:\n          script: |\n            const body = `${{ github.event.comment.body }}`\n";
    expect(kinds(newWorkflow(".github/workflows/c.yml", script))).toEqual(["ci-script-injection"]);
  });

  it("stays quiet when the value goes through env, an if: or with:", () => {
    const safe = triage
      .replace('title="${{ github.event.issue.title }}"', 'title="$TITLE"')
      .replace("GH_TOKEN: ${{ github.token }}", "GH_TOKEN: ${{ github.token }}\n          TITLE: ${{ github.event.issue.title }}");
    expect(newWorkflow(".github/workflows/triage.yml", safe)).toEqual([]);
    const withIf =
      "on: issues\njobs:\n  j:\n    if: contains(github.event.issue.title, 'bug')\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/labeler@8558fd74291d67161a8a78ce36a881fa63b766a9\n        with:\n          title: ${{ github.event.issue.title }}\n";
    expect(newWorkflow(".github/workflows/l.yml", withIf)).toEqual([]);
  });

  it("flags secrets printed, encoded or dumped, not secrets used", () => {
    const wf = (run: string) => `on: push\njobs:\n  deploy:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ${run}\n`;
    expect(
      newWorkflow(".github/workflows/d.yml", wf("echo ${{ secrets.AWS_SECRET_ACCESS_KEY }}")).map((p) => [p.kind, p.confidence]),
    ).toEqual([["ci-secret-leak", 0.65]]);
    expect(
      newWorkflow(".github/workflows/d.yml", wf('echo "${{ secrets.DEPLOY_KEY }}" | base64')).map((p) => [p.kind, p.severity]),
    ).toEqual([["ci-secret-leak", "critical"]]);
    expect(
      newWorkflow(".github/workflows/d.yml", wf("echo '${{ toJSON(secrets) }}' > secrets.json")).map((p) => [p.kind, p.confidence]),
    ).toEqual([["ci-secret-leak", 0.9]]);
    // Safe twins: piped to a login, decoded into a file, exported to later steps, used by curl.
    expect(
      newWorkflow(".github/workflows/d.yml", wf('echo "${{ secrets.REGISTRY_PASSWORD }}" | docker login ghcr.io -u bot --password-stdin')),
    ).toEqual([]);
    expect(newWorkflow(".github/workflows/d.yml", wf('echo "${{ secrets.KUBECONFIG_B64 }}" | base64 -d > kubeconfig'))).toEqual([]);
    expect(newWorkflow(".github/workflows/d.yml", wf('echo "NPM_TOKEN=${{ secrets.NPM_TOKEN }}" >> "$GITHUB_ENV"'))).toEqual([]);
    expect(
      newWorkflow(
        ".github/workflows/d.yml",
        wf('curl -fsS -H "Authorization: Bearer ${{ secrets.API_TOKEN }}" https://api.example.com/deploy'),
      ),
    ).toEqual([]);
    expect(newWorkflow(".github/workflows/d.yml", wf('echo "::add-mask::${{ secrets.DERIVED }}"'))).toEqual([]);
  });
});

describe("workflows predictor: pinning and permissions", () => {
  const wf = `name: Release
on:
  push:
    tags: ["v*"]
permissions: write-all
jobs:
  release:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: docker/setup-buildx-action@v3
      - uses: softprops/action-gh-release@master
      - uses: docker/setup-buildx-action@v3
      - uses: aquasecurity/trivy-action@d43c1f16c00cfd3978dde6c07f4bbcf9eb6993ca # 0.16.1
      - uses: ./.github/actions/notify
      - uses: docker://alpine:3.19
`;

  it("grades unpinned actions by owner and ref, once per action, and write-all", () => {
    const preds = newWorkflow(".github/workflows/release.yml", wf);
    expect(preds.map((p) => [p.kind, p.line, p.confidence, p.severity])).toEqual([
      ["ci-excessive-permissions", 5, 0.7, "medium"],
      ["ci-unpinned-action", 10, 0.4, "low"],
      ["ci-unpinned-action", 11, 0.65, "medium"],
      ["ci-unpinned-action", 12, 0.75, "medium"],
    ]);
    expect(preds[2].prediction).toContain("docker/setup-buildx-action@v3");
    expect(preds[2].tags).toEqual(["ci", "security", "supply-chain"]);
  });

  it("does not re-flag an already unpinned action whose version is bumped", () => {
    const f = file(
      ".github/workflows/ci.yml",
      ["     steps:", "-      - uses: docker/build-push-action@v5", "+      - uses: docker/build-push-action@v6"],
      20,
    );
    expect(predict(workflowsPredictor, [f])).toEqual([]);
    const fresh = file(".github/workflows/ci.yml", ["     steps:", "+      - uses: docker/build-push-action@v6"], 20);
    expect(kinds(predict(workflowsPredictor, [fresh]))).toEqual(["ci-unpinned-action"]);
  });

  it("ignores files that are not workflows, and never throws on bad YAML", () => {
    expect(predict(workflowsPredictor, [file("docs/ci.yml", added("permissions: write-all\nsteps:\n  - uses: foo/bar@main"))])).toEqual([]);
    expect(predict(workflowsPredictor, [file(".github/dependabot.yml", added("updates:\n  - uses: foo/bar@main"))])).toEqual([]);
    const broken =
      "on: [pull_request_target\njobs:\n  x:\n    steps:\n      - uses: actions/checkout@v4\n        with:\n          ref: ${{ github.event.pull_request.head.sha }}\n      - run: make\n";
    expect(() => newWorkflow(".github/workflows/broken.yml", broken)).not.toThrow();
    // The line-based trigger fallback still sees the trigger.
    expect(kinds(newWorkflow(".github/workflows/broken.yml", broken))).toContain("ci-untrusted-checkout");
  });
});

describe("workflows predictor: expressions", () => {
  const wf = (run: string) => `on: pull_request_target\njobs:\n  j:\n    runs-on: ubuntu-latest\n    steps:\n      - run: ${run}\n`;
  it("finds untrusted contexts inside larger expressions, not in comparisons", () => {
    expect(kinds(newWorkflow(".github/workflows/x.yml", wf("echo \"${{ github.event.pull_request.title || 'untitled' }}\"")))).toEqual([
      "ci-script-injection",
    ]);
    expect(kinds(newWorkflow(".github/workflows/x.yml", wf("echo '${{ toJSON(github.event) }}' > event.json")))).toEqual([
      "ci-script-injection",
    ]);
    expect(newWorkflow(".github/workflows/x.yml", wf("echo ${{ contains(github.event.pull_request.title, 'WIP') }}"))).toEqual([]);
    expect(newWorkflow(".github/workflows/x.yml", wf("echo ${{ github.event.pull_request.number }}"))).toEqual([]);
  });
});

describe("workflows predictor: bounded YAML", () => {
  it("reads the triggers from the lines when the workflow is an alias bomb, at once", () => {
    const started = Date.now();
    const preds = newWorkflow(".github/workflows/preview.yml", `${PR_TARGET}x-lol:\n${aliasBomb().replace(/^(?=.)/gm, "  ")}`);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(kinds(preds)).toEqual(["ci-untrusted-checkout"]);
  });
});
