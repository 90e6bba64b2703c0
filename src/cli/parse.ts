/**
 * Argument parsers for commander. They check SYNTAX only and throw commander's `InvalidArgumentError`, which the
 * CLI turns into exit 2 (bad usage). Domain validity (node 0 is reserved, an id is free, a state move is safe) is the
 * engine's to judge, so `--force-id 0` parses here and is refused by the domain with `ReservedNodeId` (exit 1).
 */
import { InvalidArgumentError } from 'commander';
import {
  ISO_TIME_FORM,
  isClusterchartError,
  isIsoDateTime,
  parseProviderKind,
  parseReplicationProperty,
  parseRole,
  parseStorageState,
  parseWorkerState,
  type ProviderKind,
  type ReplicationProperty,
  type Role,
  RUN_MODES,
  type RunMode,
  type StorageState,
  type WorkerState,
} from '../index.js';

/** Re-throws a domain parse error as a usage error carrying the domain's message. */
function usage<T>(parse: () => T): T {
  try {
    return parse();
  } catch (error) {
    if (isClusterchartError(error)) throw new InvalidArgumentError(error.message);
    throw error;
  }
}

const PLAIN_ID = /^\s*[Nn]?(\d{1,10})\s*$/;
const GENERATIONAL_ID = /^\s*[Nn]?(\d{1,10}):(\d{1,10})\s*$/;

/**
 * `N3` or `3` -> 3. Zero is let through on purpose: it is a well-formed id the domain refuses with its own
 * message (`ReservedNodeId`), which operators should see rather than a generic usage error.
 *
 * @example parseNodeIdArg('N3') // 3
 */
export function parseNodeIdArg(text: string): number {
  const match = PLAIN_ID.exec(text);
  if (!match) throw new InvalidArgumentError(`"${text}" is not a node id: write it as N3 or 3.`);
  return Number(match[1]);
}

/** Accumulates a variadic list of node ids (`nodes remove N4 N5`). */
export function parseNodeIdList(text: string, previous: number[] | undefined): number[] {
  return [...(previous ?? []), parseNodeIdArg(text)];
}

/** `N3:2` -> `{ id: 3, generation: 2 }`. */
export function parseGenerationalArg(text: string): { id: number; generation: number } {
  const match = GENERATIONAL_ID.exec(text);
  if (!match) {
    throw new InvalidArgumentError(`"${text}" is not a generational node id: write it as N3:2 (node 3, generation 2).`);
  }
  return { id: Number(match[1]), generation: Number(match[2]) };
}

export function parseIntegerArg(what: string, min: number, max = Number.MAX_SAFE_INTEGER): (text: string) => number {
  return (text) => {
    if (!/^\s*\d+\s*$/.test(text)) throw new InvalidArgumentError(`${what} must be a whole number, got "${text}".`);
    const value = Number(text);
    if (value < min || value > max) throw new InvalidArgumentError(`${what} must be from ${min} to ${max}, got ${value}.`);
    return value;
  };
}

/** A global log position (>= 1). */
export const parsePositionArg = parseIntegerArg('A position', 1);

/**
 * `--at`, `--created-at`: strictly an ISO-8601 date-time with a zone (the library's rule, `isIsoDateTime`),
 * normalised to the one stored form (`Date.prototype.toISOString`, UTC with milliseconds).
 *
 * @example parseIsoArg('2026-01-31T13:00:00+01:00') // '2026-01-31T12:00:00.000Z'
 */
export function parseIsoArg(text: string): string {
  if (!isIsoDateTime(text)) throw new InvalidArgumentError(`"${text}" is not a time: write ${ISO_TIME_FORM}.`);
  return new Date(text).toISOString();
}

/** `--as-of`: digits are a log position, anything else an ISO-8601 time. */
export function parseAsOfArg(text: string): number | Date {
  if (/^\s*\d+\s*$/.test(text)) return parsePositionArg(text);
  return new Date(parseIsoArg(text));
}

export function parseRolesArg(text: string): Role[] {
  const roles = text
    .split(',')
    .map((part) => part.trim())
    .filter((part) => part.length > 0)
    .map((part) => usage(() => parseRole(part)));
  if (roles.length === 0) throw new InvalidArgumentError('--roles needs at least one role, e.g. log-server,metadata-server.');
  return [...new Set(roles)];
}

export const parseStorageStateArg = (text: string): StorageState => usage(() => parseStorageState(text));
export const parseWorkerStateArg = (text: string): WorkerState => usage(() => parseWorkerState(text));
export const parseProviderArg = (text: string): ProviderKind => usage(() => parseProviderKind(text));
export const parseReplicationArg = (text: string): ReplicationProperty => usage(() => parseReplicationProperty(text));

export function parseBooleanArg(text: string): boolean {
  const value = text.trim().toLowerCase();
  if (value === 'true' || value === 'yes' || value === '1') return true;
  if (value === 'false' || value === 'no' || value === '0') return false;
  throw new InvalidArgumentError(`expected true or false, got "${text}".`);
}

/** `0=leader,3=follower` -> `{ "0": "leader", "3": "follower" }`. */
export function parsePartitionsArg(text: string): Record<string, RunMode> {
  const partitions: Record<string, RunMode> = {};
  for (const part of text.split(',').map((p) => p.trim()).filter((p) => p.length > 0)) {
    const match = /^(\d+)\s*=\s*([a-z]+)$/i.exec(part);
    const mode = match?.[2]?.toLowerCase();
    if (!match || !(RUN_MODES as readonly string[]).includes(mode ?? '')) {
      throw new InvalidArgumentError(`"${part}" is not a partition assignment: write P=leader or P=follower, e.g. 0=leader,3=follower.`);
    }
    partitions[String(Number(match[1]))] = mode as RunMode;
  }
  return partitions;
}
