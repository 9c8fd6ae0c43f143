/** What the engine remembers between interactions. The Store implements it; tests and the CLI use the in-memory one. */

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

export interface EngineState {
  getTrust(userId: string, repo: string): Promise<TrustRecord | undefined>;
  saveTrust(record: TrustRecord): Promise<void>;
  getPattern(repo: string, key: string): Promise<PatternRecord | undefined>;
  savePattern(record: PatternRecord): Promise<void>;
  listPatterns(repo: string): Promise<PatternRecord[]>;
}

export class MemoryEngineState implements EngineState {
  private trust = new Map<string, TrustRecord>();
  private patterns = new Map<string, PatternRecord>();

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
}
