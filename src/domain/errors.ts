/**
 * One error type for everything clusterchart refuses. Callers check `code`, never the prototype:
 * errors cross process boundaries (CLI JSON, logs) as `{ code, message, context }`.
 */

/** Every refusal code the engine, the stores and the CLI can produce. */
export const ERROR_CODES = [
  // input validation
  'InvalidInput',
  'InvalidNodeId',
  'ReservedNodeId',
  'InvalidReplication',
  'InvalidState',
  // node identity
  'UnknownNode',
  'NodeDeleted',
  'GenerationMismatch',
  'NodeIdRetired',
  'NodeIdInUse',
  'NodeIdMismatch',
  'ClusterMismatch',
  'MultiNodeCluster',
  'LegacyNodeZero',
  'InvalidRole',
  // metadata membership
  'ClusterIdentityMismatch',
  'PendingReconfiguration',
  'NotMember',
  'OnlyMember',
  // node removal
  'LogServerReadWrite',
  'NodeSetMember',
  'MetadataMember',
  'DefaultLogletProvider',
  'LocalLoglet',
  // provisioning and logs
  'NotProvisioned',
  'AlreadyProvisioned',
  'ChooseReplicatedLoglet',
  'InsufficientNodes',
  'UnknownLog',
  // storage / worker state
  'MarkerMismatch',
  'MarkerFromAnotherNode',
  'DataLoss',
  'StorageDisabled',
  'UnsafeTransition',
  'SafetyCheckFailed',
  // engine and stores
  'WrongExpectedVersion',
  'TooManyConflicts',
  'DuplicateEventId',
  'StoreUnavailable',
  'StoreCorrupt',
  'SchemaTooNew',
  'NotSerializable',
  'UnknownEventType',
  'HistoryInvalid',
  'ClusterNotFound',
  'AmbiguousCluster',
  'EngineClosed',
  'CommandIdReused',
  'AppendTooLarge',
] as const;

export type ErrorCode = (typeof ERROR_CODES)[number];

/** Context fields that help an operator act on an error (node ids printed as `N3`, never objects). */
export type ErrorContext = Readonly<Record<string, string | number | boolean | null | readonly (string | number)[]>>;

/**
 * The base class of every error clusterchart throws or returns on purpose.
 *
 * @example
 * try { await engine.registerNode({ name: 'a', roles: ['worker'], forceNodeId: 0 }) }
 * catch (e) { if (isClusterchartError(e, 'ReservedNodeId')) console.error(e.message) }
 */
export class ClusterchartError extends Error {
  override readonly name = 'ClusterchartError';
  readonly code: ErrorCode;
  readonly context: ErrorContext;

  constructor(code: ErrorCode, message: string, context: ErrorContext = {}, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.context = context;
  }

  /** The JSON shape the CLI prints: `{ code, message, ...context }`. */
  toJSON(): { code: ErrorCode; message: string; context: ErrorContext } {
    return { code: this.code, message: this.message, context: this.context };
  }
}

/** A refusal by the domain rules (the decider). Same class; the alias names the intent. */
export type DomainError = ClusterchartError;

export function isClusterchartError(value: unknown, code?: ErrorCode): value is ClusterchartError {
  return value instanceof ClusterchartError ? code === undefined || value.code === code : false;
}

export function isErrorCode(value: string): value is ErrorCode {
  return (ERROR_CODES as readonly string[]).includes(value);
}
