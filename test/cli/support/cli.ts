/**
 * Black-box harness: runs the BUILT `clusterchart` (dist/src/cli/main.js) as a subprocess against temporary stores.
 * The build happens once per `vitest run` when dist is missing or older than a source file (`npm test` builds
 * first, so then it is a no-op); a lock directory keeps parallel test files from building at the same time.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';

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

export type CliOptions = Readonly<{ cwd?: string; env?: Record<string, string>; input?: string }>;

/** Runs `node dist/src/cli/main.js ...args`; never rejects on a non-zero exit (the code is the result). */
export function cli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
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
        resolvePromise({
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
        });
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

/** A temporary directory with the URL of a (not yet created) SQLite store in it. */
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
    run: (args, options) => cli(['--store', url, ...args], { cwd: dir, ...options }),
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
