/** Python command-line programs: argparse's parsed arguments and click / Typer commands' parameters. */

/** `args = parser.parse_args()`: the command line. */
export const ARGPARSE_CALLS = new Set(["parse_args", "parse_known_args"]);

/** `@click.argument("expr")`, `@click.option(...)`, `@cli.command()`: the parameters are the command line. */
export const CLI_COMMAND_DECORATOR = /^@(?:click\.(?:argument|option|command)|\w+\.command)\s*\(/;

/** click's context parameter (not an argument). */
export const CLI_CONTEXT_PARAM = "ctx";
