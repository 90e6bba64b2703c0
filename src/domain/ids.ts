/**
 * Node identities.
 *
 * Invariants:
 * - a `PlainNodeId` is an integer >= 1. 0 is reserved: it means "no sender" in messages and raft-rs reserves it as
 *   INVALID_ID, while the embedded metadata store needs the Raft id to equal the plain node id;
 * - a `GenerationalNodeId` is `(id, generation)` with generation >= 1; generations only move forward.
 */
import { ClusterchartError } from './errors.js';

declare const plainBrand: unique symbol;
declare const generationalBrand: unique symbol;

export type PlainNodeId = number & { readonly [plainBrand]: 'PlainNodeId' };
export type GenerationalNodeId = Readonly<{ id: PlainNodeId; generation: number }> & {
  readonly [generationalBrand]: 'GenerationalNodeId';
};

/** A node registers at this generation; a legacy node keeps the generation it had. */
export const FIRST_GENERATION = 1;

/**
 * The generation a restart records: exactly one step forward. The node-lifecycle machine's guard, the decider and
 * the fold of recorded events all read this one rule.
 *
 * @example
 * nextGeneration(3); // 4
 */
export const nextGeneration = (generation: number): number => generation + 1;

/** Largest id Restate can carry (u32). */
export const MAX_NODE_ID = 0xffff_ffff;

const reservedMessage = (what: string) =>
  `${what} 0 is reserved for system use: it means "no sender" in messages and is not a valid Raft id. ` +
  'Choose a node id of 1 or more (or leave it unset to allocate one); a legacy cluster with node 0 is migrated ' +
  'with `clusterchart migrate legacy FILE`.';

/** Validates a number as a plain node id. Throws `ReservedNodeId` for 0 and `InvalidNodeId` otherwise. */
export function plainNodeId(value: number): PlainNodeId {
  if (value === 0) throw new ClusterchartError('ReservedNodeId', reservedMessage('Node id'), { value: 0 });
  if (!Number.isSafeInteger(value) || value < 1 || value > MAX_NODE_ID) {
    throw new ClusterchartError(
      'InvalidNodeId',
      `Node id ${String(value)} is not valid: a node id is a whole number from 1 to ${MAX_NODE_ID}, written N5 or 5.`,
      { value: String(value) },
    );
  }
  return value as PlainNodeId;
}

export function generationalNodeId(id: number, generation: number): GenerationalNodeId {
  const plain = plainNodeId(id);
  if (generation === 0) {
    throw new ClusterchartError(
      'ReservedNodeId',
      `Generation 0 of N${plain} is reserved (N0:0 is the internal "nobody" sentinel); generations start at 1.`,
      { node: `N${plain}`, generation: 0 },
    );
  }
  if (!Number.isSafeInteger(generation) || generation < 1 || generation > MAX_NODE_ID) {
    throw new ClusterchartError(
      'InvalidNodeId',
      `Generation ${String(generation)} of N${plain} is not valid: generations are whole numbers from 1.`,
      { node: `N${plain}`, generation: String(generation) },
    );
  }
  return { id: plain, generation } as GenerationalNodeId;
}

const PLAIN = /^\s*[Nn]?(\d+)\s*$/;
const GENERATIONAL = /^\s*[Nn]?(\d+):(\d+)\s*$/;

/** Parses `N5` or `5`. */
export function parsePlainNodeId(text: string): PlainNodeId {
  const match = PLAIN.exec(text);
  if (!match) {
    throw new ClusterchartError(
      'InvalidNodeId',
      `"${text}" is not a node id: write it as N5 or 5 (a generational id N5:3 is not accepted here).`,
      { input: text },
    );
  }
  return plainNodeId(Number(match[1]));
}

/** Parses `N5:3` (or `5:3`). */
export function parseGenerationalNodeId(text: string): GenerationalNodeId {
  const match = GENERATIONAL.exec(text);
  if (!match) {
    throw new ClusterchartError('InvalidNodeId', `"${text}" is not a generational node id: write it as N5:3.`, {
      input: text,
    });
  }
  return generationalNodeId(Number(match[1]), Number(match[2]));
}

/** Parses either form: `N5` gives a plain id, `N5:3` a generational one. */
export function parseNodeId(text: string): PlainNodeId | GenerationalNodeId {
  return text.includes(':') ? parseGenerationalNodeId(text) : parsePlainNodeId(text);
}

export function isGenerational(id: PlainNodeId | GenerationalNodeId): id is GenerationalNodeId {
  return typeof id === 'object';
}

/**
 * A node id as users see it, in results, read models, the audit trail and the CLI alike: `N3`. (Plain and
 * generational ids are numbers and `{ id, generation }` inside the domain; everything handed to a user is printed.)
 */
export type NodeName = `N${number}`;
/** A generational node id as users see it: `N3:2`. */
export type GenerationalNodeName = `N${number}:${number}`;

export function printPlainNodeId(id: PlainNodeId | number): NodeName {
  return `N${id}`;
}

export function printGenerationalNodeId(id: GenerationalNodeId | { id: number; generation: number }): GenerationalNodeName {
  return `N${id.id}:${id.generation}`;
}

export function printNodeId(id: PlainNodeId | GenerationalNodeId): string {
  return isGenerational(id) ? printGenerationalNodeId(id) : printPlainNodeId(id);
}

export function comparePlainNodeIds(a: PlainNodeId, b: PlainNodeId): number {
  return a - b;
}

/** Orders by id, then generation. */
export function compareGenerationalNodeIds(a: GenerationalNodeId, b: GenerationalNodeId): number {
  return a.id - b.id || a.generation - b.generation;
}

/** Same id and a strictly higher generation (Restate's `is_newer_than`). */
export function isNewerThan(a: GenerationalNodeId, b: GenerationalNodeId): boolean {
  return a.id === b.id && a.generation > b.generation;
}
