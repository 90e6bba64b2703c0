/**
 * The CLI harness. `cli` runs a command IN PROCESS through `runCli` (the same entry point the binary calls, with
 * captured stdio): what the integration tier uses. `cliProcess` and `cliOnTerminal` run the BUILT `clusterchart`
 * (dist/src/cli/main.js) as a subprocess, for the end-to-end tier. The build happens once per `vitest run` when dist
 * is missing or older than a source file (`npm test` builds first, so then it is a no-op); a lock directory keeps
 * parallel test files from building at the same time.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { once } from 'node:events';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { runCli, type Register } from '../../../src/cli/program.js';
import { register as provision } from '../../../src/cli/provision.js';
import { register as nodes } from '../../../src/cli/nodes.js';
import { register as metadata } from '../../../src/cli/metadata.js';
import { register as logServer } from '../../../src/cli/log-server.js';
import { register as worker } from '../../../src/cli/worker.js';
import { register as logs } from '../../../src/cli/logs.js';
import { register as observations } from '../../../src/cli/observations.js';
import { register as observe } from '../../../src/cli/observe.js';
import { register as health } from '../../../src/cli/health.js';
import { register as audit } from '../../../src/cli/audit.js';
import { register as verify } from '../../../src/cli/verify.js';
import { register as migrate } from '../../../src/cli/migrate.js';
import { register as demo } from '../../../src/cli/demo.js';
import { register as machines } from '../../../src/cli/machines.js';
import { register as view } from '../../../src/cli/view.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
export const MAIN = join(ROOT, 'dist/src/cli/main.js');
const SOURCES = ['src', 'machines', 'projections'].map((d) => join(ROOT, d));
const LOCK = join(ROOT, '.tmp', 'cli-build.lock');

function newestSource(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) newest = Math.max(newest, newestSource(path));
    else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(path).mtimeMs);
  }
  return newest;
}

function isStale(): boolean {
  let built: number;
  try {
    built = statSync(MAIN).mtimeMs;
  } catch {
    return true;
  }
  return SOURCES.some((dir) => newestSource(dir) > built);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds dist when it is missing or stale. Safe to call from every test file at once. */
export async function ensureBuilt(): Promise<void> {
  if (!isStale()) return;
  mkdirSync(dirname(LOCK), { recursive: true });
  for (;;) {
    try {
      mkdirSync(LOCK);
      break;
    } catch {
      // A lock left by a killed run is recognised by its age (a build takes well under a minute).
      try {
        if (Date.now() - statSync(LOCK).mtimeMs > 180_000) rmSync(LOCK, { recursive: true, force: true });
      } catch {
        // the lock went away between the two calls
      }
      await sleep(250);
      if (!isStale()) return;
    }
  }
  try {
    if (isStale()) {
      try {
        execFileSync('npm', ['run', 'build', '--silent'], { cwd: ROOT, stdio: 'pipe' });
      } catch (error) {
        const out = error as { stdout?: Buffer; stderr?: Buffer };
        throw new Error(`npm run build failed:\n${out.stdout?.toString() ?? ''}${out.stderr?.toString() ?? ''}`);
      }
    }
  } finally {
    rmSync(LOCK, { recursive: true, force: true });
  }
}

export type CliResult = Readonly<{
  code: number;
  stdout: string;
  stderr: string;
  /** stdout parsed as the one JSON document --json promises. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read ad-hoc JSON shapes
  json<T = any>(): T;
}>;

export type CliOptions = Readonly<{
  cwd?: string;
  env?: Record<string, string>;
  input?: string;
  tty?: boolean;
  /** In process only: stdout takes this many writes, then fails with EPIPE as a pipe whose reader went away (`| head`). */
  stdoutClosesAfter?: number;
}>;

/** A stdout whose reader goes away after `writes` writes: the next write fails with EPIPE and destroys the stream. */
function closingPipe(writes: number, onChunk: (chunk: string) => void): Writable & { isTTY: boolean } {
  let taken = 0;
  const pipe = new Writable({
    decodeStrings: false,
    write(chunk: string | Buffer, _encoding, callback) {
      if (taken++ >= writes) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE', errno: -32, syscall: 'write' }));
        return;
      }
      onChunk(typeof chunk === 'string' ? chunk : chunk.toString('utf8'));
      callback();
    },
  });
  return Object.assign(pipe, { isTTY: false });
}

/** The command groups, in the order of src/cli/main.ts (which cannot be imported: it runs the process). */
const COMMANDS: readonly Register[] = [provision, nodes, metadata, logServer, worker, logs, observations, observe, health, audit, verify, migrate, demo, machines, view];

function result(code: number, stdout: string, stderr: string): CliResult {
  return {
    code,
    stdout,
    stderr,
    json<T>() {
      try {
        return JSON.parse(stdout) as T;
      } catch {
        throw new Error(`stdout is not one JSON document (exit ${code}):\n${stdout}\nstderr:\n${stderr}`);
      }
    },
  };
}

/**
 * Text written straight to `process.stderr` while in-process runs are active goes to each of them, as a subprocess
 * would have printed it on its stderr (the pino logger writes to fd 2 and is not captured: in-process runs default to LOG_LEVEL=error).
 */
const capturing = new Set<{ text: string }>();
let originalWrite: ((...args: Parameters<typeof process.stderr.write>) => boolean) | undefined;

function captureStderr(): { text: string; release: () => void } {
  const sink = { text: '' };
  if (capturing.size === 0) {
    originalWrite = process.stderr.write.bind(process.stderr);
    process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
      for (const s of capturing) s.text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
      const callback = rest.find((r): r is () => void => typeof r === 'function');
      if (callback !== undefined) process.nextTick(callback);
      return true;
    });
  }
  capturing.add(sink);
  return {
    get text() {
      return sink.text;
    },
    release() {
      capturing.delete(sink);
      if (capturing.size === 0 && originalWrite !== undefined) process.stderr.write = originalWrite as typeof process.stderr.write;
    },
  };
}

/**
 * Runs `clusterchart ...args` in this process through `runCli` with captured stdio; never rejects on a non-zero exit
 * (the code is the result). `input` is what stdin holds; `tty` makes stdin a terminal (for confirmation prompts).
 * There is no working directory of its own: pass `--store` or CLUSTERCHART_STORE.
 */
export async function cli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  if (options.cwd !== undefined) throw new Error('an in-process CLI run has no working directory of its own: pass --store');
  const stdin = Object.assign(new PassThrough(), { isTTY: options.tty === true ? true : undefined });
  stdin.end(options.input ?? '');
  let stdout = '';
  let stderr = '';
  const err = Object.assign(new PassThrough(), { isTTY: false });
  err.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closing = options.stdoutClosesAfter === undefined ? undefined : closingPipe(options.stdoutClosesAfter, (chunk) => (stdout += chunk));
  const captured = Object.assign(new PassThrough(), { isTTY: false });
  captured.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  const out = closing ?? captured;
  // A closed pipe neither ends nor is ended: only the captured streams are waited for.
  const streams = closing === undefined ? [captured, err] : [err];
  const direct = captureStderr();
  try {
    const code = await runCli(args, COMMANDS, { stdin, stdout: out, stderr: err, env: { LOG_LEVEL: 'error', ...options.env } });
    await Promise.all(streams.map((stream) => new Promise((resolve) => stream.end(resolve))));
    await Promise.all(streams.map((stream) => (stream.readableEnded ? Promise.resolve() : once(stream, 'end'))));
    return result(code, stdout, stderr + direct.text);
  } finally {
    direct.release();
  }
}

/** Runs `node dist/src/cli/main.js ...args`; never rejects on a non-zero exit (the code is the result). */
export function cliProcess(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = execFile(
      process.execPath,
      [MAIN, ...args],
      {
        cwd: options.cwd ?? ROOT,
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', ...options.env },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        if (code === null) {
          reject(error ?? new Error('no exit code'));
          return;
        }
        resolvePromise(result(code, stdout, stderr));
      },
    );
    child.stdin?.end(options.input ?? '');
  });
}

const shellQuote = (arg: string) => `'${arg.replace(/'/g, `'\\''`)}'`;

/**
 * Runs the CLI on a pseudo-terminal (util-linux `script`), typing `answer` on it: how a person at a terminal meets
 * the confirmation prompt. `script -e` exits with the command's status.
 */
export function cliOnTerminal(args: readonly string[], answer: string, options: CliOptions = {}): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const command = [process.execPath, MAIN, ...args].map(shellQuote).join(' ');
    const child = execFile(
      'script',
      ['-qec', command, '/dev/null'],
      { cwd: options.cwd ?? ROOT, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', LOG_LEVEL: 'warn', TERM: 'dumb', ...options.env } },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === 'number' ? error.code : null;
        if (code === null) reject(error ?? new Error('no exit code'));
        else resolvePromise({ code, stdout, stderr, json: () => { throw new Error('a terminal session prints text, not JSON'); } });
      },
    );
    // The terminal buffers what is typed until the prompt reads it.
    child.stdin?.end(answer);
  });
}

/** A temporary directory with the URL of a (not yet created) SQLite store in it; `run` runs the CLI in process on it. */
export function tempStore(): {
  dir: string;
  path: string;
  url: string;
  run: (args: readonly string[], options?: CliOptions) => Promise<CliResult>;
  cleanup: () => void;
} {
  const dir = mkdtempSync(join(tmpdir(), 'clusterchart-cli-'));
  const path = join(dir, 'cluster.db');
  const url = `sqlite:${path}`;
  return {
    dir,
    path,
    url,
    run: (args, options) => cli(['--store', url, ...args], options),
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export type EventRow = { position: number; stream: string; revision: number; id: string; type: string; data: string; metadata: string };

/** Every stored event row, in position order (the store engineer's `events` table); none when there is no file. */
export function readRows(path: string): EventRow[] {
  if (!existsSync(path)) return [];
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT position, stream, revision, id, type, data, metadata FROM events ORDER BY position').all() as EventRow[];
  } finally {
    db.close();
  }
}

/** Runs SQL against the store file (tamper tests). */
export function tamper(path: string, sql: string, ...params: unknown[]): number {
  const db = new Database(path, { fileMustExist: true });
  try {
    return db.prepare(sql).run(...params).changes;
  } finally {
    db.close();
  }
}
