/**
 * Label values with a ceiling: every distinct label value is a time series that the registry
 * keeps for the life of the process, so a value that comes from outside (an event type anyone
 * may emit, a job type read from the store) must not be able to grow it without bound.
 */

/** What every value past the ceiling is counted as. */
export const OTHER = "other";

/** Longest label value kept; a longer one is cut (a type is a name, not a payload). */
const MAX_VALUE_LENGTH = 100;

export class BoundedLabel {
  private readonly seen = new Set<string>();
  private readonly known: ReadonlySet<string>;

  /**
   * `known`: values always kept as they are (the catalog's event types), outside the ceiling;
   * `max`: how many other distinct values get their own series before the rest become "other".
   */
  constructor(
    private readonly max: number,
    known: Iterable<string> = [],
  ) {
    this.known = new Set(known);
  }

  /** The label to use for `value`: itself while there is room (or if known), else "other". */
  value(value: string): string {
    if (this.known.has(value) || this.seen.has(value)) return value;
    const cut = value.length > MAX_VALUE_LENGTH ? value.slice(0, MAX_VALUE_LENGTH) : value;
    if (cut !== value && (this.known.has(cut) || this.seen.has(cut))) return cut;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(cut);
    return cut;
  }

  /** Distinct values given their own series so far, the known ones aside. */
  get size(): number {
    return this.seen.size;
  }
}
