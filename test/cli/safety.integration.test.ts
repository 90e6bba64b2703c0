/* eslint-disable @typescript-eslint/no-unsafe-call -- the CLI's JSON output is read untyped */
/**
 * Operator safety of the CLI: the demo never deletes a store that is not its own without an explicit --store and a
 * confirmation, a reader that goes away (`| head`) ends a command quietly, Ctrl+C at a prompt is an interrupt
 * (exit 130), and every state-changing command records who ran it.
 */
import { copyFileSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli, readRows, tamper, tempStore } from './support/cli.js';

const store = tempStore();
const { run } = store;

beforeAll(async () => {
  expect((await run(['--cluster', 'prod', 'provision'])).code).toBe(0);
  expect((await run(['nodes', 'register', '--name', 'a', '--roles', 'log-server,metadata-server,worker'])).code).toBe(0);
  expect((await run(['nodes', 'register', '--name', 'b', '--roles', 'worker'])).code).toBe(0);
});
afterAll(() => store.cleanup());

describe('demo --reset never destroys a store that is not an earlier demo', () => {
  it('refuses the store CLUSTERCHART_STORE names, with or without --reset, and writes nothing', async () => {
    const rows = readRows(store.path);
    for (const args of [['demo', '--reset'], ['demo', '--reset', '--yes'], ['demo']]) {
      const refused = await cli(args, { env: { CLUSTERCHART_STORE: store.url } });
      expect(refused.code, `${args.join(' ')}: ${refused.stdout}${refused.stderr}`).toBe(2);
      expect(refused.stderr).toMatch(/--store/);
      expect(refused.stderr).toMatch(/Nothing was changed/);
      expect(readRows(store.path)).toEqual(rows);
    }
  });

  it('asks before deleting a store named with --store: --yes off a terminal, "n" on a terminal keeps it', async () => {
    const rows = readRows(store.path);
    const noYes = await run(['demo', '--reset']);
    expect(noYes.code).toBe(2);
    expect(noYes.stderr).toMatch(/--yes/);
    expect(readRows(store.path)).toEqual(rows);
    const declined = await run(['demo', '--reset'], { tty: true, input: 'n\n' });
    expect(declined.code).toBe(1);
    expect(declined.stdout).toMatch(/Cancelled: the store was not deleted/);
    expect(readRows(store.path)).toEqual(rows);
  });
});

describe('a reader that goes away', () => {
  const demo = tempStore();
  afterAll(() => demo.cleanup());

  it('ends the demo quietly with its usual exit code, and a half-told demo is replaced by the next run', async () => {
    const piped = await demo.run(['demo'], { stdoutClosesAfter: 1 });
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout).toMatch(/^clusterchart demo: cluster "demo"/);
    expect(piped.stderr).not.toMatch(/EPIPE|unexpected/);
    expect((await demo.run(['verify'])).code).toBe(0);

    // A demo stopped half-way (killed while it told its story): its store holds the first part of the story only.
    const half = join(demo.dir, 'half.db');
    copyFileSync(demo.path, half);
    tamper(half, 'DELETE FROM events WHERE position > 12');
    const rerun = await cli(['--store', `sqlite:${half}`, 'demo', '--json']);
    expect(rerun.code, rerun.stderr).toBe(0);
    expect(rerun.stderr).toMatch(/earlier run of this demo/);
    expect(rerun.json()).toMatchObject({ verify: { ok: true } });
  });

  it('ends any command quietly with its usual exit code', async () => {
    const list = await run(['nodes', 'list'], { stdoutClosesAfter: 0 });
    expect(list.code).toBe(0);
    expect(list.stderr).toBe('');
    const refused = await run(['nodes', 'register', '--name', 'c', '--roles', 'worker', '--force-id', '0'], { stdoutClosesAfter: 0 });
    expect(refused.code).toBe(1);
  });
});

describe('Ctrl+C at a confirmation prompt', () => {
  it('exits 130 with a short message and changes nothing', async () => {
    const rows = readRows(store.path);
    const interrupted = await run(['nodes', 'remove', 'N2'], { tty: true, input: '\x03' });
    expect(interrupted.code).toBe(130);
    expect(interrupted.stderr).toMatch(/Interrupted: nodes remove was not confirmed and nothing was changed/);
    expect(interrupted.stderr).not.toMatch(/unexpected|InternalError/);
    expect(readRows(store.path)).toEqual(rows);
  });
});

describe('the actor of a state-changing command', () => {
  const lastActor = async () => {
    const audit = (await run(['audit', '--json'])).json();
    return audit.at(-1).actor as string | null;
  };

  it('is --actor, else CLUSTERCHART_ACTOR, else USER@HOST, and audit shows it', async () => {
    const register = (name: string, options: { env?: Record<string, string>; actor?: string } = {}) =>
      run([...(options.actor === undefined ? [] : ['--actor', options.actor]), 'nodes', 'register', '--name', name, '--roles', 'worker'], options);
    expect((await register('w1', { actor: 'alice' })).code).toBe(0);
    expect(await lastActor()).toBe('alice');
    expect((await run(['audit'])).stdout).toMatch(/ACTOR[\s\S]*alice\s+NodeRegistered/);

    expect((await register('w2', { env: { CLUSTERCHART_ACTOR: 'bob' } })).code).toBe(0);
    expect(await lastActor()).toBe('bob');
    expect((await register('w3', { actor: 'carol', env: { CLUSTERCHART_ACTOR: 'bob' } })).code).toBe(0);
    expect(await lastActor()).toBe('carol');

    expect((await register('w4')).code).toBe(0);
    expect(await lastActor()).toBe(`${userInfo().username}@${hostname()}`);
  });
});

describe('a file the operator names that cannot be written', () => {
  it('is a usage error with the reason, not an unexpected error', async () => {
    const out = join(store.dir, 'missing', 'dir', 'machines.json');
    const result = await cli(['machines', 'export', '--format', 'json', '--out', out]);
    expect(result.stderr).toMatch(/Cannot write .*machines\.json: ENOENT/);
    expect(result.stderr).not.toMatch(/unexpected/);
    expect(result.code).toBe(2);
  });
});
