/**
 * The audit trail as a library function: who did what, when, why, from -> to.
 *
 * The trail is a fold of the cluster stream alone (observations are liveness facts, not decisions), so this reads
 * only that stream, and builds each entry with the AuditTrail projection's own `auditEntryOf` / `auditEntries`. On a
 * store full of heartbeats that skips almost everything. Nothing is written.
 */
import { type AuditEntry, type AuditFilter, auditEntries, auditEntryOf } from '../../../projections/audit-trail.js';
import { clusterStreamId } from '../../domain/events.js';
import type { EventStore } from '../../store/event-store.js';
import { decodeRecordedEvent } from '../projection-decode.js';

export type AuditOptions = Readonly<{
  /** Called after each event read, with the events read and how many the cluster stream held when the read began. */
  onProgress?: (done: number, total: number) => void;
}>;

/**
 * The audit entries of a cluster that match `filter`, in position order (plain JSON data).
 *
 * @example
 * for (const entry of await audit(store, 'prod', { node: 'N3' })) console.log(entry.at, entry.machine, entry.from, entry.to);
 */
export async function audit(store: EventStore, cluster: string, filter: AuditFilter = {}, options: AuditOptions = {}): Promise<AuditEntry[]> {
  const stream = clusterStreamId(cluster);
  const total = options.onProgress === undefined ? 0 : (await store.streamRevision(stream)) + 1;
  const entries: AuditEntry[] = [];
  for await (const raw of store.readStream(stream)) {
    // Positions grow with revisions: nothing after the upper bound can match.
    if (filter.toPosition !== undefined && raw.position > filter.toPosition) break;
    entries.push(auditEntryOf(decodeRecordedEvent(raw)));
    options.onProgress?.(entries.length, total);
  }
  return [...auditEntries({ position: 0, entries }, filter)];
}
