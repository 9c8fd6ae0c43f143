/** AST rules (ast-grep YAML files in rules/) with a taint engine: see rules/README.md. */
export { createAstAnalyzer, type AstAnalyzerOptions } from "./analyzer.js";
export {
  loadRuleSet,
  cachedRuleSet,
  readRuleFile,
  defaultRulesDir,
  RuleFileError,
  type AstRule,
  type RuleSet,
  type TaintSpec,
} from "./ruleSet.js";
export { astLanguageOf, languageSupport, type AstLanguage } from "./languages.js";
export { TaintEngine } from "./taint/engine.js";
