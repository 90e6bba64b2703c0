/** Observation results: a heartbeat of an older generation is recorded, and its result says it changed nothing. */
import { describe, expect, it } from 'vitest';
import { decide, foldEvents, resultOf } from '../../src/decider/index.js';
import { type ClusterState, type Command, type DomainEvent, emptyClusterState } from '../../src/domain/index.js';
import { command } from '../../src/testing/given-when-then.js';

const AT = '2026-01-01T00:00:00.000Z';

function apply(state: ClusterState, c: Command): ClusterState {
  const d = decide(state, c);
  if (!d.ok) throw d.error;
  return foldEvents(state, d.events as DomainEvent[]);
}

/** A provisioned cluster whose N1 restarted once: it is at generation 2. */
const restarted = (): ClusterState =>
  [
    command('ProvisionCluster', { clusterName: 'prod' }),
    command('RegisterNode', { name: 'a', roles: ['worker'] }),
    command('RegisterNode', { name: 'a', roles: ['worker'] }),
  ].reduce(apply, emptyClusterState());

describe('RecordHeartbeat results', () => {
  it('a heartbeat of the current generation is not ignored', () => {
    const d = decide(restarted(), command('RecordHeartbeat', { node: 'N1:2', at: AT }));
    expect(d.ok && d.result).toMatchObject({ node: 'N1:2', at: AT, ignored: false, reason: null });
  });

  it('a heartbeat of an older generation is recorded, and the result says it was ignored and why', () => {
    const d = decide(restarted(), command('RecordHeartbeat', { node: 'N1:1', at: AT }));
    if (!d.ok) throw d.error;
    expect(d.events).toHaveLength(1);
    expect(d.result).toMatchObject({ node: 'N1:1', ignored: true });
    expect(d.result.reason).toMatch(/N1:1.*older.*N1:2/);
  });

  it('a retry answers as the first time, however far the node moved on since (the event carries the judgement)', () => {
    const fresh = command('RecordHeartbeat', { node: 'N1:2', at: AT });
    const stale = command('RecordHeartbeat', { node: 'N1:1', at: AT });
    const first = decide(restarted(), fresh);
    const ignored = decide(restarted(), stale);
    if (!first.ok || !ignored.ok) throw new Error('refused');
    const later = apply(restarted(), command('RegisterNode', { name: 'a', roles: ['worker'] })); // N1 at generation 3
    expect(resultOf(fresh, first.events, later)).toMatchObject({ ignored: false, reason: null });
    expect(resultOf(stale, ignored.events, later)).toMatchObject({ ignored: true, reason: expect.stringMatching(/N1:1.*N1:2/) });
  });
});
