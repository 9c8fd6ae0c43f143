/**
 * Major version bumps of dependencies (package.json, requirements*.txt, pyproject.toml,
 * go.mod): a major version is the author saying "this breaks things", and the breakage often
 * only shows at runtime, in code paths the tests do not cover.
 */
import type { SyncAnalyzer, DiffFile, DiffLine, Prediction } from "../types.js";
import { baseName, changedLines, makePrediction, type SidedLine } from "./predict.js";

interface Version {
  major: number;
  minor: number;
  text: string;
}

interface Dep {
  name: string;
  version: Version;
  at: DiffLine;
}

/** The lowest version a range or pin allows: "^1.2.3" -> 1.2, ">=2" -> 2.0, "v3.1.0" -> 3.1. */
export function parseVersion(spec: string): Version | undefined {
  const s = spec.trim().replace(/^npm:(?:@?[^@\s]+)@/, "");
  const m = /^(?:[\^~=v]|[<>]=?|~=|===?)*\s*v?(\d+)(?:\.(\d+))?/.exec(s);
  if (!m) return undefined;
  return { major: Number(m[1]), minor: m[2] === undefined ? 0 : Number(m[2]), text: s };
}

/** Semver: a major bump, or a minor bump below 1.0 (0.x minors may break). */
export function isMajorBump(from: Version, to: Version): boolean {
  if (to.major !== from.major) return to.major > from.major;
  return from.major === 0 && to.minor > from.minor;
}

// package.json ---------------------------------------------------------------------------------

const NPM_ENTRY = /^\s*"(@?[^"\s]+)"\s*:\s*"([^"]*)"\s*,?\s*$/;
const NPM_SECTION = /"(?:\w*[dD]ependencies|resolutions|overrides)"\s*:\s*\{/;
const NOT_A_DEPENDENCY = new Set(["version", "node", "npm", "yarn", "pnpm", "name", "packageManager"]);

/** Whether the entry sits in a dependencies object; unknown (header not in view) counts as yes. */
function inDependencySection(s: SidedLine): boolean {
  const own = s.line.content.length - s.line.content.trimStart().length;
  for (let i = s.index - 1; i >= 0 && i >= s.index - 500; i--) {
    const t = s.side[i].content;
    const indent = t.length - t.trimStart().length;
    if (indent < own && /\{\s*$/.test(t)) return NPM_SECTION.test(t);
  }
  return true;
}

function npmDep(s: SidedLine): Dep | undefined {
  const m = NPM_ENTRY.exec(s.line.content);
  if (!m || NOT_A_DEPENDENCY.has(m[1]) || !inDependencySection(s)) return undefined;
  const version = parseVersion(m[2]);
  return version ? { name: m[1], version, at: s.line } : undefined;
}

// Python -----------------------------------------------------------------------------------------

const REQUIREMENT = /^\s*([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*(?:===?|~=|>=)\s*(v?\d+(?:\.\d+)*)/;
const PEP621_ITEM = /^\s*["']([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?\s*((?:===?|~=|>=|\^|~)\s*v?\d+(?:\.\d+)*)[^"']*["']\s*,?/;
const POETRY_ENTRY = /^\s*["']?([A-Za-z0-9][A-Za-z0-9._-]*)["']?\s*=\s*(?:\{[^}]*?\bversion\s*=\s*)?["']([\^~=<>!\d][^"']*)["']/;
const NOT_A_PACKAGE = new Set(["python", "requires-python", "version", "name", "description", "readme", "license", "target-version", "minversion", "python_version"]);

function pyName(name: string): string {
  return name.toLowerCase().replace(/[._]/g, "-");
}

function requirementDep(s: SidedLine): Dep | undefined {
  const m = REQUIREMENT.exec(s.line.content);
  const version = m ? parseVersion(m[2]) : undefined;
  return m && version ? { name: pyName(m[1]), version, at: s.line } : undefined;
}

function pyprojectDep(s: SidedLine): Dep | undefined {
  const m = PEP621_ITEM.exec(s.line.content) ?? POETRY_ENTRY.exec(s.line.content);
  if (!m || NOT_A_PACKAGE.has(m[1].toLowerCase())) return undefined;
  const version = parseVersion(m[2]);
  return version ? { name: pyName(m[1]), version, at: s.line } : undefined;
}

// go.mod -----------------------------------------------------------------------------------------

const GO_REQUIRE = /^\s*(?:require\s+)?([\w.~-]+\.[\w.~-]+\/\S+)\s+(v\d+\.\d+\S*)/;

/** In Go a major version is part of the module path (/v2, gopkg.in/x.v2): compare by base path. */
function goDep(s: SidedLine): Dep | undefined {
  const m = GO_REQUIRE.exec(s.line.content);
  if (!m) return undefined;
  const version = parseVersion(m[2]);
  if (!version) return undefined;
  const suffix = /(?:\/v|\.v)(\d+)$/.exec(m[1]);
  const name = suffix ? m[1].slice(0, -suffix[0].length) : m[1];
  const major = Math.max(version.major, suffix ? Number(suffix[1]) : 0);
  return { name, version: { ...version, major, text: `${m[1]} ${m[2]}` }, at: s.line };
}

// ------------------------------------------------------------------------------------------------

function parserFor(path: string): ((s: SidedLine) => Dep | undefined) | undefined {
  const base = baseName(path);
  if (base === "package.json") return npmDep;
  if (/^requirements[^/]*\.(?:txt|in)$/i.test(base)) return requirementDep;
  if (base === "pyproject.toml") return pyprojectDep;
  if (base === "go.mod") return goDep;
  return undefined;
}

function bumps(file: DiffFile, parse: (s: SidedLine) => Dep | undefined): { from: Dep; to: Dep }[] {
  const { added, deleted } = changedLines(file);
  const before = new Map<string, Dep>();
  for (const s of deleted) {
    const d = parse(s);
    if (d && !before.has(d.name)) before.set(d.name, d);
  }
  const out: { from: Dep; to: Dep }[] = [];
  for (const s of added) {
    const to = parse(s);
    const from = to && before.get(to.name);
    if (to && from && isMajorBump(from.version, to.version)) out.push({ from, to });
  }
  return out;
}

export const dependenciesPredictor: SyncAnalyzer = {
  name: "dependencies",
  analyze(input) {
    const predictions: Prediction[] = [];
    for (const file of input.files) {
      const parse = parserFor(file.path);
      if (!parse || file.binary) continue;
      for (const { from, to } of bumps(file, parse)) {
        const name = to.name;
        predictions.push(
          makePrediction({
            kind: "dependency-major-bump",
            path: file.path,
            at: to.at,
            prediction: `\`${name}\` moves to a new major version (${from.version.text} → ${to.version.text}): its breaking changes can fail the build, or change behaviour at runtime in code paths the tests do not cover.`,
            confidence: 0.7,
            severity: "medium",
            impact: `Build failures or runtime errors wherever the code relies on APIs or behaviour of ${name} that changed.`,
            tags: ["dependencies", "breaking-change"],
            recommendation: `Read the changelog / migration guide of ${name} for the new major version, search the code for the APIs it changes, and keep this upgrade in its own pull request.`,
          }),
        );
      }
    }
    return { findings: [], predictions };
  },
};
