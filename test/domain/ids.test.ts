import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  generationalNodeId,
  isClusterchartError,
  parseGenerationalNodeId,
  parseNodeId,
  parsePlainNodeId,
  parseReplicationProperty,
  parseRole,
  parseStorageState,
  plainNodeId,
  printGenerationalNodeId,
  printPlainNodeId,
  formatReplication,
} from '../../src/domain/index.js';

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return isClusterchartError(e) ? e.code : 'not-a-clusterchart-error';
  }
  return undefined;
};

describe('node ids', () => {
  it('parses N5 and 5 and prints N5', () => {
    expect(parsePlainNodeId('N5')).toBe(5);
    expect(parsePlainNodeId('5')).toBe(5);
    expect(printPlainNodeId(parsePlainNodeId('5'))).toBe('N5');
    expect(printGenerationalNodeId(parseGenerationalNodeId('N5:3'))).toBe('N5:3');
    expect(parseNodeId('N5:3')).toEqual({ id: 5, generation: 3 });
  });

  it('refuses 0 everywhere with ReservedNodeId and says why and what to do', () => {
    for (const f of [() => plainNodeId(0), () => parsePlainNodeId('N0'), () => parsePlainNodeId('0'), () => parseGenerationalNodeId('N0:1'), () => generationalNodeId(3, 0)]) {
      expect(codeOf(f)).toBe('ReservedNodeId');
    }
    try {
      parsePlainNodeId('N0');
    } catch (e) {
      expect(String((e as Error).message)).toMatch(/no sender/);
      expect(String((e as Error).message)).toMatch(/Raft/);
      expect(String((e as Error).message)).toMatch(/1 or more/);
    }
  });

  it('refuses garbage with InvalidNodeId', () => {
    for (const t of ['', 'N', 'N-1', 'X5', 'N1.5', 'N5:', 'N99999999999']) expect(codeOf(() => parseNodeId(t))).toBe('InvalidNodeId');
  });

  it('round-trips print/parse for any valid id (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 0xffffffff }), fc.integer({ min: 1, max: 0xffffffff }), (id, gen) => {
        expect(parsePlainNodeId(printPlainNodeId(plainNodeId(id)))).toBe(id);
        expect(parseGenerationalNodeId(printGenerationalNodeId(generationalNodeId(id, gen)))).toEqual({ id, generation: gen });
      }),
    );
  });
});

describe('replication property', () => {
  it('parses 2 and {zone: 2, node: 3}', () => {
    expect(parseReplicationProperty('2')).toEqual({ node: 2 });
    expect(parseReplicationProperty('{zone: 2, node: 3}')).toEqual({ node: 3, zone: 2 });
    expect(parseReplicationProperty('{"region":1,"zone":2}')).toEqual({ node: 2, zone: 2, region: 1 });
    expect(formatReplication(parseReplicationProperty('{zone: 2, node: 3}'))).toBe('{zone: 2, node: 3}');
  });
  it('refuses factors outside 1..255 and smaller scopes with lower factors', () => {
    for (const t of ['0', '256', '{zone: 3, node: 2}', '{region: 2, zone: 1}', '{rack: 2}', '', '{node: 2, node: 3}']) {
      expect(codeOf(() => parseReplicationProperty(t))).toBe('InvalidReplication');
    }
  });
});

describe('state names', () => {
  it('accepts PascalCase and kebab-case', () => {
    expect(parseStorageState('read-only')).toBe('ReadOnly');
    expect(parseStorageState('ReadWrite')).toBe('ReadWrite');
    expect(parseRole('LogServer')).toBe('log-server');
    expect(codeOf(() => parseStorageState('writable'))).toBe('InvalidState');
  });
});
