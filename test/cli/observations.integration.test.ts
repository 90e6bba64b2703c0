/** `heartbeat` and `unreachable` in process: what an operator is told about an observation that changes nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readRows, tempStore } from './support/cli.js';

const store = tempStore();
const AT = '2026-01-01T00:00:10.000Z';

beforeAll(async () => {
  for (const args of [
    ['--cluster', 'prod', 'provision'],
    ['nodes', 'register', '--name', 'a', '--roles', 'worker'],
    ['nodes', 'register', '--name', 'a', '--roles', 'worker'],
  ]) {
    const r = await store.run(args);
    expect(r.code, r.stderr).toBe(0);
  }
});
afterAll(() => store.cleanup());

describe('heartbeat of an older generation', () => {
  it('is recorded with exit 0, and the text says it was ignored', async () => {
    const r = await store.run(['--at', AT, 'heartbeat', 'N1:1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ignored/i);
    expect(r.stdout).toMatch(/N1:2/);
  });

  it('--json carries ignored and the reason', async () => {
    const r = await store.run(['--json', '--at', AT, 'heartbeat', 'N1:1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ node: 'N1:1', ignored: true, reason: expect.stringMatching(/N1:2/) });
  });

  it('a heartbeat of the current generation is not ignored', async () => {
    const r = await store.run(['--json', '--at', AT, 'heartbeat', 'N1:2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ node: 'N1:2', ignored: false, reason: null });
    const text = await store.run(['--at', AT, 'heartbeat', 'N1:2']);
    expect(text.stdout).not.toMatch(/ignored/i);
  });
});

describe('times on the command line', () => {
  it.each(
    [
      ['--at', '1', 'heartbeat', 'N1:2'],
      ['--at', '2026-02-30T00:00:00Z', 'heartbeat', 'N1:2'],
      ['--at', '%00', 'unreachable', 'N1'],
      ['log-server', 'provision', 'N1', '--marker', 'm1', '--created-at', '2026-01-31'],
      ['metadata', 'join', 'N1', '--created-at', '2026-01-31T12:00:00'],
      ['observe', '--as-of', 'Tue, 01 Jan 2026 00:00:00 GMT'],
    ].map((args) => [args.join(' '), args] as const),
  )('%s is bad usage (exit 2) showing the expected form, and writes nothing', async (_, args) => {
    const before = readRows(store.path);
    const r = await store.run(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('2026-01-31T12:00:00Z');
    expect(readRows(store.path)).toEqual(before);
  });

  it('an ISO-8601 time with an offset is stored in one normalised form', async () => {
    const r = await store.run(['--json', '--at', '2026-01-01T02:00:10+02:00', 'heartbeat', 'N1:2']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.json()).toMatchObject({ at: AT });
    expect(JSON.parse(readRows(store.path).at(-1)?.data ?? '{}')).toMatchObject({ at: AT });
  });
});

describe('observations out of time order, end to end', () => {
  it('a late heartbeat dated an hour back leaves the node alive; a heartbeat from the future does not count now', async () => {
    const other = tempStore();
    try {
      for (const args of [['--cluster', 'prod', 'provision'], ['nodes', 'register', '--name', 'a', '--roles', 'worker']]) {
        expect((await other.run(args)).code).toBe(0);
      }
      // an hour after the registration (which counts as heard, at the clock's time)
      const base = Date.now() + 3_600_000;
      const iso = (ms: number) => new Date(ms).toISOString();
      const t = iso(base);
      expect((await other.run(['--at', t, 'heartbeat', 'N1:1', '--partitions', '0=leader'])).code).toBe(0);
      expect((await other.run(['--at', iso(base - 1_800_000), 'heartbeat', 'N1:1'])).code).toBe(0);
      const observed = (await other.run(['--json', '--at', iso(base + 1_000), 'observe'])).json();
      expect(observed).toMatchObject({ aliveNodes: { N1: 'N1:1' }, lastHeard: { N1: t }, partitions: { '0': { N1: 'leader' } } });
      expect((await other.run(['--at', iso(base + 3_600_000), 'heartbeat', 'N1:1'])).code).toBe(0);
      const early = (await other.run(['--json', '--at', iso(base + 2_000), 'observe'])).json();
      expect(early.aliveNodes).toEqual({});
    } finally {
      other.cleanup();
    }
  });
});
