/**
 * The one translation of etcd client errors into the contract's codes. Everything the adapter awaits from the
 * client passes through `translateEtcdError`, so callers see:
 * - `InvalidInput` / `AppendTooLarge`: the server refused the request itself (too many operations, too large);
 *   retrying the same request cannot help;
 * - `StoreUnavailable`: anything else (no quorum, leader change, deadline, connection refused, auth, the client
 *   closed). For an append this means the outcome is unknown: retry it with the same event ids and the same
 *   expected revision, which the store acknowledges without writing twice if the first attempt committed.
 * `WrongExpectedVersion` and `DuplicateEventId` never come from the client: the adapter derives them from the
 * transaction's compare results. Messages name the URL without credentials, and driver text is redacted.
 */
import { ClusterchartError, isClusterchartError } from '../../domain/errors.js';
import { redactUrl } from '../common.js';

export type EtcdOperation = 'connect' | 'append' | 'read' | 'subscribe' | 'close';

/** gRPC status code of a driver error, when it carries one. */
function grpcCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

export function translateEtcdError(error: unknown, context: Readonly<{ url: string; operation: EtcdOperation; stream?: string }>): ClusterchartError {
  if (isClusterchartError(error)) return error;
  const name = error instanceof Error ? error.constructor.name : typeof error;
  const raw = error instanceof Error ? error.message : String(error);
  const detail = redactUrl(raw).slice(0, 300);
  const where = context.stream === undefined ? '' : ` (stream "${context.stream}")`;
  const ctx = { url: context.url, operation: context.operation, ...(context.stream === undefined ? {} : { stream: context.stream }) };

  if (/too many operations in txn request/i.test(raw)) {
    return new ClusterchartError(
      'AppendTooLarge',
      `The etcd store ${context.url} refused an ${context.operation}${where}: the transaction has more operations than the server's --max-txn-ops. Set maxTxnOps in the store URL to the server's value, or append fewer events at once.`,
      { ...ctx, limit: 'maxEventsPerAppend' },
      { cause: error },
    );
  }
  if (/request is too large|larger than max|message larger than/i.test(raw)) {
    return new ClusterchartError(
      'AppendTooLarge',
      `The etcd store ${context.url} refused an ${context.operation}${where}: the request is larger than the server's --max-request-bytes. Set maxRequestBytes in the store URL to the server's value, or append less at once.`,
      { ...ctx, limit: 'maxBytesPerAppend' },
      { cause: error },
    );
  }
  if (/authentication failed|invalid auth token|permission denied|user name is empty/i.test(raw) || grpcCode(error) === 7 || grpcCode(error) === 16) {
    return new ClusterchartError(
      'StoreUnavailable',
      `The etcd store ${context.url} refused the credentials for ${context.operation}${where}: check the user, its password and its role's key range permission on the prefix (${detail}).`,
      { ...ctx, reason: 'auth' },
      { cause: error },
    );
  }
  if (grpcCode(error) === 3 && !/etcdserver|mvcc/i.test(raw)) {
    return new ClusterchartError('InvalidInput', `The etcd store ${context.url} refused the ${context.operation}${where} as invalid (${detail}).`, ctx, { cause: error });
  }
  return new ClusterchartError(
    'StoreUnavailable',
    `The etcd store ${context.url} is unavailable for ${context.operation}${where} (${name}: ${detail}). ` +
      (context.operation === 'append' ? 'The append may or may not have committed: retry it with the same event ids and expected revision.' : 'Retry when the cluster has quorum again.'),
    ctx,
    { cause: error },
  );
}

/** True for the watch cancellation etcd sends when the requested start revision was compacted away. */
export function isCompacted(error: unknown): boolean {
  return /compacted/i.test(error instanceof Error ? error.message : String(error));
}
