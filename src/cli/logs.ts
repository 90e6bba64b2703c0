/** `clusterchart logs create-segment | seal`: log segments and their nodesets. */
import type { Command } from 'commander';
import type { CliContext } from './context.js';
import { already } from './format.js';
import { parseIntegerArg } from './parse.js';

const parseLogId = parseIntegerArg('A log id', 0);

export function register(program: Command, cli: CliContext): void {
  const logs = program.command('logs').description('log segments');

  logs
    .command('create-segment')
    .description('open a new segment of a log on a nodeset chosen among the ReadWrite log servers')
    .argument('<log>', 'log id (a whole number)', parseLogId)
    .action(
      cli.action(async (run, logId: number) => {
        const result = await run.execute('CreateLogSegment', { logId });
        const json = { logId: result.logId, segment: result.segment, nodeset: result.nodeset, warning: result.warning, alreadyApplied: result.alreadyApplied };
        run.out.data(json, () =>
          `Log ${json.logId} segment ${json.segment} on nodeset ${json.nodeset.join(', ')}.${json.warning === null ? '' : ` Warning: ${json.warning}`}${already(json.alreadyApplied)}`,
        );
      }),
    );

  logs
    .command('seal')
    .description('seal the open segment of a log (its nodeset no longer blocks node removal)')
    .argument('<log>', 'log id (a whole number)', parseLogId)
    .action(
      cli.action(async (run, logId: number) => {
        const result = await run.execute('SealLogSegment', { logId });
        const json = { logId: result.logId, segment: result.segment, alreadyApplied: result.alreadyApplied };
        run.out.data(json, () => `Sealed log ${json.logId} segment ${json.segment}.${already(json.alreadyApplied)}`);
      }),
    );
}
