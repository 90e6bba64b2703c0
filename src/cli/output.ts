/**
 * How the CLI speaks: data on stdout (exactly one JSON document with `--json`, readable text otherwise), errors and
 * logs on stderr, and the CLI's exit-code contract: 0 done (including "already applied"), 1 refused by the
 * domain or a failed check, 2 bad usage or an unreadable store, 130 interrupted by the operator.
 *
 * A reader that stops reading (`clusterchart demo | head`) closes the pipe: what is written after that is dropped
 * and the command ends as it would have, with its own exit code; a closed pipe is never an error.
 */
import { CommanderError } from 'commander';
import { ClusterchartError, type ErrorCode, isClusterchartError } from '../index.js';

export const EXIT_OK = 0;
export const EXIT_REFUSED = 1;
export const EXIT_USAGE = 2;
/** 128 + SIGINT, what shells report for a command stopped with Ctrl+C. */
export const EXIT_INTERRUPTED = 130;

/** The operator interrupted the command (Ctrl+C at a prompt) before it changed anything: exit 130. */
export class Interrupted extends Error {
  readonly code = 'Interrupted';
  constructor(message = 'Interrupted: nothing was changed.') {
    super(message);
    this.name = 'Interrupted';
  }
}

/** Codes that mean "the caller asked wrongly" or "the store cannot be read": exit 2. Every other code is a refusal. */
const USAGE_CODES: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  'InvalidInput',
  'InvalidNodeId',
  'InvalidReplication',
  'InvalidState',
  'StoreUnavailable',
  'StoreCorrupt',
  'SchemaTooNew',
  'UnknownEventType',
  'ClusterNotFound',
  'AmbiguousCluster',
]);

export function exitCodeOf(error: unknown): number {
  if (error instanceof Interrupted) return EXIT_INTERRUPTED;
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
  if (isClusterchartError(error)) return USAGE_CODES.has(error.code) ? EXIT_USAGE : EXIT_REFUSED;
  return EXIT_REFUSED;
}

/** A usage problem found by the CLI itself (not by commander's parser). */
export function usageError(message: string, context: ClusterchartError['context'] = {}): ClusterchartError {
  return new ClusterchartError('InvalidInput', message, context);
}

/** The `{ code, message }` an error is reported as; unexpected errors are labelled so nobody mistakes them for refusals. */
export function describeError(error: unknown): { code: string; message: string } {
  if (isClusterchartError(error)) return { code: error.code, message: error.message };
  if (error instanceof CommanderError) return { code: 'InvalidInput', message: error.message.replace(/^error: /, '') };
  if (error instanceof Interrupted) return { code: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'InternalError', message: `unexpected error: ${message}` };
}

export type Writable = { write(chunk: string): unknown; isTTY?: boolean };

type Emitter = { on(event: 'error', listener: (error: unknown) => void): unknown };
const isEmitter = (stream: object): stream is Emitter => typeof (stream as Partial<Emitter>).on === 'function';

const guarded = new WeakSet<object>();

/**
 * Makes a closed pipe harmless on `stream`: once its reader has gone (EPIPE, then writes to the destroyed stream),
 * the 'error' event that would kill the process is absorbed and later writes go nowhere, so the command ends as it
 * would have, with its own exit code. Any other stream error is still thrown. Idempotent.
 */
export function ignoreClosedPipe(stream: object): void {
  if (guarded.has(stream) || !isEmitter(stream)) return;
  guarded.add(stream);
  stream.on('error', (error) => {
    const code = (error as { code?: unknown } | null)?.code;
    if (code !== 'EPIPE' && code !== 'ERR_STREAM_DESTROYED') throw error;
  });
}

export interface Output {
  readonly json: boolean;
  /** Prints the command's data: `json` as one document with --json, else the text (built lazily). */
  data(json: unknown, text: () => string): void;
  /** Readable narration (the demo); ignored with --json. */
  say(text: string): void;
  /** Reports a failure: `{"error": {...}}` on stdout with --json, the message on stderr otherwise. */
  error(error: unknown): void;
}

export function createOutput(stdout: Writable, stderr: Writable, json: boolean): Output {
  return {
    json,
    data(value, text) {
      stdout.write(json ? `${JSON.stringify(value, null, 2)}\n` : ensureNewline(text()));
    },
    say(text) {
      if (!json) stdout.write(ensureNewline(text));
    },
    error(error) {
      const { code, message } = describeError(error);
      if (json) stdout.write(`${JSON.stringify({ error: { code, message } }, null, 2)}\n`);
      else stderr.write(`clusterchart: ${code === 'InvalidInput' || code === 'InternalError' ? '' : `${code}: `}${message}\n`);
    },
  };
}

const ensureNewline = (text: string) => (text.endsWith('\n') || text === '' ? text : `${text}\n`);

/** Left-aligned columns separated by two spaces; the last column is not padded. */
export function columns(rows: readonly (readonly string[])[]): string {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows
    .map((cells) =>
      cells
        .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** A header line over aligned columns (terminal tables stay grep-able: no rules, no borders). */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  return columns([header, ...rows]);
}
