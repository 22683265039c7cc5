import { Command, CommanderError } from "commander";
import { adminCommands } from "./admins.js";
import { auditCommand } from "./audit.js";
import { connectionCommands } from "./connections.js";
import { CliIo, cliIo, currentIo, failure } from "./context.js";
import { organizationCommands } from "./organizations.js";
import { scimTokenCommands } from "./scim-tokens.js";
import { setupLinkCommands } from "./setup-links.js";
import { teamCommands } from "./teams.js";

/**
 * `npm run cli -- <command>`: operator commands on the database named by DATABASE_URL. Every command calls the
 * same identity functions as the HTTP doors, so it writes the same audit events (actor `admin`, id `cli`).
 */
export function cli(): Command {
  const program = new Command("rollcall").description("Rollcall operator commands (database from DATABASE_URL)")
    // Set before the commands are added, which copy them: a usage error comes back to runCli as an exception rather
    // than exiting the process, and commander's own output goes to the running command's I/O.
    .exitOverride()
    .configureOutput({
      writeOut: (text) => currentIo().console.log(text.trimEnd()),
      writeErr: (text) => currentIo().console.error(text.trimEnd()),
    });
  for (const commands of [organizationCommands, scimTokenCommands, auditCommand, adminCommands, connectionCommands, teamCommands, setupLinkCommands]) {
    commands(program);
  }
  return program;
}

/**
 * Runs one command line (without `node` and the script) with the given I/O and answers its exit code: 0, or 1 after
 * writing what went wrong to `io.console`'s error stream. The bin runs it with the process's own I/O.
 */
export async function runCli(argv: string[], io: CliIo): Promise<number> {
  try {
    await cliIo.run(io, () => cli().parseAsync(argv, { from: "user" }));
    return 0;
  } catch (err) {
    // Commander has already written its own usage errors and --help/--version output.
    if (err instanceof CommanderError) return err.exitCode;
    io.console.error(`error: ${failure(err)}`);
    return 1;
  }
}
