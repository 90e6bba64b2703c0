/**
 * Confirmation for destructive commands. A question is asked only on a terminal; without one the caller must say
 * `--yes`, because a script that silently removed nodes on a default answer would be worse than one that stops.
 */
import { createInterface } from 'node:readline/promises';
import { usageError } from './output.js';

export type Input = NodeJS.ReadableStream & { isTTY?: boolean };
export type Prompter = NodeJS.WritableStream;

/**
 * Resolves true when the operator answers y/yes. Throws a usage error (exit 2) when `yes` is not given and
 * stdin is not a terminal.
 *
 * @example
 * if (!(await confirm({ question: 'Remove N4?', yes: opts.yes, flag: '--yes', input: process.stdin, output: process.stderr }))) return;
 */
export async function confirm(options: {
  question: string;
  yes: boolean;
  flag: string;
  input: Input;
  output: Prompter;
  command: string;
}): Promise<boolean> {
  if (options.yes) return true;
  if (options.input.isTTY !== true) {
    throw usageError(
      `${options.command} is destructive and standard input is not a terminal, so it cannot ask for confirmation: ` +
        `add ${options.flag} to proceed. Nothing was changed.`,
    );
  }
  const rl = createInterface({ input: options.input, output: options.output });
  try {
    const answer = await rl.question(`${options.question} [y/N] `);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    rl.close();
  }
}
