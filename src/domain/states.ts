/**
 * Closed unions for every role state, and exhaustive capability tables: a new state fails to compile until every
 * table has an entry for it.
 */
import { ClusterchartError } from './errors.js';

export const ROLES = ['http-ingress', 'admin', 'worker', 'log-server', 'metadata-server'] as const;
export type Role = (typeof ROLES)[number];

export const METADATA_SERVER_STATES = ['AutoJoin', 'Member', 'Standby'] as const;
export type MetadataServerState = (typeof METADATA_SERVER_STATES)[number];

export const STORAGE_STATES = ['Provisioning', 'ReadWrite', 'ReadOnly', 'DataLoss', 'Gone', 'Disabled'] as const;
export type StorageState = (typeof STORAGE_STATES)[number];

export const WORKER_STATES = ['Provisioning', 'Active', 'Draining', 'Disabled'] as const;
export type WorkerState = (typeof WORKER_STATES)[number];

export const PROVIDER_KINDS = ['replicated', 'local', 'in-memory'] as const;
export type ProviderKind = (typeof PROVIDER_KINDS)[number];

export const METADATA_SERVER_KINDS = ['replicated'] as const;
export type MetadataServerKind = (typeof METADATA_SERVER_KINDS)[number];

export const RUN_MODES = ['leader', 'follower'] as const;
export type RunMode = (typeof RUN_MODES)[number];

/**
 * What each storage state means to the rules; every column is read by one. Exhaustive: a new state fails to compile
 * until it has a row.
 * - `inNewNodesets`: admitted to new nodesets (nodeset selection, the drain safety check);
 * - `refusesRemoval`: a log server in it still takes new writes and cannot be removed (LogServerReadWrite);
 * - `removalChecksLogs`: removal checks the log chains (unsealed nodesets, local loglets); false once drained for good;
 * - `startRefusal`: why a log server in it refuses to start, or null when it runs.
 */
export const STORAGE_CAPABILITIES: Readonly<
  Record<
    StorageState,
    Readonly<{ inNewNodesets: boolean; refusesRemoval: boolean; removalChecksLogs: boolean; startRefusal: 'DataLoss' | 'StorageDisabled' | null }>
  >
> = {
  Provisioning: { inNewNodesets: false, refusesRemoval: false, removalChecksLogs: true, startRefusal: null },
  ReadWrite: { inNewNodesets: true, refusesRemoval: true, removalChecksLogs: true, startRefusal: null },
  ReadOnly: { inNewNodesets: false, refusesRemoval: false, removalChecksLogs: true, startRefusal: null },
  DataLoss: { inNewNodesets: false, refusesRemoval: false, removalChecksLogs: true, startRefusal: 'DataLoss' },
  Gone: { inNewNodesets: false, refusesRemoval: false, removalChecksLogs: true, startRefusal: null },
  Disabled: { inNewNodesets: false, refusesRemoval: false, removalChecksLogs: false, startRefusal: 'StorageDisabled' },
};

/** Which worker states join replica sets (only `Active`): the replica-set safety check counts them. */
export const WORKER_CAPABILITIES: Readonly<Record<WorkerState, Readonly<{ inReplicaSets: boolean }>>> = {
  Provisioning: { inReplicaSets: false },
  Active: { inReplicaSets: true },
  Draining: { inReplicaSets: false },
  Disabled: { inReplicaSets: false },
};

/** Metadata states a node may be removed in (`Member` must first leave the metadata cluster: MetadataMember). */
export const METADATA_REMOVABLE: Readonly<Record<MetadataServerState, boolean>> = {
  AutoJoin: true,
  Member: false,
  Standby: true,
};

const squash = (s: string) => s.replace(/[-_\s]/g, '').toLowerCase();

function parseState<S extends string>(kind: string, all: readonly S[], text: string): S {
  const wanted = squash(text);
  const found = all.find((s) => squash(s) === wanted);
  if (found === undefined) {
    throw new ClusterchartError(
      'InvalidState',
      `"${text}" is not a ${kind}: use one of ${all.join(', ')} (PascalCase or kebab-case).`,
      { input: text, kind },
    );
  }
  return found;
}

/** Accepts `ReadOnly`, `read-only` or `readonly`. */
export const parseStorageState = (text: string): StorageState => parseState('storage state', STORAGE_STATES, text);
export const parseWorkerState = (text: string): WorkerState => parseState('worker state', WORKER_STATES, text);
export const parseMetadataServerState = (text: string): MetadataServerState =>
  parseState('metadata server state', METADATA_SERVER_STATES, text);
export const parseRole = (text: string): Role => parseState('role', ROLES, text);
export const parseProviderKind = (text: string): ProviderKind => parseState('log provider', PROVIDER_KINDS, text);
