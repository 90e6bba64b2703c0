import { describe, expect, it } from 'vitest';
import { isNodeAlive, observedClusterState, observedClusterStateProjection } from '../../projections/index.js';
import { plainNodeId } from '../../src/domain/index.js';
import { projectionSpec } from '../../src/testing/projection.js';
import { History } from './history.js';

const spec = projectionSpec(observedClusterStateProjection);
const N = plainNodeId;

describe('ObservedClusterState: observations arriving out of time order', () => {
  it('a heartbeat dated before the newest one is recorded but moves neither lastHeard nor the partitions back', () => {
    const h = new History();
    const given = [h.register(1), h.advance(5_000).heartbeat(1, 1, { '0': 'leader' })];
    const heard = h.now;
    const before = spec.given(...given).when().then(() => undefined);
    const after = spec
      .given(...given)
      .when(h.advance(1_000).heartbeat(1, 1, { '7': 'follower' }, heard - 60_000))
      .then(() => undefined);
    expect(after.nodes).toEqual(before.nodes);
    const view = observedClusterState(after, { now: heard + 1_000 });
    expect(view.lastHeard.get(N(1))).toBe(h.iso(heard));
    expect(isNodeAlive(view, N(1))).toBe(true);
    expect(view.nodesToPartitions.get(N(1))).toEqual(new Set([0]));
  });

  it('an unreachable report dated before the newest heartbeat changes nothing', () => {
    const h = new History();
    const given = [h.register(1), h.advance(5_000).heartbeat(1, 1, { '0': 'leader' })];
    const heard = h.now;
    const state = spec.given(...given).when(h.advance(1_000).unreachable(1, heard - 1)).then(() => undefined);
    const view = observedClusterState(state, { now: heard + 1_000 });
    expect(isNodeAlive(view, N(1))).toBe(true);
    expect(view.partitions.get(0)).toEqual(new Map([[N(1), 'leader']]));
  });

  it('a heartbeat dated before an unreachable report does not make the node alive again', () => {
    const h = new History();
    const given = [h.register(1), h.heartbeat(1, 1, { '0': 'leader' }), h.advance(2_000).unreachable(1)];
    const reported = h.now;
    const state = spec.given(...given).when(h.advance(1_000).heartbeat(1, 1, { '0': 'leader' }, reported - 500)).then(() => undefined);
    expect(isNodeAlive(observedClusterState(state, { now: h.now }), N(1))).toBe(false);
  });

  it('liveness judged at T ignores a heartbeat dated after T', () => {
    const h = new History();
    const state = spec
      .given(h.register(1))
      .when(h.advance(60_000).heartbeat(1, 1, { '0': 'leader' }, h.now + 3_600_000))
      .then(() => undefined);
    const view = observedClusterState(state, { now: h.now });
    expect(isNodeAlive(view, N(1))).toBe(false);
    expect(view.partitions.size).toBe(0);
    expect(isNodeAlive(observedClusterState(state, { now: h.now + 3_600_000 }), N(1))).toBe(true);
  });

  it('an unreachable report dated after T does not make the node dead at T', () => {
    const h = new History();
    const given = [h.register(1), h.heartbeat(1, 1, { '0': 'leader' })];
    const state = spec.given(...given).when(h.advance(1_000).unreachable(1, h.now + 3_600_000)).then(() => undefined);
    expect(isNodeAlive(observedClusterState(state, { now: h.now }), N(1))).toBe(true);
    expect(isNodeAlive(observedClusterState(state, { now: h.now + 3_600_000 }), N(1))).toBe(false);
  });
});
