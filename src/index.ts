/**
 * clusterchart's public API: an explicit list of named exports.
 */
export * from './domain/index.js';
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
} from './store/event-store.js';
