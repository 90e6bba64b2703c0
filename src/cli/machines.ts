/**
 * `clusterchart machines export --format json|mermaid|dot|svg [--machine NAME] [--out FILE]`: the statechart
 * definitions, straight from the machines (no store is opened).
 *
 * One machine: its document, on stdout or in FILE. Every machine (no --machine):
 * - json: one object keyed by machine name; dot: one graph per machine in one file (Graphviz reads them all);
 * - mermaid and svg, which hold one diagram per document: with --out, FILE is a directory that receives
 *   `NAME.mmd` / `NAME.svg`; on stdout, the documents follow each other under a comment naming the machine.
 * With --json, stdout carries one JSON document: `{ "files": [...] }` after --out, else `{ NAME: text }`.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type Command, Option } from 'commander';
import type { AnyStateMachine } from 'xstate';
import { EXPORT_FORMATS, exportMachine, machineToJson, type ExportFormat } from '../view/export.js';
import { MACHINE_NAMES, type MachineName, MACHINES } from '../index.js';
import type { CliContext } from './context.js';
import { usageError } from './output.js';

const EXTENSIONS: Readonly<Record<ExportFormat, string>> = { json: 'json', mermaid: 'mmd', dot: 'dot', svg: 'svg' };
const SEPARATORS: Readonly<Record<ExportFormat, (name: string) => string>> = {
  json: () => '',
  mermaid: (name) => `%% machine: ${name}\n`,
  dot: (name) => `// machine: ${name}\n`,
  svg: (name) => `<!-- machine: ${name} -->\n`,
};

export type ExportRequest = Readonly<{ format: ExportFormat; machine?: string; out?: string }>;

/** What an export produced: the text for stdout, or the files written. */
export type ExportOutcome = Readonly<{ text: string; documents: Readonly<Record<string, string>>; files: readonly string[] }>;

function selectMachines(name: string | undefined, machines: Readonly<Record<string, AnyStateMachine>>): [string, AnyStateMachine][] {
  if (name === undefined) return Object.entries(machines);
  const machine = machines[name];
  if (machine === undefined) {
    throw usageError(`There is no machine "${name}": choose one of ${Object.keys(machines).join(', ')}.`, { machine: name });
  }
  return [[name, machine]];
}

/**
 * Exports the selected machines and writes `out` when given.
 *
 * @example
 * const { text } = await exportMachines({ format: 'mermaid', machine: 'log-server' });
 */
export async function exportMachines(
  request: ExportRequest,
  machines: Readonly<Record<string, AnyStateMachine>> = registryMachines(),
): Promise<ExportOutcome> {
  const selected = selectMachines(request.machine, machines);
  const documents: Record<string, string> = {};
  for (const [name, machine] of selected) documents[name] = await exportMachine(machine, request.format);

  let text: string;
  if (request.machine !== undefined) text = documents[request.machine] ?? '';
  else if (request.format === 'json') text = `${JSON.stringify(Object.fromEntries(selected.map(([name, m]) => [name, machineToJson(m)])), null, 2)}\n`;
  else text = Object.entries(documents).map(([name, document]) => SEPARATORS[request.format](name) + document).join('\n');

  const files: string[] = [];
  if (request.out !== undefined) {
    const onePerFile = request.machine === undefined && (request.format === 'mermaid' || request.format === 'svg');
    if (onePerFile) {
      await writable(request.out, () => mkdir(request.out ?? '', { recursive: true }));
      for (const [name, document] of Object.entries(documents)) {
        const file = join(request.out, `${name}.${EXTENSIONS[request.format]}`);
        await writable(file, () => writeFile(file, document));
        files.push(file);
      }
    } else {
      const file = request.out;
      await writable(file, () => writeFile(file, text));
      files.push(file);
    }
  }
  return { text, documents, files };
}

/** Runs a write to a path the operator named: a failure (missing folder, no permission) is bad usage, with the reason. */
async function writable(path: string, write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === undefined) throw error;
    throw usageError(`Cannot write ${path}: ${code} (${(error as Error).message}). Nothing was exported there; choose another --out.`, { path });
  }
}

export function registryMachines(): Record<MachineName, AnyStateMachine> {
  return Object.fromEntries(MACHINE_NAMES.map((name) => [name, MACHINES[name].machine])) as Record<MachineName, AnyStateMachine>;
}

export function register(program: Command, cli: CliContext): void {
  const machines = program.command('machines').description('statechart definitions');
  machines
    .command('export')
    .description('export the statecharts as Stately JSON, Mermaid, Graphviz DOT or SVG (rendered offline)')
    .addOption(new Option('--format <format>', 'output format').choices(EXPORT_FORMATS).makeOptionMandatory())
    .addOption(new Option('--machine <name>', 'only this machine').choices(MACHINE_NAMES))
    .option('--out <file>', 'write to FILE (a directory for mermaid/svg of every machine) instead of stdout')
    .action(
      cli.action(async (run, options: { format: ExportFormat; machine?: string; out?: string }) => {
        const outcome = await exportMachines(options);
        if (options.out !== undefined) {
          run.out.data({ files: outcome.files }, () => outcome.files.map((file) => `wrote ${file}`).join('\n'));
        } else if (run.options.json) {
          run.out.data(options.format === 'json' ? JSON.parse(outcome.text) : outcome.documents, () => outcome.text);
        } else {
          cli.io.stdout.write(outcome.text);
        }
      }),
    );
}
