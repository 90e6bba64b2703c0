/** The store layer: the EventStore contract, its adapters and the URL opener. */
export type {
  AppendResult,
  EventData,
  EventStore,
  ExpectedRevision,
  JsonObject,
  JsonValue,
  ReadAllOptions,
  ReadStreamOptions,
  RecordedEvent,
  SubscribeOptions,
  Subscription,
  SubscriptionHandler,
} from './event-store.js';
export { createMemoryStore } from './memory.js';
export { openStore, parseStoreUrl, redactUrl, type StoreLocation } from './open-store.js';
export { openSqliteStore, SQLITE_SCHEMA_VERSION, type SqliteEventStore, type SqliteStoreOptions } from './sqlite.js';
// The EventStoreDB adapter loads the gRPC client (slow to import): reach it through openStore or import './esdb.js'.
export type { EsdbClient, EsdbStoreOptions } from './esdb.js';
