/** Public argument and result shapes of EmpathyOS. */
import type { AnalysisResult, Finding, Prediction } from "../analysis/types.js";
import type { EventBus } from "../events/bus.js";
import type { EngineState } from "./state.js";
import type { EmpathyLevel } from "./levels.js";
import type { Outcome } from "./trust.js";

export interface EmpathyOSOptions {
  /** Default user for interactions that name none. */
  userId?: string;
  /** 1..5, caps the level (repo config). Default 5. */
  targetLevel?: number;
  eventBus?: EventBus;
  state?: EngineState;
  /** Clock in ms, injectable for tests. */
  now?: () => number;
}

export interface InteractionContext {
  repo: string;
  pr_number?: number;
  url?: string;
  commit_sha?: string;
  installation_id?: number;
  analysis?: AnalysisResult;
  files_changed?: number;
  tests_changed?: boolean;
  /** The PR body; when pr_number is set and this is missing, the description counts as empty. */
  description?: string;
  /** The PR title; defaults to the first line of the input. */
  title?: string;
  [k: string]: unknown;
}

export interface InteractArgs {
  userId?: string;
  /** E.g. the PR title and body, or a question. */
  input: string;
  context: InteractionContext;
  /** Per-call cap (a repository's config), overriding the constructor's targetLevel. */
  targetLevel?: number;
}

export interface InteractResult {
  response: string;
  level: EmpathyLevel;
  /** 0..1 */
  confidence: number;
  /** Only when the level cap allows level 4; confidences blended with learned patterns. */
  predictions: Prediction[];
  /** Only when the level cap allows level 3; confidences blended with learned patterns. */
  findings: Finding[];
  clarifications: string[];
  suggestions: string[];
  trust: number;
  /** Ids of the learned patterns applied to this result. */
  patternsApplied: string[];
}

export interface FeedbackArgs {
  userId: string;
  repo: string;
  outcome: Outcome;
  /** The finding rule or prediction kind the feedback is about. */
  patternKey?: string;
  predictionId?: string;
  reason?: string;
  /** Confidence of the prediction judged, reported in prediction_failure. */
  confidence?: number;
  /**
   * Counts the feedback once under this key ("issue:12"): a redelivered event or a retried job
   * changes nothing twice, and a retry after its events were lost sends them again.
   */
  key?: string;
  /** When the feedback was given (ms), stored with the key; defaults to now. */
  recordedAt?: number;
}

export interface FeedbackResult {
  /** False when the key was already counted: nothing moved. */
  counted: boolean;
  trust: number;
  delta: number;
  milestones: number[];
  /** The pattern's confidence after the update, when patternKey was given. */
  patternConfidence?: number;
}
