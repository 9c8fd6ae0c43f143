/**
 * Native memory of parsed trees. @ast-grep/napi frees a tree only when V8 garbage-collects its
 * JavaScript wrapper, and V8 does not know how much native memory the wrapper holds: a review
 * that parses 50,000 lines keeps ~150 MB of dead trees alive unless something collects them.
 * After every few megabytes of parsed source this runs a full collection and yields to the event
 * loop so the finalizers run (measured: memory then stays flat across reviews).
 *
 * `global.gc` is used when the process runs with --expose-gc; otherwise it is obtained once with
 * `v8.setFlagsFromString("--expose-gc")` (documented by Node, used by many tools); if neither
 * works, only the yield happens.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** Source characters parsed between collections (~250 KB of source, ~6,000 lines, is ~12 MB of trees). */
const DEFAULT_BUDGET = 250_000;

let collector: (() => void) | null | undefined;

function gcFunction(): (() => void) | null {
  if (collector !== undefined) return collector;
  const existing = (globalThis as { gc?: () => void }).gc;
  if (typeof existing === "function") return (collector = existing);
  try {
    setFlagsFromString("--expose-gc");
    const fn = runInNewContext("gc") as unknown;
    collector = typeof fn === "function" ? (fn as () => void) : null;
  } catch {
    collector = null;
  }
  return collector;
}

export class ParsedTreeBudget {
  private chars = 0;

  constructor(private readonly budget = DEFAULT_BUDGET) {}

  /** Records parsed source; when the budget is spent, collects and lets finalizers run. */
  async spend(chars: number): Promise<void> {
    this.chars += chars;
    if (this.chars < this.budget) return;
    this.chars = 0;
    await collect();
  }
}

/** A full collection, then a turn of the event loop for the native finalizers. */
export async function collect(): Promise<void> {
  try {
    gcFunction()?.();
  } catch {
    /* best effort */
  }
  await new Promise<void>((resolve) => setImmediate(resolve));
}
