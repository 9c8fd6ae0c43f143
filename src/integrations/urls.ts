/**
 * Default addresses of the services the integrations talk to, apart from the integrations
 * themselves so that reading the settings (config/env.ts) does not load them.
 */

/** Slack's Web API unless SLACK_API_URL names another. */
export const SLACK_API_URL = "https://slack.com/api";

/** GitHub's web address unless the app's settings name a GitHub Enterprise Server (settings.github.webUrl). */
export const GITHUB_WEB_URL = "https://github.com";
