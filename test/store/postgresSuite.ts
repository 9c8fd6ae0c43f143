/**
 * One throwaway PostgreSQL server for a test suite: started before its tests (the suite fails if it
 * cannot start, never skips) and stopped after them. The handle reads the server once it runs.
 */
import { startPostgres, type PostgresServer } from "./postgresServer.js";

export function postgresForSuite(): PostgresServer {
  let server: PostgresServer | undefined;
  beforeAll(async () => {
    server = await startPostgres();
  }, 120_000);
  afterAll(async () => {
    await server?.stop();
  });
  const running = (): PostgresServer => {
    if (!server) throw new Error("the suite's PostgreSQL server is not running (use it inside tests and hooks)");
    return server;
  };
  return {
    get url() {
      return running().url;
    },
    get port() {
      return running().port;
    },
    createDatabase: (name) => running().createDatabase(name),
    stop: () => running().stop(),
  };
}
