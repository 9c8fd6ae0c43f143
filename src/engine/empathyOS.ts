/**
 * The empathy interaction engine: decides the level of an interaction, applies and learns
 * patterns, keeps trust, and reports everything as events. It never calls GitHub or HTTP:
 * publishers and integrations listen on the bus (the composition root attaches them).
 */
import type { Finding, Prediction } from "../analysis/types.js";
import { EventBus } from "../events/bus.js";
import type { AnyEventEnvelope } from "../events/catalog.js";
import { clarifyingQuestions } from "./clarify.js";
import { decideLevel, type EmpathyLevel, type LevelDecision } from "./levels.js";
import { blendConfidence, isTransformative, newPattern, pullRequestCount, recordOccurrence, recordPatternOutcome } from "./patterns.js";
import { buildResponse, suggestionText, summarize, transformationProposal } from "./response.js";
import { MemoryEngineState, type EngineState, type PatternRecord } from "./state.js";
import { firstLine, redact, truncate } from "./text.js";
import { applyOutcome, INITIAL_TRUST, newTrustRecord } from "./trust.js";
import type { EmpathyOSOptions, FeedbackArgs, FeedbackResult, InteractArgs, InteractionContext, InteractResult } from "./types.js";
import { errorMessage } from "../text/errorMessage.js";

/** Confidence of a response that is only a summary: it restates the change, little can be wrong. */
const SUMMARY_CONFIDENCE = 0.9;
/** Confidence when the bot mostly asks: it is unsure of the intent by definition. */
const CLARIFICATION_CONFIDENCE = 0.7;
const MAX_INPUT_IN_EVENT = 2000;

export class EmpathyOS {
  readonly eventBus: EventBus;
  readonly state: EngineState;
  readonly targetLevel: EmpathyLevel;
  private readonly userId?: string;
  private readonly now: () => number;
  /** Last level per repo+user, for level_transition (in memory: a restart forgets it). */
  private readonly lastLevels = new Map<string, EmpathyLevel>();
  /** Per-repo chains serialising read-modify-write of trust and patterns. */
  private readonly locks = new Map<string, Promise<void>>();

  constructor({
    userId,
    targetLevel = 5,
    eventBus = new EventBus(),
    state = new MemoryEngineState(),
    now = Date.now,
  }: EmpathyOSOptions = {}) {
    this.targetLevel = checkLevel(targetLevel, "targetLevel");
    this.userId = userId;
    this.eventBus = eventBus;
    this.state = state;
    this.now = now;
  }

  async interact(args: InteractArgs): Promise<InteractResult> {
    const started = this.now();
    const userId = args?.userId ?? this.userId ?? "anonymous";
    const context = args?.context;
    try {
      if (typeof args?.input !== "string") throw new TypeError("interact: input must be a string");
      if (typeof context?.repo !== "string" || context.repo === "") throw new TypeError("interact: context.repo is required");
      const targetLevel = args.targetLevel === undefined ? this.targetLevel : checkLevel(args.targetLevel, "targetLevel");
      this.eventBus.emit({
        type: "interaction_started",
        data: {
          user_id: userId,
          user_input: truncate(redact(args.input), MAX_INPUT_IN_EVENT),
          timestamp: new Date(started).toISOString(),
          repo: context.repo,
          pr_number: context.pr_number ?? null,
        },
      });
      return await this.withLock(context.repo, () => this.run(userId, args.input, context, targetLevel, started));
    } catch (err) {
      this.emitError("interaction_error", err, {
        user_id: userId,
        repo: typeof context?.repo === "string" ? context.repo : null,
        pr_number: typeof context?.pr_number === "number" ? context.pr_number : null,
      });
      throw err;
    }
  }

  async recordFeedback(args: FeedbackArgs): Promise<FeedbackResult> {
    try {
      const { userId, repo, outcome } = args ?? ({} as FeedbackArgs);
      if (typeof userId !== "string" || userId === "") throw new TypeError("recordFeedback: userId is required");
      if (typeof repo !== "string" || repo === "") throw new TypeError("recordFeedback: repo is required");
      if (outcome !== "accepted" && outcome !== "rejected") {
        throw new TypeError(`recordFeedback: outcome must be "accepted" or "rejected"`);
      }
      const result = await this.withLock(repo, () => this.feedback(args));
      if (args.key !== undefined && result.counted) {
        // The events stay owed until their durable listeners (the outbox) have kept them: if
        // that fails, this throws, the job is retried and the retry sends them again.
        await this.eventBus.flush();
        await this.state.settleFeedback(repo, args.key);
      }
      return result;
    } catch (err) {
      this.emitError("feedback_error", err, { user_id: args?.userId ?? null, repo: args?.repo ?? null });
      throw err;
    }
  }

  /** The user's trust in this repository (0.5 until any feedback). */
  async getTrust(userId: string, repo: string): Promise<number> {
    return (await this.state.getTrust(userId, repo))?.trust ?? INITIAL_TRUST;
  }

  private async run(userId: string, input: string, ctx: InteractionContext, targetLevel: number, started: number): Promise<InteractResult> {
    const { repo } = ctx;
    const prNumber = ctx.pr_number ?? null;
    const isPullRequest = prNumber !== null;
    const url = ctx.url ?? null;
    const allFindings = ctx.analysis?.findings ?? [];
    const allPredictions = ctx.analysis?.predictions ?? [];
    const trust = await this.getTrust(userId, repo);

    // Patterns: what was learned before this PR is applied; this PR's sighting is then counted.
    const keys = [...new Set([...allFindings.map((f) => f.rule), ...allPredictions.map((p) => p.kind)])];
    const learnedBefore = new Map<string, PatternRecord>();
    const current = new Map<string, PatternRecord>();
    const newlyLearned: PatternRecord[] = [];
    for (const key of keys) {
      let record = (await this.state.getPattern(repo, key)) ?? newPattern(repo, key);
      if (record.learned) learnedBefore.set(key, record);
      if (prNumber !== null) {
        const seen = recordOccurrence(record, prNumber);
        if (seen.record !== record) await this.state.savePattern(seen.record);
        if (seen.newlyLearned) newlyLearned.push(seen.record);
        record = seen.record;
      }
      current.set(key, record);
    }
    const recurring = [...current.values()].filter(isTransformative);

    const title = redact(typeof ctx.title === "string" ? ctx.title : firstLine(input));
    const filesChanged = ctx.files_changed ?? ctx.analysis?.stats.files;
    const questions = clarifyingQuestions({
      isPullRequest,
      title: isPullRequest ? title : undefined,
      // Without an explicit description, the input after its title line is the PR body.
      description: ctx.description ?? input.split(/\r?\n/).slice(1).join("\n"),
      filesChanged,
      testsChanged: ctx.tests_changed,
    });
    const decision = decideLevel(
      {
        questions: questions.length,
        findings: allFindings.length,
        predictions: allPredictions.length,
        recurringPatterns: recurring.length,
      },
      targetLevel,
      trust,
    );

    // What the cap allows to be shown; learned patterns correct the confidence of what is shown.
    const clarifications = decision.cap >= 2 ? questions : [];
    const applied = new Map<string, PatternRecord>();
    const blend = <T extends Finding | Prediction>(item: T, key: string): T => {
      const pattern = learnedBefore.get(key);
      if (!pattern) return { ...item };
      applied.set(pattern.id, pattern);
      return { ...item, confidence: blendConfidence(item.confidence, pattern) };
    };
    const findings = decision.cap >= 3 ? allFindings.map((f) => blend(f, f.rule)) : [];
    const predictions = decision.cap >= 4 ? allPredictions.map((p) => blend(p, p.kind)) : [];
    const suggestions = findings.map(suggestionText);

    // Level 5 fires once per pattern, even though the level stays 5 while the pattern recurs.
    const transformations: PatternRecord[] = [];
    if (decision.level === 5) {
      for (const record of recurring.filter((r) => !r.transformed)) {
        const marked = { ...record, transformed: true };
        await this.state.savePattern(marked);
        transformations.push(marked);
      }
    }
    const categoryOf = (key: string) => allFindings.find((f) => f.rule === key)?.category;
    const proposals = transformations.map((r) => transformationProposal(r, categoryOf(r.key)));
    suggestions.push(...proposals);

    const summary = summarize({
      title,
      isPullRequest,
      filesChanged,
      linesAnalyzed: ctx.analysis?.stats.linesAnalyzed,
      testsChanged: ctx.tests_changed,
      // Set by src/answers only (never by the review path): a question is not echoed back.
      isQuestion: ctx.question === true && !isPullRequest,
    });
    const response = buildResponse({
      summary,
      questions: clarifications,
      findings,
      predictions,
      recurring: decision.level === 5 ? recurring : [],
      proposals,
    });
    const confidence = aggregateConfidence(predictions, findings, clarifications.length > 0);

    const base = { user_id: userId, repo, pr_number: prNumber };
    for (const p of applied.values()) {
      this.eventBus.emit({
        type: "pattern_applied",
        data: { pattern_id: p.id, pattern_name: p.name, confidence: p.confidence, success: true, repo, user_id: userId },
      });
    }
    for (const p of newlyLearned) {
      this.eventBus.emit({
        type: "pattern_learned",
        data: { pattern_id: p.id, pattern_name: p.name, confidence: p.confidence, user_id: userId, repo },
      });
    }
    this.trackTransition(userId, repo, decision);
    this.eventBus.emit({ type: "level_1_response", data: { ...base, response: summary } });
    if (clarifications.length) {
      this.eventBus.emit({ type: "level_2_clarification", data: { ...base, questions: clarifications } });
    }
    if (findings.length) {
      this.eventBus.emit({
        type: "level_3_proactive_suggestion",
        data: {
          ...base,
          url,
          suggestions: findings.map((f) => ({
            rule: f.rule,
            category: f.category,
            path: f.path,
            line: f.line,
            severity: f.severity,
            confidence: f.confidence,
            message: f.message,
            recommendation: f.recommendation,
            fingerprint: f.fingerprint,
          })),
        },
      });
    }
    if (decision.level >= 4) {
      for (const p of predictions) this.emitPrediction(p, userId, ctx, url);
    }
    for (const [i, r] of transformations.entries()) {
      this.eventBus.emit({
        type: "level_5_transformation",
        data: {
          ...base,
          url,
          pattern_id: r.id,
          pattern_name: r.name,
          occurrences: pullRequestCount(r),
          pr_numbers: [...r.prNumbers],
          confidence: r.confidence,
          proposal: proposals[i],
        },
      });
    }
    this.eventBus.emit({
      type: "interaction_completed",
      data: { ...base, response, level: decision.level, confidence, duration_ms: Math.max(0, this.now() - started) },
    });

    return {
      response,
      level: decision.level,
      confidence,
      predictions,
      findings,
      clarifications,
      suggestions,
      trust,
      patternsApplied: [...applied.keys()],
    };
  }

  private async feedback(args: FeedbackArgs): Promise<FeedbackResult> {
    const { userId, repo, outcome, key } = args;
    if (key !== undefined) {
      const owed = await this.state.owedFeedbackEvents(repo, key);
      if (owed !== undefined) {
        // Counted before: send again what the earlier attempt could not confirm, move nothing.
        for (const event of owed) this.eventBus.publish(event);
        return { counted: owed.length > 0, trust: await this.getTrust(userId, repo), delta: 0, milestones: [] };
      }
    }
    const bus = this.eventBus;
    const events: AnyEventEnvelope[] = [];
    const record = (await this.state.getTrust(userId, repo)) ?? newTrustRecord(userId, repo);
    const change = applyOutcome(record, outcome, this.now());
    const trustData = { user_id: userId, old_trust: change.oldTrust, new_trust: change.newTrust, delta: change.delta, repo };
    // No event when a bound absorbed the change: nothing moved.
    if (change.delta > 0) events.push(bus.envelope({ type: "trust_increased", data: trustData }));
    if (change.delta < 0) events.push(bus.envelope({ type: "trust_decreased", data: trustData }));
    for (const milestone of change.milestones) {
      events.push(bus.envelope({ type: "trust_milestone", data: { user_id: userId, trust_level: change.newTrust, milestone, repo } }));
    }

    let pattern: PatternRecord | undefined;
    let patternConfidence: number | undefined;
    if (args.patternKey) {
      const before = (await this.state.getPattern(repo, args.patternKey)) ?? newPattern(repo, args.patternKey);
      const updated = recordPatternOutcome(before, outcome === "accepted");
      pattern = updated.record;
      patternConfidence = updated.newConfidence;
      events.push(
        bus.envelope({
          type: "pattern_updated",
          data: {
            pattern_id: before.id,
            old_confidence: updated.oldConfidence,
            new_confidence: updated.newConfidence,
            pattern_name: before.name,
            repo,
          },
        }),
      );
    }

    if (outcome === "rejected" && args.predictionId) {
      events.push(
        bus.envelope({
          type: "prediction_failure",
          data: {
            prediction_id: args.predictionId,
            reason: args.reason ?? "rejected by the user",
            confidence: args.confidence ?? null,
            user_id: userId,
            repo,
          },
        }),
      );
    }

    if (key === undefined) {
      await this.state.saveTrust(change.record);
      if (pattern) await this.state.savePattern(pattern);
    } else {
      const createdAt = args.recordedAt ?? this.now();
      if (!(await this.state.saveFeedback({ repo, key, outcome, userId, createdAt, trust: change.record, pattern, events }))) {
        return { counted: false, trust: change.oldTrust, delta: 0, milestones: [] };
      }
    }
    for (const event of events) bus.publish(event);
    return { counted: true, trust: change.newTrust, delta: change.delta, milestones: change.milestones, patternConfidence };
  }

  private emitPrediction(p: Prediction, userId: string, ctx: InteractionContext, url: string | null): void {
    this.eventBus.emit({
      type: "level_4_prediction",
      data: {
        prediction_id: p.id,
        prediction: p.prediction,
        confidence: p.confidence,
        severity: p.severity,
        tags: [...p.tags],
        recommendation: p.recommendation,
        user_id: userId,
        timestamp: new Date(this.now()).toISOString(),
        repo: ctx.repo,
        pr_number: ctx.pr_number ?? null,
        url,
        kind: p.kind,
        impact: p.impact,
        fingerprint: p.fingerprint,
        evidence: { path: p.path, line: p.line, side: p.side },
        ...(ctx.commit_sha !== undefined ? { commit_sha: ctx.commit_sha } : {}),
        ...(ctx.installation_id !== undefined ? { installation_id: ctx.installation_id } : {}),
      },
    });
  }

  private trackTransition(userId: string, repo: string, decision: LevelDecision): void {
    const key = `${repo}\u0000${userId}`;
    const previous = this.lastLevels.get(key);
    this.lastLevels.set(key, decision.level);
    if (previous !== undefined && previous !== decision.level) {
      this.eventBus.emit({
        type: "level_transition",
        data: { user_id: userId, from_level: previous, to_level: decision.level, reason: decision.reason, repo },
      });
    }
  }

  private emitError(errorType: string, err: unknown, context: Record<string, unknown>): void {
    try {
      this.eventBus.emit({
        type: "error",
        data: { error_type: errorType, error_message: errorMessage(err), context },
      });
    } catch {
      // Reporting must never hide the original error.
    }
  }

  private async withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.locks.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.locks.set(key, tail);
    await previous;
    try {
      return await fn();
    } finally {
      release();
      if (this.locks.get(key) === tail) this.locks.delete(key);
    }
  }
}

/** Most confident prediction, else finding; else a fixed confidence for a summary or questions. */
function aggregateConfidence(predictions: Prediction[], findings: Finding[], asked: boolean): number {
  const pool = predictions.length ? predictions : findings;
  if (pool.length) return clamp01(Math.max(...pool.map((x) => x.confidence)));
  return asked ? CLARIFICATION_CONFIDENCE : SUMMARY_CONFIDENCE;
}

function clamp01(x: number): number {
  return Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0;
}

function checkLevel(value: unknown, name: string): EmpathyLevel {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1 || value > 5) {
    throw new RangeError(`${name} must be an integer from 1 to 5, got ${String(value)}`);
  }
  return value as EmpathyLevel;
}
