import { randomUUID } from 'node:crypto';
import type { StoredDomainEvent } from '../../src/domain/index.js';
import type { EventStore, JsonValue } from '../../src/store/event-store.js';

/** Appends events one append per event, in order, so a fresh store gives them the positions the History assigned. */
export async function appendAll(store: EventStore, events: readonly StoredDomainEvent[]): Promise<number> {
  let position = 0;
  for (const e of events) {
    const result = await store.appendToStream(e.streamId, [
      { id: randomUUID(), type: e.type, data: e.data as unknown as JsonValue, metadata: e.metadata },
    ]);
    position = result.position;
  }
  return position;
}
