/** The work limit of taint propagation: a budget of steps per file, and the error that ends the work when it is spent. */

/**
 * Work units a file may spend on taint propagation: about one per expression evaluated,
 * definition or call site looked at, plus one per kilobyte of text read from a large node.
 * Measured: corpus files use under 100, large real files a few thousand (uglify-js's 640 KB
 * compress.js: 4,000), a 500 KB file of 3,200 request-to-query flows through two functions each
 * about 110,000. A file that reaches the limit is cut short and reported as such.
 */
export const DEFAULT_MAX_TAINT_STEPS = 1_000_000;

/** Thrown inside the engine when the budget is spent; never escapes the public methods. */
export class WorkLimitReached extends Error {}

/** The propagation work allowed for one file, shared by the engines of its parsed units. */
export class TaintBudget {
  steps = 0;
  /** Set once the limit was reached: no more propagation for this file. */
  stopped = false;

  constructor(readonly max: number = DEFAULT_MAX_TAINT_STEPS) {}

  spend(n: number): void {
    this.steps += n;
    if (this.steps > this.max) {
      this.stopped = true;
      throw new WorkLimitReached();
    }
  }
}
