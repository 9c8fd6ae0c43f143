/** Recognises events the app itself caused (its own comments, labels, issues), which it must ignore. */
import type { Probot } from "probot";

export class SelfEvents {
  private botLogin: Promise<string | null> | null = null;

  constructor(private readonly app: Probot) {}

  /** Only bot senders are checked, so a human's event never costs an API call. */
  async isOwn(sender: { login: string; type: string } | undefined): Promise<boolean> {
    if (!sender || sender.type !== "Bot") return false;
    return sender.login === (await this.login());
  }

  private login(): Promise<string | null> {
    this.botLogin ??= this.app
      .auth()
      .then((octokit) => octokit.rest.apps.getAuthenticated())
      .then(({ data }) => (data?.slug ? `${data.slug}[bot]` : null))
      .catch((error) => {
        this.botLogin = null; // ask again next time
        this.app.log.warn({ err: String(error?.message ?? error) }, "could not read the app's own login");
        return null;
      });
    return this.botLogin;
  }
}
