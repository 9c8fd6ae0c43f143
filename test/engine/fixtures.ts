/** Builders for engine tests: shapes are the analysis module's Finding / Prediction. */
import type { AnalysisResult, Finding, Prediction } from "../../src/analysis/types.js";

export function finding(rule: string, over: Partial<Finding> = {}): Finding {
  return {
    rule,
    category: "sql-injection",
    path: "src/db.ts",
    line: 12,
    side: "RIGHT",
    severity: "high",
    confidence: 0.8,
    message: "Query built from user input.",
    recommendation: "Use a parameterised query.",
    fingerprint: `fp-${rule}-${over.line ?? 12}`,
    ...over,
  };
}

export function prediction(kind: string, over: Partial<Prediction> = {}): Prediction {
  return {
    id: `pred-${kind}`,
    kind,
    prediction: "Dropping column email breaks the mobile client that still reads it.",
    confidence: 0.85,
    severity: "high",
    impact: "Mobile users cannot log in.",
    tags: ["migration", "breaking-change"],
    recommendation: "Deprecate the column first; drop it in a later release.",
    path: "db/migrations/001.sql",
    line: 3,
    side: "RIGHT",
    fingerprint: `fp-${kind}`,
    ...over,
  };
}

export function analysis(findings: Finding[] = [], predictions: Prediction[] = []): AnalysisResult {
  return { findings, predictions, skipped: [], stats: { files: 2, linesAnalyzed: 40 } };
}

export const LONG_DESCRIPTION = "Adds the user export endpoint so support can download account data on request.";
