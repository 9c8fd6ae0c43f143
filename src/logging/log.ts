/**
 * The app's one logger type: the pino-compatible subset every module writes to. Probot's logger
 * (pino) satisfies it; a module that needs fewer levels takes `Pick<Log, ...>`, so a test can
 * pass just those.
 */
export interface Log {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  child?(bindings: object): Log;
}
