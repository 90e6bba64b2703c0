/**
 * The root `clusterchart` command: global options, error reporting and exit codes.
 * Command groups plug in through `register(program, cli)`; see main.ts for the list.
 */
import { Command, CommanderError, Option } from 'commander';
import { CliContext, type CliIo, DEFAULT_LOG_LEVEL, DEFAULT_STORE } from './context.js';
import { createOutput, exitCodeOf, ignoreClosedPipe } from './output.js';
import { parseIsoArg } from './parse.js';

/** A command group: adds its commands to the program. */
export type Register = (program: Command, cli: CliContext) => void;

/** Commander codes for output it has already printed (help, version): no error message, exit 0 or 2. */
const ALREADY_SHOWN = new Set(['commander.help', 'commander.helpDisplayed', 'commander.version']);

export function createProgram(cli: CliContext): Command {
  return new Command('clusterchart')
    .description('Event-sourced control plane of a Restate-style cluster: statecharts, durable events, projections, audit.')
    .version('0.1.0')
    .addOption(new Option('--store <url>', `event store: sqlite:PATH, memory:, etcd://HOST:2379,HOST:2379/PREFIX or esdb://HOST:PORT?tls=false (env CLUSTERCHART_STORE, default ${DEFAULT_STORE})`))
    .option('--cluster <name>', 'the cluster to act on; may be left out when the store holds exactly one')
    .option('--command-id <id>', 'id of a state-changing command: repeating a command with the same id is a retry that returns the first outcome and writes nothing')
    .option('--at <iso>', 'time recorded by observation commands (heartbeat, unreachable); default: now', parseIsoArg)
    .option('--actor <name>', 'who runs the command, recorded with every event it writes (env CLUSTERCHART_ACTOR, default USER@HOST of the OS account)')
    .option('--json', 'print exactly one JSON document on stdout')
    .addOption(
      new Option('--log-level <level>', `pino log level on stderr (env LOG_LEVEL, default ${DEFAULT_LOG_LEVEL})`).choices([
        'fatal',
        'error',
        'warn',
        'info',
        'debug',
        'trace',
        'silent',
      ]),
    )
    .showSuggestionAfterError()
    .exitOverride()
    .configureOutput({
      writeOut: (text) => cli.io.stdout.write(text),
      writeErr: (text) => cli.io.stderr.write(text),
      // Errors are printed by runCli, so that --json turns them into one JSON document.
      outputError: () => {},
    });
}

/**
 * Parses `argv` (without `node` and the script), runs the command and returns the exit code.
 *
 * @example
 * process.exitCode = await runCli(['nodes', 'list', '--json'], [nodes], io);
 */
export async function runCli(argv: readonly string[], registers: readonly Register[], io: CliIo): Promise<number> {
  // Output is written in many places (commander's help, every command, the error report): a reader that went away
  // must not turn any of them into a crash.
  ignoreClosedPipe(io.stdout);
  ignoreClosedPipe(io.stderr);
  const cli = new CliContext(io);
  const program = createProgram(cli);
  for (const register of registers) register(program, cli);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return cli.exitCode;
  } catch (error) {
    if (error instanceof CommanderError && ALREADY_SHOWN.has(error.code)) return error.exitCode === 0 ? 0 : 2;
    createOutput(io.stdout, io.stderr, cli.json || argv.includes('--json')).error(error);
    return exitCodeOf(error);
  }
}
