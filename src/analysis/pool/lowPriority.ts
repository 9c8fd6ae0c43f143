/**
 * Imported first by the worker, so it takes effect before the parsers and rules load: analysis
 * workers sit below the serving process in the CPU scheduler, and with every core busy on hostile
 * files (or a replaced worker starting up) webhooks are still acknowledged first. Best effort: a
 * platform may refuse.
 */
import { setPriority } from "node:os";

try {
  setPriority(10);
} catch {
  /* keep the default priority */
}
