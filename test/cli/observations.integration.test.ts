/** `heartbeat` and `unreachable` in process: what an operator is told about an observation that changes nothing. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempStore } from './support/cli.js';

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
