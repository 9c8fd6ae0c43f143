import { dependenciesPredictor, parseVersion } from "../../../src/analysis/predictors/dependencies.js";
import { change, file, predict, predictChanges } from "./helpers.js";

const bumps = (path: string, lines: string[], start = 1) => predict(dependenciesPredictor, [file(path, lines, start)]);

const PACKAGE_JSON = `{
  "name": "storefront",
  "version": "3.2.0",
  "private": true,
  "scripts": {
    "build": "next build",
    "test": "jest"
  },
  "dependencies": {
    "next": "^14.2.3",
    "react": "^18.3.1",
    "react-dom": "^18.3.1",
    "zod": "^3.23.8",
    "undici": ">=5.28.0"
  },
  "devDependencies": {
    "@types/react": "^18.3.3",
    "eslint": "^8.57.0",
    "jest": "^29.7.0",
    "typescript": "~5.4.5"
  },
  "engines": {
    "node": ">=18.17"
  }
}
`;

describe("dependencies predictor, deeper", () => {
  it("package.json with the whole file: runtime, dev and @types bumps are calibrated apart", () => {
    const after = PACKAGE_JSON.replace('"react": "^18.3.1"', '"react": "^19.0.0"')
      .replace('"react-dom": "^18.3.1"', '"react-dom": "^19.0.0"')
      .replace('"@types/react": "^18.3.3"', '"@types/react": "^19.0.1"')
      .replace('"eslint": "^8.57.0"', '"eslint": "^9.4.0"')
      .replace('"typescript": "~5.4.5"', '"typescript": "~5.5.2"')
      .replace('"undici": ">=5.28.0"', '"undici": ">=6.0.0"')
      .replace('"node": ">=18.17"', '"node": ">=20.0"')
      .replace('"version": "3.2.0"', '"version": "4.0.0"');
    const preds = predictChanges(dependenciesPredictor, [change("package.json", PACKAGE_JSON, after)]);
    expect(preds.map((p) => [p.prediction.match(/`([^`]+)`/)?.[1], p.confidence, p.severity])).toEqual([
      ["react", 0.7, "medium"],
      ["react-dom", 0.7, "medium"],
      ["undici", 0.7, "medium"],
      ["@types/react", 0.5, "low"],
      ["eslint", 0.6, "low"],
    ]);
    expect(preds[4].prediction).toMatch(/development dependency/);
  });

  it("package.json: a range widened to accept the new major keeps the old one", () => {
    expect(
      bumps("package.json", ['   "peerDependencies": {', '-    "react": "^17.0.0",', '+    "react": "^17.0.0 || ^18.0.0",', "   }"]),
    ).toEqual([]);
    expect(bumps("package.json", ['   "dependencies": {', '-    "left-pad": "<2",', '+    "left-pad": "<3",', "   }"])).toEqual([]);
    expect(bumps("package.json", ['   "dependencies": {', '-    "pkg": "1.x",', '+    "pkg": "2.x",', "   }"])).toHaveLength(1);
    expect(
      bumps("examples/app/package.json", ['   "dependencies": {', '-    "next": "^13.0.0",', '+    "next": "^14.0.0",', "   }"]),
    ).toEqual([]);
  });

  it("requirements files: pins, ~= and >= ranges, dev files, and a requirements/ folder", () => {
    const lines = [
      " # core",
      "-Django==4.2.11",
      "+Django==5.0.4",
      "-celery[redis]~=5.3.6",
      "+celery[redis]~=5.4.0",
      "-SQLAlchemy>=1.4,<2",
      "+SQLAlchemy>=2.0,<3",
      "-urllib3>=1.26.18 ; python_version < '3.10'",
      "+urllib3>=2.2.1 ; python_version < '3.10'",
      " requests==2.31.0",
    ];
    expect(bumps("requirements/base.txt", lines).map((p) => [p.prediction.match(/`([^`]+)`/)?.[1], p.severity])).toEqual([
      ["django", "medium"],
      ["sqlalchemy", "medium"],
      ["urllib3", "medium"],
    ]);
    expect(bumps("requirements/dev.txt", ["-pytest==7.4.4", "+pytest==8.2.0"])[0]).toMatchObject({ severity: "low", confidence: 0.6 });
    expect(bumps("requirements.txt", ["-# Django==3.2", "+# Django==4.2"])).toEqual([]);
  });

  const PYPROJECT = `[project]
name = "billing"
version = "1.9.0"
requires-python = ">=3.10"
dependencies = [
  "fastapi>=0.110",
  "pydantic>=1.10,<2",
  "httpx~=0.26.0",
]

[project.optional-dependencies]
dev = [
  "pytest>=7.4",
  "mypy>=1.8",
]

[tool.commitizen]
version = "1.9.0"

[tool.black]
target-version = ["py311"]
`;

  it("pyproject.toml (PEP 621): project and optional dependencies, not other tables", () => {
    const after = PYPROJECT.replace('"pydantic>=1.10,<2"', '"pydantic>=2.6,<3"')
      .replace('"httpx~=0.26.0"', '"httpx~=0.27.0"')
      .replace('"pytest>=7.4"', '"pytest>=8.0"')
      .replace('version = "1.9.0"\n\n[tool.black]', 'version = "2.0.0"\n\n[tool.black]')
      .replace('version = "1.9.0"\nrequires', 'version = "2.0.0"\nrequires');
    const preds = predictChanges(dependenciesPredictor, [change("pyproject.toml", PYPROJECT, after)]);
    expect(preds.map((p) => [p.prediction.match(/`([^`]+)`/)?.[1], p.severity, p.confidence])).toEqual([
      ["pydantic", "medium", 0.7],
      ["httpx", "medium", 0.65],
      ["pytest", "low", 0.6],
    ]);
    expect(preds[1].prediction).toMatch(/0\.x minor/);
  });

  const POETRY = `[tool.poetry]
name = "worker"
version = "0.4.0"

[tool.poetry.dependencies]
python = "^3.11"
celery = { version = "^5.3", extras = ["redis"] }
boto3 = "^1.34"

[tool.poetry.group.dev.dependencies]
ruff = "^0.3.0"

[tool.poetry.dependencies.numpy]
version = "^1.26"
optional = true
`;

  it("pyproject.toml (Poetry): dependencies, groups and table-form entries", () => {
    const after = POETRY.replace('python = "^3.11"', 'python = "^4.0"')
      .replace('version = "^5.3"', 'version = "^6.0"')
      .replace('ruff = "^0.3.0"', 'ruff = "^0.4.0"')
      .replace('version = "^1.26"', 'version = "^2.0"')
      .replace('version = "0.4.0"', 'version = "1.0.0"');
    const preds = predictChanges(dependenciesPredictor, [change("services/worker/pyproject.toml", POETRY, after)]);
    expect(preds.map((p) => [p.prediction.match(/`([^`]+)`/)?.[1], p.severity])).toEqual([
      ["celery", "medium"],
      ["ruff", "low"],
      ["numpy", "medium"],
    ]);
  });

  it("go.mod: module path majors, indirect dependencies, replace directives", () => {
    const before =
      "module example.com/api\n\ngo 1.22\n\nrequire (\n\tgithub.com/jackc/pgx/v4 v4.18.1\n\tgithub.com/redis/go-redis/v8 v8.11.5 // indirect\n\tgolang.org/x/sync v0.6.0\n)\n\nreplace github.com/acme/lib v1.2.0 => github.com/acme/lib v2.0.0\n";
    const after = before
      .replace("github.com/jackc/pgx/v4 v4.18.1", "github.com/jackc/pgx/v5 v5.5.5")
      .replace("github.com/redis/go-redis/v8 v8.11.5 // indirect", "github.com/redis/go-redis/v9 v9.5.1 // indirect")
      .replace("golang.org/x/sync v0.6.0", "golang.org/x/sync v0.7.0")
      .replace("go 1.22", "go 1.23")
      .replace("github.com/acme/lib v1.2.0 => github.com/acme/lib v2.0.0", "github.com/acme/lib v1.3.0 => github.com/acme/lib v3.0.0");
    const preds = predictChanges(dependenciesPredictor, [change("go.mod", before, after)]);
    expect(preds.map((p) => [p.prediction.match(/`([^`]+)`/)?.[1], p.severity])).toEqual([
      ["github.com/jackc/pgx", "medium"],
      ["github.com/redis/go-redis", "low"],
    ]);
    // An ordinary v0 module: semver lets its minors break.
    expect(
      bumps("go.mod", [
        " require (",
        "-\tgithub.com/charmbracelet/bubbletea v0.25.0",
        "+\tgithub.com/charmbracelet/bubbletea v0.26.1",
        " )",
      ]),
    ).toHaveLength(1);
  });

  it("Cargo.toml, Pipfile and Gemfile", () => {
    expect(
      bumps("Cargo.toml", [
        " [dependencies]",
        '-tokio = { version = "1.36", features = ["full"] }',
        '+tokio = { version = "1.37", features = ["full"] }',
        '-axum = "0.6"',
        '+axum = "0.7"',
        " [package]",
      ]),
    ).toHaveLength(1);
    expect(
      bumps("Cargo.toml", [" [package]", '-version = "0.6.0"', '+version = "0.7.0"', '-edition = "2018"', '+edition = "2021"']),
    ).toEqual([]);
    expect(
      bumps("Pipfile", [" [packages]", '-flask = "==2.3.3"', '+flask = "==3.0.3"', " [requires]", ' python_version = "3.12"']),
    ).toHaveLength(1);
    const gem = bumps("Gemfile", [
      " source 'https://rubygems.org'",
      "-gem 'rails', '~> 7.0.8'",
      "+gem 'rails', '~> 7.1.3'",
      "-gem 'sidekiq', '~> 6.5'",
      "+gem 'sidekiq', '~> 7.2'",
      " group :development, :test do",
      "-  gem 'rspec-rails', '~> 5.1'",
      "+  gem 'rspec-rails', '~> 6.1'",
      " end",
    ]);
    expect(gem.map((p) => [p.prediction.match(/`([^`]+)`/)?.[1], p.severity])).toEqual([
      ["sidekiq", "medium"],
      ["rspec-rails", "low"],
    ]);
  });

  it("parses ranges", () => {
    expect(parseVersion(">=1.2.7 <1.3.0")).toMatchObject({ major: 1, minor: 2 });
    expect(parseVersion("^1.0.0 || ^2.0.0")).toMatchObject({ major: 1, minor: 0 });
    expect(parseVersion("1.2.3 - 2.3.4")).toMatchObject({ major: 1, minor: 2 });
    expect(parseVersion("~> 7.1")).toMatchObject({ major: 7, minor: 1 });
    expect(parseVersion("==4.*")).toMatchObject({ major: 4, minor: 0 });
    expect(parseVersion("<3")).toBeUndefined();
    expect(parseVersion("latest")).toBeUndefined();
  });

  it("never throws on malformed manifests", () => {
    expect(() =>
      predictChanges(dependenciesPredictor, [
        change("package.json", PACKAGE_JSON, PACKAGE_JSON.replace('"react": "^18.3.1",', '"react": "^19.0.0",,, {{{')),
      ]),
    ).not.toThrow();
    expect(() => bumps("pyproject.toml", ["+[[[", "+= = =", '-x = "^1"', '+x = "^2'])).not.toThrow();
  });
});
