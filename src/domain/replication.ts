/**
 * ReplicationProperty: a factor per location scope, `node < zone < region`.
 * Written as `2` (= `{node: 2}`) or `{zone: 2, node: 3}`. Factors are 1..255; a smaller scope may not have a lower
 * factor than a larger one (you cannot keep copies in 3 zones with only 2 nodes). The node factor is the number of
 * copies; when omitted it equals the largest factor given.
 */
import { ClusterchartError } from './errors.js';

export const REPLICATION_SCOPES = ['node', 'zone', 'region'] as const;
export type ReplicationScope = (typeof REPLICATION_SCOPES)[number];

export type ReplicationProperty = Readonly<{ node: number; zone?: number; region?: number }>;

const invalid = (input: string, why: string) =>
  new ClusterchartError(
    'InvalidReplication',
    `Replication "${input}" is not valid: ${why}. Write a factor such as 2 or {zone: 2, node: 3} (factors 1..255, node >= zone >= region).`,
    { input },
  );

function checkFactor(input: string, scope: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 255) {
    throw invalid(input, `the ${scope} factor must be a whole number from 1 to 255`);
  }
  return value;
}

/** Builds a validated property from a number or a scope map. */
export function replicationProperty(value: number | Readonly<Partial<Record<ReplicationScope, number>>>): ReplicationProperty {
  const input = typeof value === 'number' ? String(value) : JSON.stringify(value);
  if (typeof value === 'number') return { node: checkFactor(input, 'node', value) };
  if (value === null || typeof value !== 'object') throw invalid(input, 'expected a number or a scope map');
  for (const key of Object.keys(value)) {
    if (!(REPLICATION_SCOPES as readonly string[]).includes(key)) throw invalid(input, `unknown scope "${key}"`);
  }
  const region = value.region === undefined ? undefined : checkFactor(input, 'region', value.region);
  const zone = value.zone === undefined ? undefined : checkFactor(input, 'zone', value.zone);
  const explicitNode = value.node === undefined ? undefined : checkFactor(input, 'node', value.node);
  if (region === undefined && zone === undefined && explicitNode === undefined) throw invalid(input, 'no scope given');
  const node = explicitNode ?? Math.max(zone ?? 1, region ?? 1);
  if (zone !== undefined && region !== undefined && zone < region) {
    throw invalid(input, `zone factor ${zone} is lower than region factor ${region}`);
  }
  if (zone !== undefined && node < zone) throw invalid(input, `node factor ${node} is lower than zone factor ${zone}`);
  if (region !== undefined && node < region) throw invalid(input, `node factor ${node} is lower than region factor ${region}`);
  return { node, ...(zone === undefined ? {} : { zone }), ...(region === undefined ? {} : { region }) };
}

/**
 * Parses `2`, `{zone: 2, node: 3}`, `{"zone":2,"node":3}` or `zone:2,node:3`.
 */
export function parseReplicationProperty(text: string): ReplicationProperty {
  const trimmed = text.trim();
  if (/^\d+$/.test(trimmed)) return replicationProperty(Number(trimmed));
  const body = trimmed.replace(/^\{/, '').replace(/\}$/, '').trim();
  if (body === '') throw invalid(text, 'it is empty');
  const map: Record<string, number> = {};
  for (const part of body.split(',')) {
    const match = /^\s*"?([a-z]+)"?\s*:\s*(\d+)\s*$/i.exec(part);
    if (!match) throw invalid(text, `cannot read "${part.trim()}"`);
    const scope = match[1]!.toLowerCase();
    if (scope in map) throw invalid(text, `scope "${scope}" is given twice`);
    map[scope] = Number(match[2]);
  }
  try {
    return replicationProperty(map);
  } catch (error) {
    if (error instanceof ClusterchartError) throw invalid(text, error.message.split(': ')[1]?.split('. Write')[0] ?? 'invalid');
    throw error;
  }
}

/** Number of copies of each record (the node factor). */
export function replicationFactor(property: ReplicationProperty): number {
  return property.node;
}

/**
 * The one printed form of a replication property, largest scope first (the order `parseReplicationProperty` reads):
 * `{node: 2}` prints as `2` unless `braces` is set, otherwise `{region: 1, zone: 2, node: 3}`.
 *
 * @example
 * formatReplication({ node: 3, zone: 2 });              // '{zone: 2, node: 3}'
 * formatReplication({ node: 1 });                       // '1'
 * formatReplication({ node: 1 }, { braces: true });     // '{node: 1}'
 */
export function formatReplication(property: ReplicationProperty, options: Readonly<{ braces?: boolean }> = {}): string {
  if (property.zone === undefined && property.region === undefined && options.braces !== true) return String(property.node);
  const parts: string[] = [];
  for (const scope of [...REPLICATION_SCOPES].reverse()) {
    const factor = property[scope];
    if (factor !== undefined) parts.push(`${scope}: ${factor}`);
  }
  return `{${parts.join(', ')}}`;
}

