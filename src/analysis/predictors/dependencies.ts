/**
 * Major version bumps of dependencies (package.json, requirements*.txt, pyproject.toml with PEP
 * 621, PEP 735 or Poetry tables, Pipfile, go.mod, Cargo.toml, Gemfile): a major version is the
 * author saying "this breaks things", and the breakage often only shows at runtime, in code
 * paths the tests do not cover. Below 1.0 a minor bump counts as major (semver, Cargo, Poetry's
 * `^0.x`). Development-only dependencies break the build or CI, not production: lower severity.
 */
import type { SyncAnalyzer, DiffFile, DiffLine, Prediction, Severity } from "../types.js";
import { baseName, contentOf, isNotDeployed, makePrediction, safely, sidedLines, type SidedLine } from "./predict.js";

export interface Version {
  major: number;
  minor: number;
  text: string;
}

type Scope = "runtime" | "dev" | "types" | "indirect";

interface Dep {
  name: string;
  version: Version;
  at: DiffLine;
  scope: Scope;
}

/** One comparator or pin: "^1.2.3" -> 1.2, ">=2" -> 2.0, "v3.1.0" -> 3.1, "~> 7.1" -> 7.1; "<3" -> none (an upper bound). */
function parseOne(s: string): Version | undefined {
  const t = s.trim();
  if (/^<|^!=/.test(t)) return undefined;
  const m = /^(?:[\^~=v]|>=?|~=|~>|===?)*\s*v?(\d+)(?:\.(\d+|[xX*]))?/.exec(t);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: m[2] === undefined || /[xX*]/.test(m[2]) ? 0 : Number(m[2]), text: t };
}

/** The lowest version a range or pin allows (the lowest of `||` alternatives, the lower bound of a range). */
export function parseVersion(spec: string): Version | undefined {
  const s = spec.trim().replace(/^npm:(?:@?[^@\s]+)@/, "");
  let best: Version | undefined;
  for (const alt of s.split("||")) {
    // ">=1.2 <2", ">=1.2,<2", "1.2.3 - 2.0.0": the first comparator that is not an upper bound
    const parts = alt.split(/\s*,\s*|\s+(?=[<>=^~!])|\s+-\s+/).filter(Boolean);
    let v: Version | undefined;
    for (const p of parts) if ((v = parseOne(p))) break;
    if (v && (!best || v.major < best.major || (v.major === best.major && v.minor < best.minor))) best = v;
  }
  return best ? { ...best, text: s } : undefined;
}

/** A calendar version (2024.8.30): its first number is a year, which says nothing about breaking. */
function isCalendarVersion(v: Version): boolean {
  return v.major >= 1990 && v.major <= 2100;
}

/** Semver: a major bump, or a minor bump below 1.0 (0.x minors may break). Not a new year of a calendar version. */
export function isMajorBump(from: Version, to: Version): boolean {
  if (isCalendarVersion(from) && isCalendarVersion(to)) return false;
  if (to.major !== from.major) return to.major > from.major;
  return from.major === 0 && to.minor > from.minor;
}

// package.json ---------------------------------------------------------------------------------

const NPM_ENTRY = /^\s*"(@?[^"\s]+)"\s*:\s*"([^"]*)"\s*,?\s*$/;
const NPM_SECTION = /"(\w*[dD]ependencies|resolutions|overrides)"\s*:\s*\{/;
const NOT_A_DEPENDENCY = new Set(["version", "node", "npm", "yarn", "pnpm", "name", "packageManager"]);

/** The dependencies object an entry sits in; "?" when its header is not in view; undefined when it is another object. */
function npmSection(s: SidedLine): string | undefined {
  const own = s.line.content.length - s.line.content.trimStart().length;
  for (let i = s.index - 1; i >= 0 && i >= s.index - 2000; i--) {
    const t = s.side[i].content;
    const indent = t.length - t.trimStart().length;
    if (indent < own && /\{\s*$/.test(t)) return NPM_SECTION.exec(t)?.[1];
  }
  return "?";
}

function npmDep(s: SidedLine): Dep | undefined {
  const m = NPM_ENTRY.exec(s.line.content);
  if (!m || NOT_A_DEPENDENCY.has(m[1])) return undefined;
  const section = npmSection(s);
  if (section === undefined) return undefined;
  const version = parseVersion(m[2]);
  if (!version) return undefined;
  const scope: Scope = m[1].startsWith("@types/") ? "types" : section === "devDependencies" ? "dev" : "runtime";
  return { name: m[1], version, at: s.line, scope };
}

// Python -----------------------------------------------------------------------------------------

const REQUIREMENT = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*((?:===?|~=|>=|>)\s*v?\d+(?:\.[\d*]+)*)/;
const PEP621_ITEM = /^\s*["']([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*((?:===?|~=|>=|\^|~)\s*v?\d+(?:\.[\d*]+)*)[^"']*["']\s*,?/;
const TOML_ENTRY = /^\s*["']?([A-Za-z0-9][A-Za-z0-9._-]*)["']?\s*=\s*(?:\{[^}]*?\bversion\s*=\s*)?["']([\^~=<>!\d*][^"']*)["']/;
const NOT_A_PACKAGE = new Set([
  "python",
  "requires-python",
  "version",
  "name",
  "description",
  "readme",
  "license",
  "target-version",
  "minversion",
  "python_version",
  "rust-version",
  "edition",
]);
const DEV_NAME = /^(?:dev|develop|development|test|tests|testing|lint|linting|docs?|typing|types|mypy|ci|format|style)$/i;

function pyName(name: string): string {
  return name.toLowerCase().replace(/[._]/g, "-");
}

function requirementsScope(path: string): Scope {
  return /(?:^|[/_.-])(?:dev|test|tests|testing|lint|docs?|ci|typing)(?:[/_.-]|$)/i.test(path.replace(/requirements/gi, ""))
    ? "dev"
    : "runtime";
}

function requirementDep(s: SidedLine, path: string): Dep | undefined {
  const m = REQUIREMENT.exec(s.line.content);
  const version = m ? parseVersion(m[2]) : undefined;
  return m && version ? { name: pyName(m[1]), version, at: s.line, scope: requirementsScope(path) } : undefined;
}

/** The TOML table a line belongs to (`tool.poetry.dependencies`), "" before any header, "?" when none is in view. */
function tomlTable(s: SidedLine): string {
  for (let i = s.index - 1; i >= 0 && i >= s.index - 2000; i--) {
    const m = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(?:#.*)?$/.exec(s.side[i].content);
    if (m) return m[1].replace(/\s+/g, "").replace(/["']/g, "");
  }
  const first = s.side[0];
  const fromTop = first !== undefined && (s.line.kind === "add" ? first.newLine === 1 : first.oldLine === 1);
  return fromTop ? "" : "?";
}

/** The key of the array a PEP 621 item is in (`dependencies = [`, `dev = [`). */
function arrayKey(s: SidedLine): string | undefined {
  for (let i = s.index - 1; i >= 0 && i >= s.index - 500; i--) {
    const t = s.side[i].content;
    const m = /^\s*["']?([\w.-]+)["']?\s*=\s*\[/.exec(t);
    if (m) return m[1];
    if (/^\s*\[/.test(t) || /\]\s*,?\s*$/.test(t)) return undefined;
  }
  return undefined;
}

function pyprojectDep(s: SidedLine): Dep | undefined {
  const table = tomlTable(s);
  const text = s.line.content;
  const item = PEP621_ITEM.exec(text);
  if (item) {
    const key = arrayKey(s) ?? (/^\s*[\w.-]+\s*=\s*\[/.test(text) ? /^\s*([\w.-]+)/.exec(text)?.[1] : undefined);
    let scope: Scope = "runtime";
    if (table === "project") {
      if (key !== undefined && key !== "dependencies") return undefined;
    } else if (table === "project.optional-dependencies" || table === "dependency-groups") {
      scope = key && DEV_NAME.test(key) ? "dev" : "runtime";
    } else if (table === "build-system" || /dev-dependencies$/.test(table) || /^tool\.(?:uv|pdm|hatch)/.test(table)) {
      scope = "dev";
    } else if (table !== "?" && table !== "") return undefined;
    const version = parseVersion(item[2]);
    return version ? { name: pyName(item[1]), version, at: s.line, scope } : undefined;
  }
  const m = TOML_ENTRY.exec(text);
  if (!m) return undefined;
  let name = m[1];
  let scope: Scope = "runtime";
  const poetry = /^tool\.poetry\.(?:(dev-)?dependencies|group\.([\w-]+)\.dependencies)(?:\.([\w.-]+))?$/.exec(table);
  if (poetry) {
    if (poetry[3]) {
      // [tool.poetry.dependencies.fastapi] version = "^0.110"
      if (m[1] !== "version") return undefined;
      name = poetry[3];
    }
    scope = poetry[1] || (poetry[2] && DEV_NAME.test(poetry[2])) ? "dev" : "runtime";
  } else if (table !== "?") return undefined;
  if (NOT_A_PACKAGE.has(name.toLowerCase())) return undefined;
  const version = parseVersion(m[2]);
  return version ? { name: pyName(name), version, at: s.line, scope } : undefined;
}

function pipfileDep(s: SidedLine): Dep | undefined {
  const table = tomlTable(s);
  if (table !== "packages" && table !== "dev-packages" && table !== "?") return undefined;
  const m = TOML_ENTRY.exec(s.line.content);
  if (!m || NOT_A_PACKAGE.has(m[1].toLowerCase())) return undefined;
  const version = parseVersion(m[2]);
  return version ? { name: pyName(m[1]), version, at: s.line, scope: table === "dev-packages" ? "dev" : "runtime" } : undefined;
}

// Rust -------------------------------------------------------------------------------------------

function cargoDep(s: SidedLine): Dep | undefined {
  const table = tomlTable(s);
  const m = TOML_ENTRY.exec(s.line.content);
  if (!m) return undefined;
  const section = /^(?:workspace\.|target\.[^.]+(?:\.[^.]+)*?\.)?((?:dev-|build-)?dependencies)(?:\.([\w-]+))?$/.exec(table);
  let name = m[1];
  if (section?.[2]) {
    if (m[1] !== "version") return undefined;
    name = section[2];
  } else if (!section && table !== "?") return undefined;
  if (NOT_A_PACKAGE.has(name.toLowerCase())) return undefined;
  const version = parseVersion(m[2]);
  return version ? { name, version, at: s.line, scope: section && section[1] !== "dependencies" ? "dev" : "runtime" } : undefined;
}

// Ruby -------------------------------------------------------------------------------------------

const GEM = /^\s*gem\s+["']([\w.-]+)["']\s*,\s*["']([~>=<!\s\d.]+)["']/;

function gemDep(s: SidedLine): Dep | undefined {
  const m = GEM.exec(s.line.content);
  if (!m) return undefined;
  const version = parseVersion(m[2]);
  if (!version) return undefined;
  let scope: Scope = /\bgroup:\s*\[?\s*:(?:development|test)\b/.test(s.line.content) ? "dev" : "runtime";
  for (let i = s.index - 1; i >= 0 && i >= s.index - 300; i--) {
    const t = s.side[i].content;
    if (/^\s*end\b/.test(t)) break;
    if (/^\s*group\b.*\bdo\b/.test(t)) {
      if (!/:production\b|:default\b/.test(t) && /:(?:development|test)\b/.test(t)) scope = "dev";
      break;
    }
  }
  return { name: m[1], version, at: s.line, scope };
}

// go.mod -----------------------------------------------------------------------------------------

const GO_REQUIRE = /^\s*(?:require\s+)?([\w.~-]+\.[\w.~-]+\/\S+)\s+(v\d+\.\d+\S*)/;

/** In Go a major version is part of the module path (/v2, gopkg.in/x.v2): compare by base path. */
function goDep(s: SidedLine): Dep | undefined {
  if (/^\s*(?:replace|exclude|retract)\b|=>/.test(s.line.content)) return undefined;
  const m = GO_REQUIRE.exec(s.line.content);
  if (!m) return undefined;
  const version = parseVersion(m[2]);
  if (!version) return undefined;
  const suffix = /(?:\/v|\.v)(\d+)$/.exec(m[1]);
  const name = suffix ? m[1].slice(0, -suffix[0].length) : m[1];
  const major = Math.max(version.major, suffix ? Number(suffix[1]) : 0);
  return {
    name,
    version: { ...version, major, text: `${m[1]} ${m[2]}` },
    at: s.line,
    scope: /\/\/\s*indirect\b/.test(s.line.content) ? "indirect" : "runtime",
  };
}

// ------------------------------------------------------------------------------------------------

function parserFor(path: string): ((s: SidedLine) => Dep | undefined) | undefined {
  const base = baseName(path);
  if (base === "package.json") return npmDep;
  if (/^(?:requirements[^/]*|constraints[^/]*)\.(?:txt|in)$/i.test(base) || /(?:^|\/)requirements\/[^/]+\.(?:txt|in)$/i.test(path))
    return (s) => requirementDep(s, path);
  if (base === "pyproject.toml") return pyprojectDep;
  if (base === "Pipfile") return pipfileDep;
  if (base === "Cargo.toml") return cargoDep;
  if (base === "Gemfile" || base === "gems.rb") return gemDep;
  if (base === "go.mod") return goDep;
  return undefined;
}

function bumps(file: DiffFile, parse: (s: SidedLine) => Dep | undefined, content: string | undefined): { from: Dep; to: Dep }[] {
  const { added, deleted } = sidedLines(file, content);
  const before = new Map<string, Dep>();
  for (const s of deleted) {
    const d = parse(s);
    if (d && !before.has(d.name)) before.set(d.name, d);
  }
  const out: { from: Dep; to: Dep }[] = [];
  for (const s of added) {
    const to = parse(s);
    const from = to && before.get(to.name);
    if (!to || !from || !isMajorBump(from.version, to.version)) continue;
    // golang.org/x modules stay v0 forever and keep compatibility across their minors.
    if (to.version.major === 0 && to.name.startsWith("golang.org/x/")) continue;
    out.push({ from, to });
  }
  return out;
}

const CALIBRATION: Record<Scope, { confidence: number; severity: Severity; breaks: string; impact: (name: string) => string }> = {
  runtime: {
    confidence: 0.7,
    severity: "medium",
    breaks: "its breaking changes can fail the build, or change behaviour at runtime in code paths the tests do not cover",
    impact: (name) => `Build failures or runtime errors for users wherever the code relies on APIs or behaviour of ${name} that changed.`,
  },
  dev: {
    confidence: 0.6,
    severity: "low",
    breaks:
      "it is a development dependency, so what breaks is the build, the tests or the tooling (CI and every developer's machine), not production",
    impact: (name) => `Failing builds, tests or tooling until the code is adapted to ${name}'s new major version.`,
  },
  types: {
    confidence: 0.5,
    severity: "low",
    breaks: "its type definitions change, so type checking may fail where the code uses APIs whose types changed",
    impact: () => "Type-check failures in CI; no runtime effect by itself.",
  },
  indirect: {
    confidence: 0.5,
    severity: "low",
    breaks: "it is an indirect dependency, so what changes is code your dependencies call, which can change behaviour at runtime",
    impact: (name) => `Behaviour changes in the libraries that use ${name}.`,
  },
};

export const dependenciesPredictor: SyncAnalyzer = {
  name: "dependencies",
  analyze(input) {
    const predictions: Prediction[] = [];
    for (const file of input.files) {
      const parse = parserFor(file.path);
      if (!parse || file.binary || file.hunks.length === 0 || isNotDeployed(file.path)) continue;
      safely(() => {
        for (const { from, to } of bumps(file, parse, contentOf(input, file.path))) {
          const name = to.name;
          const zero = from.version.major === 0 && to.version.major === 0;
          const c = CALIBRATION[to.scope];
          predictions.push(
            makePrediction({
              kind: "dependency-major-bump",
              path: file.path,
              at: to.at,
              prediction: `\`${name}\` moves to a new ${zero ? "0.x minor version, which semver allows to break" : "major version"} (${from.version.text} → ${to.version.text}): ${c.breaks}.`,
              confidence: zero ? Math.round((c.confidence - 0.05) * 100) / 100 : c.confidence,
              severity: c.severity,
              impact: c.impact(name),
              tags: ["dependencies", "breaking-change"],
              recommendation: `Read the changelog / migration guide of ${name} for the new version, search the code for the APIs it changes, and keep this upgrade in its own pull request.`,
              // The same package bumped in several manifests (requirements files, workspaces) is one prediction.
              subject: name.toLowerCase(),
            }),
          );
        }
      });
    }
    return { findings: [], predictions };
  },
};
