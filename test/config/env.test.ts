/** readSettings: the environment read once into typed settings (the flat numbers are checked in repoConfig.test.ts). */
import { DEFAULT_RETENTION_DAYS } from "../../src/jobs/retention.js";
import { readDatabaseUrl, readSettings } from "../../src/config/env.js";

describe("readSettings", () => {
  it("reads EMPATHY_RETENTION_DAYS: default 30, 0 keeps everything, anything else is refused", () => {
    expect(readSettings({}).retentionDays).toBe(DEFAULT_RETENTION_DAYS);
    expect(readSettings({ EMPATHY_RETENTION_DAYS: "" }).retentionDays).toBe(30);
    expect(readSettings({ EMPATHY_RETENTION_DAYS: "7" }).retentionDays).toBe(7);
    expect(readSettings({ EMPATHY_RETENTION_DAYS: "0" }).retentionDays).toBe(0);
    for (const bad of ["-1", "1.5", "thirty", "99999"])
      expect(() => readSettings({ EMPATHY_RETENTION_DAYS: bad })).toThrow(/EMPATHY_RETENTION_DAYS/);
  });

  it("reads delivery tuning from the environment: only the keys set", () => {
    expect(readSettings({ EMPATHY_WEBHOOK_BASE_DELAY_MS: "50", EMPATHY_WEBHOOK_CONCURRENCY: "4" }).webhookTuning).toEqual({
      baseDelayMs: 50,
      concurrency: 4,
    });
    expect(readSettings({}).webhookTuning).toEqual({});
    expect(() => readSettings({ EMPATHY_WEBHOOK_CONCURRENCY: "0" })).toThrow(/EMPATHY_WEBHOOK_CONCURRENCY/);
  });

  it("one integer rule for every variable: blank is unset, anything else must be an integer in range", () => {
    expect(
      readSettings({ EMPATHY_WORKER_CONCURRENCY: " ", EMPATHY_RETENTION_DAYS: "  ", EMPATHY_WEBHOOK_BASE_DELAY_MS: " " }),
    ).toMatchObject({
      workerConcurrency: 1,
      retentionDays: DEFAULT_RETENTION_DAYS,
      webhookTuning: {},
    });
    expect(() => readSettings({ EMPATHY_JOB_MAX_ATTEMPTS: "51" })).toThrow(
      'EMPATHY_JOB_MAX_ATTEMPTS must be an integer from 1 to 50, got "51"',
    );
  });

  it("reads the Slack command's settings, GitHub's web address and the operator config's path", () => {
    expect(readSettings({})).toMatchObject({
      slack: { signingSecret: undefined, botToken: undefined, apiUrl: "https://slack.com/api" },
      github: { host: undefined, webUrl: "https://github.com" },
      operatorConfigPath: undefined,
      redisUrl: undefined,
    });
    const settings = readSettings({
      SLACK_SIGNING_SECRET: " s3cret ",
      SLACK_BOT_TOKEN: "",
      SLACK_API_URL: "https://slack.example.test/api",
      GHE_HOST: "ghe.example.com/",
      EMPATHY_CONFIG: "/etc/empathy.yml",
      REDIS_URL: "redis://cache:6379",
    });
    expect(settings.slack).toEqual({ signingSecret: "s3cret", botToken: undefined, apiUrl: "https://slack.example.test/api" });
    expect(settings.github).toEqual({ host: "ghe.example.com/", webUrl: "https://ghe.example.com" });
    expect(settings.operatorConfigPath).toBe("/etc/empathy.yml");
    expect(settings.redisUrl).toBe("redis://cache:6379");
    expect(readSettings({ GHE_HOST: "127.0.0.1:8080", GHE_PROTOCOL: "http" }).github.webUrl).toBe("http://127.0.0.1:8080");
  });

  it("reads the process logger's settings as Probot does", () => {
    expect(readSettings({}).log).toEqual({
      level: "info",
      format: "pretty",
      levelInString: false,
      messageKey: "msg",
      sentryDsn: undefined,
    });
    expect(readSettings({ NODE_ENV: "production" }).log.format).toBe("json");
    expect(readSettings({ NODE_ENV: "production", LOG_FORMAT: "pretty" }).log.format).toBe("pretty");
    const env: Record<string, string> = {
      LOG_FORMAT: "anything",
      LOG_LEVEL: "debug",
      LOG_LEVEL_IN_STRING: "true",
      LOG_MESSAGE_KEY: "message",
    };
    expect(readSettings(env).log).toMatchObject({
      format: "json",
      level: "debug",
      levelInString: true,
      messageKey: "message",
    });
  });

  it("lets an entry point give its own default number of analysis workers; the variable still wins", () => {
    expect(readSettings({}, { analysisWorkers: 7 }).analysisWorkers).toBe(7);
    expect(readSettings({ EMPATHY_ANALYSIS_WORKERS: "2" }, { analysisWorkers: 7 }).analysisWorkers).toBe(2);
  });

  it("reads DATABASE_URL alone for the CLI's store commands", () => {
    expect(readDatabaseUrl({})).toBeUndefined();
    expect(readDatabaseUrl({ DATABASE_URL: "  " })).toBeUndefined();
    expect(readDatabaseUrl({ DATABASE_URL: "sqlite:data/x.sqlite" })).toBe("sqlite:data/x.sqlite");
    expect(readSettings({ DATABASE_URL: "sqlite:data/x.sqlite" }).databaseUrl).toBe("sqlite:data/x.sqlite");
  });
});
