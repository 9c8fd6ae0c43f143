// eslint-plugin-security ships no types; the benchmark uses only its flat "recommended" config.
declare module "eslint-plugin-security" {
  import type { Linter } from "eslint";
  const plugin: { configs: { recommended: Linter.Config } };
  export default plugin;
}
