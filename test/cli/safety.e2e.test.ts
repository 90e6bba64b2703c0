/**
 * The built `clusterchart` as an operator meets it: a pipe whose reader has gone (`| head`), and Ctrl+C typed at a
 * confirmation prompt on a real pseudo-terminal.
 */
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAIN, ROOT, ensureBuilt, readRows, tempStore } from './support/cli.js';

const store = tempStore();

beforeAll(async () => {
  await ensureBuilt();
  expect((await store.run(['--cluster', 'prod', 'provision'])).code).toBe(0);
  expect((await store.run(['nodes', 'register', '--name', 'a', '--roles', 'worker'])).code).toBe(0);
}, 120_000);
afterAll(() => store.cleanup());

type Ended = { code: number | null; stdout: string; stderr: string };

function ended(child: ReturnType<typeof spawn>, out: { stdout: string; stderr: string }): Promise<Ended> {
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, ...out })));
}

describe('the built clusterchart', () => {
  it('ends quietly with its usual exit code when the reader of stdout has gone', async () => {
    const demo = tempStore();
    afterAll(() => demo.cleanup());
    const child = spawn(process.execPath, [MAIN, '--store', demo.url, 'demo'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn' } });
    // The reader goes away before the first line is written: every write meets a closed pipe.
    child.stdout.destroy();
    const out = { stdout: '', stderr: '' };
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out.stderr += chunk));
    const result = await ended(child, out);
    expect(result.stderr).not.toMatch(/EPIPE|unexpected/);
    expect(result.code).toBe(0);
    // The story was told to the end (into the void): the store is a whole demo, which a rerun replaces.
    expect((await demo.run(['verify'])).code).toBe(0);
  });

  it('exits 130 with a short message when Ctrl+C is typed at the nodes remove prompt', async () => {
    const rows = readRows(store.path);
    const command = [process.execPath, MAIN, '--store', store.url, 'nodes', 'remove', 'N1'].map((a) => `'${a}'`).join(' ');
    const child = spawn('script', ['-qec', command, '/dev/null'], { cwd: ROOT, env: { PATH: process.env.PATH ?? '', LOG_LEVEL: 'warn', TERM: 'dumb' } });
    const out = { stdout: '', stderr: '' };
    let typed = false;
    child.stdin.on('error', () => {}); // the terminal may be gone by the time the key is flushed
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (out.stderr += chunk));
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out.stdout += chunk;
      // Typed once the question is on the screen, as a person would.
      if (!typed && /\[y\/N\]/.test(out.stdout)) {
        typed = true;
        child.stdin.write('\x03');
      }
    });
    const result = await ended(child, out);
    expect(result.stdout).toMatch(/Interrupted: nodes remove was not confirmed and nothing was changed/);
    expect(result.stdout).not.toMatch(/unexpected|InternalError/);
    expect(result.code).toBe(130);
    expect(readRows(store.path)).toEqual(rows);
  });
});
