/**
 * Python calls that run a function passed to them later, with the arguments given after it:
 * FastAPI's `background_tasks.add_task(fn, x)`, concurrent.futures' `submit`, asyncio's
 * `run_in_executor` / `to_thread` / `call_soon`, anyio's `start_soon` / `run_sync`, and Celery's
 * `fn.delay(x)`.
 */

export const RUNNERS = ["add_task", "submit", "run_in_executor", "to_thread", "call_soon", "start_soon", "run_sync", "spawn"];
export const RUNNER_CALLEE = new RegExp(`(?:^|\\.)(?:${RUNNERS.join("|")})$`);

/** Celery: `task.delay(...)` runs `task` with those arguments. */
export const DELAY = "delay";
