/** Times in commands: strict ISO-8601 date-times with a zone, stored in one normalised form. */
import { describe, expect, it } from 'vitest';
import { parseCommand } from '../../src/domain/commands.js';
import { isClusterchartError } from '../../src/domain/errors.js';
import { parseDomainEvent } from '../../src/domain/events.js';

const heartbeat = (at: unknown) => parseCommand({ type: 'RecordHeartbeat', commandId: 'c1', data: { node: 'N1:1', at } });
const refusal = (run: () => unknown): { code: string; message: string } => {
  try {
    run();
  } catch (error) {
    if (isClusterchartError(error)) return { code: error.code, message: error.message };
    throw error;
  }
  throw new Error('expected InvalidInput, but the input was accepted');
};

const NOT_TIMES = ['1', '%00', '2026-02-30T00:00:00Z', '2025-02-29T00:00:00Z', 'Tue, 01 Jan 2026 00:00:00 GMT', '2026-01-31', '2026-01-31T12:00:00', '2026-01-31 12:00:00Z', '2026-01-31T24:00:00Z', ''];

describe('command times', () => {
  it.each(NOT_TIMES)('refuses %j as InvalidInput, showing the expected form', (at) => {
    const { code, message } = refusal(() => heartbeat(at));
    expect(code).toBe('InvalidInput');
    expect(message).toContain('2026-01-31T12:00:00Z');
  });

  it('stores one normalised form: UTC with milliseconds', () => {
    expect(heartbeat('2026-01-31T12:00:00Z').data).toMatchObject({ at: '2026-01-31T12:00:00.000Z' });
    expect(heartbeat('2026-01-31T14:00:00.5+02:00').data).toMatchObject({ at: '2026-01-31T12:00:00.500Z' });
    expect(heartbeat('2024-02-29T00:00:00.000Z').data).toMatchObject({ at: '2024-02-29T00:00:00.000Z' });
  });

  it('applies to unreachable, metadata join and log store markers too', () => {
    const unreachable = parseCommand({ type: 'RecordUnreachable', commandId: 'c', data: { node: 1, at: '2026-01-01T01:00:00+01:00' } });
    expect(unreachable.data).toMatchObject({ at: '2026-01-01T00:00:00.000Z' });
    const join = parseCommand({ type: 'JoinMetadataCluster', commandId: 'c', data: { node: 1, createdAt: '2026-01-01T00:00:00Z' } });
    expect(join.data).toMatchObject({ createdAt: '2026-01-01T00:00:00.000Z' });
    const marker = { nodeId: 1, markerId: 'm1', createdAt: '2026-01-01T00:00:00Z' };
    expect(parseCommand({ type: 'ProvisionLogServer', commandId: 'c', data: { node: 1, marker } }).data).toMatchObject({
      marker: { createdAt: '2026-01-01T00:00:00.000Z' },
    });
    expect(refusal(() => parseCommand({ type: 'RecordUnreachable', commandId: 'c', data: { node: 1, at: '1' } })).code).toBe('InvalidInput');
    expect(refusal(() => parseCommand({ type: 'JoinMetadataCluster', commandId: 'c', data: { node: 1, createdAt: '2026-02-30T00:00:00Z' } })).code).toBe('InvalidInput');
    const bad = { ...marker, createdAt: 'Tue, 01 Jan 2026 00:00:00 GMT' };
    expect(refusal(() => parseCommand({ type: 'StartLogServer', commandId: 'c', data: { node: 1, marker: bad } })).code).toBe('InvalidInput');
  });
});

describe('stored times', () => {
  it('stored histories load as stored: normalised times, and the looser times older histories hold', () => {
    for (const at of ['2026-01-31T12:00:00.000Z', 'Tue, 01 Jan 2026 00:00:00 GMT']) {
      const event = parseDomainEvent({ type: 'NodeHeartbeatObserved', data: { nodeId: 1, generation: 1, at, partitions: {} }, position: 7 });
      expect(event.data).toMatchObject({ at });
      const marker = { nodeId: 1, markerId: 'm1', createdAt: at };
      const data = { machine: 'log-server', node: 1, from: 'Provisioning', to: 'ReadWrite', input: { type: 'PROVISION' }, forced: false, nodeId: 1, marker };
      expect(parseDomainEvent({ type: 'StorageStateChanged', data }).data).toMatchObject({ marker });
    }
  });
});
