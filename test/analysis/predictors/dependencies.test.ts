import { dependenciesPredictor, isMajorBump, parseVersion } from "../../../src/analysis/predictors/dependencies.js";
import { runAnalysis } from "../../../src/analysis/analyze.js";
import { file, predict } from "./helpers.js";

const bumps = (path: string, lines: string[]) => predict(dependenciesPredictor, [file(path, lines)]);

describe("dependencies predictor", () => {
  it("predicts a major bump in package.json on the added line", () => {
    const preds = bumps("package.json", [
      '   "dependencies": {',
      '-    "express": "^4.19.2",',
      '+    "express": "^5.1.0",',
      '-    "lodash": "~4.17.20",',
      '+    "lodash": "~4.17.21",',
      '     "zod": "^4.0.0"',
      "   },",
      '   "devDependencies": {',
      '-    "jest": "29.7.0",',
      '+    "jest": "30.0.0",',
      "   }",
    ]);
    expect(preds.map((p) => [p.kind, p.line, p.side])).toEqual([
      ["dependency-major-bump", 2, "RIGHT"],
      ["dependency-major-bump", 7, "RIGHT"],
    ]);
    expect(preds[0].prediction).toContain("`express`");
    expect(preds[0].prediction).toContain("^4.19.2 → ^5.1.0");
    expect(preds[0].tags).toContain("dependencies");
  });

  it("treats a 0.x minor bump as major, but not patches, downgrades or other fields", () => {
    expect(bumps("package.json", ['   "dependencies": {', '-    "pkg": "^0.3.1",', '+    "pkg": "^0.4.0",', "   }"])).toHaveLength(1);
    expect(bumps("package.json", ['   "dependencies": {', '-    "pkg": "^0.3.1",', '+    "pkg": "^0.3.9",', "   }"])).toEqual([]);
    expect(bumps("package.json", ['   "dependencies": {', '-    "pkg": "^3.0.0",', '+    "pkg": "^2.0.0",', "   }"])).toEqual([]);
    expect(bumps("package.json", [" {", '-  "version": "1.4.0",', '+  "version": "2.0.0",', '   "name": "x"'])).toEqual([]);
    expect(bumps("package.json", ['   "engines": {', '-    "node": ">=18",', '+    "node": ">=20",', "   }"])).toEqual([]);
    expect(bumps("package.json", ['   "scripts": {', '-    "build": "tsc -p 1",', '+    "build": "tsc -p 2",', "   }"])).toEqual([]);
  });

  it("reads requirements files, pyproject.toml and go.mod", () => {
    expect(bumps("requirements.txt", ["-Django==4.2.11", "+Django==5.0.3", " requests==2.31.0"]).map((p) => p.prediction)).toEqual([
      expect.stringContaining("`django`"),
    ]);
    expect(bumps("requirements-dev.txt", ["-pytest>=7.4", "+pytest>=8.1"])).toHaveLength(1);
    expect(bumps("pyproject.toml", [" dependencies = [", '-  "pydantic>=1.10",', '+  "pydantic>=2.6",', " ]"])).toHaveLength(1);
    expect(
      bumps("pyproject.toml", [
        " [tool.poetry.dependencies]",
        '-sqlalchemy = "^1.4"',
        '+sqlalchemy = "^2.0"',
        '-python = "^3.9"',
        '+python = "^4.0"',
      ]),
    ).toHaveLength(1);
    expect(
      bumps("pyproject.toml", [
        " [tool.poetry.dependencies]",
        '-fastapi = { version = "^0.109", extras = ["all"] }',
        '+fastapi = { version = "^0.110", extras = ["all"] }',
      ]),
    ).toHaveLength(1);
    expect(
      bumps("go.mod", [
        " require (",
        "-\tgithub.com/go-chi/chi/v4 v4.1.2",
        "+\tgithub.com/go-chi/chi/v5 v5.0.12",
        "-\tgolang.org/x/net v0.20.0",
        "+\tgolang.org/x/net v0.21.0",
        " )",
      ]),
    ).toHaveLength(1); // golang.org/x minors keep compatibility
    expect(
      bumps("go.mod", [
        " require (",
        "-\tgopkg.in/yaml.v2 v2.4.0",
        "+\tgopkg.in/yaml.v3 v3.0.1",
        "-\tgithub.com/pkg/errors v0.9.1",
        "+\tgithub.com/pkg/errors v0.9.2",
        " )",
      ]),
    ).toHaveLength(1);
  });

  it("ignores other files", () => {
    expect(bumps("docs/package.json.md", ['-    "express": "^4.19.2",', '+    "express": "^5.1.0",'])).toEqual([]);
  });

  it("parses versions", () => {
    expect(parseVersion("^1.2.3")).toMatchObject({ major: 1, minor: 2 });
    expect(parseVersion(">= 2")).toMatchObject({ major: 2, minor: 0 });
    expect(parseVersion("npm:string-width@^4.2.0")).toMatchObject({ major: 4, minor: 2 });
    expect(parseVersion("workspace:*")).toBeUndefined();
    expect(parseVersion("git+https://github.com/a/b.git")).toBeUndefined();
    expect(isMajorBump({ major: 1, minor: 9, text: "" }, { major: 2, minor: 0, text: "" })).toBe(true);
    expect(isMajorBump({ major: 1, minor: 1, text: "" }, { major: 1, minor: 9, text: "" })).toBe(false);
    // Calendar versions (certifi 2024.8.30 -> 2025.1.31): a new year is not a breaking major.
    expect(isMajorBump(parseVersion("2024.8.30")!, parseVersion("2025.1.31")!)).toBe(false);
  });

  it("one prediction per package per change, however many manifests bump it", async () => {
    const files = ["requirements.txt", "requirements/prod.txt", "services/api/requirements.txt"].map((path) =>
      file(path, ["-Django==4.2.11", "+Django==5.0.3"]),
    );
    files.push(file("requirements/base.txt", ["-celery==5.3.0", "+Celery==6.0.0"]));
    const result = await runAnalysis({ files });
    expect(result.predictions.filter((p) => p.kind === "dependency-major-bump").map((p) => [p.path, p.subject])).toEqual([
      ["requirements.txt", "django"],
      ["requirements/base.txt", "celery"],
    ]);
  });
});
