/** What the engine remembers between interactions. The Store implements it; tests and the CLI use the in-memory one. */
import type { AnyEventEnvelope } from "../events/catalog.js";

export interface TrustRecord {
  userId: string;
  repo: string;
  /** 0..1, starts at 0.5 */
  trust: number;
  /** Milestones (0.5, 0.75, 0.9) already fired upward, so each fires once. */
  milestones: number[];
  /** Timestamps (ms) of recent rejections, for the circuit breaker of later work. */
  recentRejections: number[];
}

export interface PatternRecord {
  /** Stable id, e.g. "pat-<hash of repo and key>". */
  id: string;
  repo: string;
  /** What the pattern is about: a rule id or a prediction kind. */
  key: string;
  name: string;
  occurrences: number;
  successes: number;
  failures: number;
  /** 0..1 */
  confidence: number;
  /** True once pattern_learned has fired. */
  learned: boolean;
  /** Pull requests it was seen in (rule of three). */
  prNumbers: number[];
  /** True once level_5_transformation has fired for it (optional: older records lack it). */
  transformed?: boolean;
}

/** One piece of feedback counted under a key, with what it changed and the events it owes until they are kept. */
export interface KeyedFeedback {
  repo: string;
  key: string;
  outcome: "accepted" | "rejected";
  userId: string;
  createdAt: number;
  trust: TrustRecord;
  pattern?: PatternRecord;
  events: AnyEventEnvelope[];
}

export interface EngineState {
  getTrust(userId: string, repo: string): Promise<TrustRecord | undefined>;
  saveTrust(record: TrustRecord): Promise<void>;
  getPattern(repo: string, key: string): Promise<PatternRecord | undefined>;
  savePattern(record: PatternRecord): Promise<void>;
  listPatterns(repo: string): Promise<PatternRecord[]>;
  /**
   * Saves the trust and pattern a feedback changed together with its key and owed events, in
   * one step, once per key: false (and nothing saved) when the key was already recorded.
   */
  saveFeedback(feedback: KeyedFeedback): Promise<boolean>;
  /** undefined when the key was never recorded; else the events it still owes (none once settled). */
  owedFeedbackEvents(repo: string, key: string): Promise<AnyEventEnvelope[] | undefined>;
  /** The owed events were kept by their listeners: forget them. */
  settleFeedback(repo: string, key: string): Promise<void>;
}

export class MemoryEngineState implements EngineState {
  private trust = new Map<string, TrustRecord>();
  private patterns = new Map<string, PatternRecord>();
  /** Feedback keys recorded, with the events each still owes. */
  private owed = new Map<string, AnyEventEnvelope[]>();

  async getTrust(userId: string, repo: string) {
    const r = this.trust.get(`${repo}\u0000${userId}`);
    return r && structuredClone(r);
  }
  async saveTrust(record: TrustRecord) {
    this.trust.set(`${record.repo}\u0000${record.userId}`, structuredClone(record));
  }
  async getPattern(repo: string, key: string) {
    const r = this.patterns.get(`${repo}\u0000${key}`);
    return r && structuredClone(r);
  }
  async savePattern(record: PatternRecord) {
    this.patterns.set(`${record.repo}\u0000${record.key}`, structuredClone(record));
  }
  async listPatterns(repo: string) {
    return [...this.patterns.values()].filter((p) => p.repo === repo).map((p) => structuredClone(p));
  }
  async saveFeedback(f: KeyedFeedback) {
    const id = `${f.repo}\u0000${f.key}`;
    if (this.owed.has(id)) return false;
    this.owed.set(id, structuredClone(f.events));
    await this.saveTrust(f.trust);
    if (f.pattern) await this.savePattern(f.pattern);
    return true;
  }
  async owedFeedbackEvents(repo: string, key: string) {
    const events = this.owed.get(`${repo}\u0000${key}`);
    return events && structuredClone(events);
  }
  async settleFeedback(repo: string, key: string) {
    const id = `${repo}\u0000${key}`;
    if (this.owed.has(id)) this.owed.set(id, []);
  }
}
