/** The default rule set; later work adds rules here. */
import { hardcodedSecret } from "./hardcodedSecret.js";
import { javascriptRules } from "./javascript.js";
import { pythonRules } from "./python.js";
import type { Rule } from "./types.js";

export const defaultRules: readonly Rule[] = [hardcodedSecret, ...javascriptRules, ...pythonRules];

export type { Rule, RuleContext, RuleMatch, Language } from "./types.js";
