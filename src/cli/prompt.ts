/**
 * Confirmation for destructive commands. A question is asked only on a terminal; without one the caller must say
 * `--yes`, because a script that silently removed nodes on a default answer would be worse than one that stops.
 */
import { createInterface } from 'node:readline/promises';
import { Interrupted, usageError } from './output.js';

export type Input = NodeJS.ReadableStream & { isTTY?: boolean };
export type Prompter = NodeJS.WritableStream;

/**
 * Resolves true when the operator answers y/yes; any other answer, or the end of input (Ctrl+D), is no. Ctrl+C
 * at the question throws `Interrupted` (exit 130), whether the terminal delivers it as a key or as SIGINT. Throws a
 * usage error (exit 2) when `yes` is not given and stdin is not a terminal.
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
  // A terminal-mode interface reads keys, so Ctrl+C reaches it as a key (the 'SIGINT' event) rather than a signal.
  const rl = createInterface({ input: options.input, output: options.output, terminal: true });
  let onSignal: (() => void) | undefined;
  try {
    const interrupted = new Promise<never>((_, reject) => {
      onSignal = () => reject(new Interrupted(`Interrupted: ${options.command} was not confirmed and nothing was changed.`));
      rl.once('SIGINT', onSignal);
      process.once('SIGINT', onSignal);
    });
    // The end of input (Ctrl+D) answers no. readline reports 'close' before the last line's answer, and leaves a
    // question unanswered at the end of input: the answer, if any, is given a turn of the event loop to arrive.
    const ended = new Promise<string>((resolve) => rl.once('close', () => setImmediate(() => resolve(''))));
    const asked = rl.question(`${options.question} [y/N] `).catch(() => '');
    const answer = await Promise.race([asked, interrupted, ended]);
    return /^\s*y(es)?\s*$/i.test(answer);
  } finally {
    if (onSignal !== undefined) process.removeListener('SIGINT', onSignal);
    rl.close();
  }
}
