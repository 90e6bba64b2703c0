/**
 * The catch-up-then-live subscription loop shared by the memory and sqlite adapters: read the page after the
 * checkpoint, hand its events to the handler one at a time, and when nothing is left wait for a change
 * notification (or the poll interval, which covers writers in other processes).
 *
 * Invariant: the loop only advances its checkpoint after the handler's promise for that event settled, and reads
 * strictly after the checkpoint, so delivery has no gap and no duplicate. Positions become visible in order
 * (appends are serialised per store), which is what makes "after the checkpoint" complete.
 */
import { ClusterchartError } from '../domain/errors.js';
import { validateCheckpoint } from './common.js';
import type { RecordedEvent, SubscribeOptions, Subscription, SubscriptionHandler } from './event-store.js';

/** Wakes waiting subscriptions after a commit. `version` moves on every notify so a waiter never misses one. */
export class ChangeNotifier {
  #version = 0;
  #waiters = new Set<() => void>();

  get version(): number {
    return this.#version;
  }

  notify(): void {
    this.#version++;
    const waiters = this.#waiters;
    this.#waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** Resolves on the first notify after `sinceVersion` (at once if one happened), after `timeoutMs`, or on `wake()`. */
  waitSince(sinceVersion: number, timeoutMs: number | undefined): { promise: Promise<void>; wake: () => void } {
    if (this.#version !== sinceVersion) return { promise: Promise.resolve(), wake: () => undefined };
    let wake!: () => void;
    const promise = new Promise<void>((resolve) => {
      const timer = timeoutMs === undefined ? undefined : setTimeout(finish, timeoutMs);
      const waiters = this.#waiters;
      function finish(): void {
        if (timer !== undefined) clearTimeout(timer);
        waiters.delete(finish);
        resolve();
      }
      wake = finish;
      waiters.add(finish);
    });
    return { promise, wake: () => wake() };
  }
}

export type SubscriptionSource = Readonly<{
  /** Events with position > `afterPosition`, in order, at most `limit`. May throw (the store is closed or broken). */
  readPage: (afterPosition: number, limit: number) => readonly RecordedEvent[] | Promise<readonly RecordedEvent[]>;
  notifier: ChangeNotifier;
  /** Re-read at least this often while idle even without a notification (other processes' writes); none: only on notify. */
  pollIntervalMs?: number;
  pageSize?: number;
}>;

/** A running subscription, with `fail` for the store to end it (on close). */
export interface ManagedSubscription extends Subscription {
  fail(error: Error): void;
}

export function startSubscription(source: SubscriptionSource, checkpoint: number, handler: SubscriptionHandler, onEnd: () => void): ManagedSubscription {
  const pageSize = source.pageSize ?? 512;
  let stopped = false;
  let failure: Error | undefined;
  let wakeWaiter: (() => void) | undefined;

  const end = (error?: Error): void => {
    if (stopped) return;
    stopped = true;
    failure = error;
    wakeWaiter?.();
  };

  async function run(): Promise<void> {
    let last = checkpoint;
    try {
      while (!stopped) {
        const version = source.notifier.version;
        const page = await source.readPage(last, pageSize);
        if (page.length === 0) {
          if (stopped) break;
          const waiting = source.notifier.waitSince(version, source.pollIntervalMs);
          wakeWaiter = waiting.wake;
          await waiting.promise;
          wakeWaiter = undefined;
          continue;
        }
        for (const event of page) {
          if (stopped) break;
          try {
            await handler(event);
          } catch (error) {
            // A handler failure ends the subscription even when a stop was requested meanwhile.
            failure ??= toError(error);
            stopped = true;
            break;
          }
          last = event.position;
        }
      }
    } catch (error) {
      // A read failure after a clean stop is the store closing under a finished subscription: not an error.
      if (!stopped) {
        stopped = true;
        failure = toError(error);
      }
    }
    onEnd();
    if (failure !== undefined) throw failure;
  }

  // Started on a later tick so `onEnd` never runs before the caller holds the subscription.
  const done = Promise.resolve().then(run);
  // `done` rejects when the handler throws or the store closes; marking it handled here keeps an unobserved
  // subscription from crashing the process with an unhandled rejection. Callers that await it still see the error.
  done.catch(() => undefined);

  return {
    done,
    stop: async () => {
      end();
      await done.catch(() => undefined);
    },
    fail: (error: Error) => end(error),
  };
}

function toError(error: unknown): Error {
  return error instanceof Error ? error : new Error(String(error));
}

/** The subscriptions of one store object: fed from its pages, woken by its commits, ended by its close. */
export class LocalSubscriptions {
  readonly #notifier = new ChangeNotifier();
  readonly #running = new Set<ManagedSubscription>();
  readonly #source: SubscriptionSource;

  constructor(readPage: SubscriptionSource['readPage'], pollIntervalMs?: number) {
    this.#source = { readPage, notifier: this.#notifier, ...(pollIntervalMs === undefined ? {} : { pollIntervalMs }) };
  }

  /** Called after every commit that wrote events. */
  notify(): void {
    this.#notifier.notify();
  }

  subscribe(options: SubscribeOptions, handler: SubscriptionHandler): Subscription {
    const checkpoint = validateCheckpoint(options.fromPosition);
    if (typeof handler !== 'function') throw new ClusterchartError('InvalidInput', 'subscribeToAll needs a handler function.', {});
    const subscription = startSubscription(this.#source, checkpoint, handler, () => this.#running.delete(subscription));
    this.#running.add(subscription);
    return subscription;
  }

  /** Ends every running subscription; their `done` rejects with `error`. */
  closeAll(error: Error): void {
    for (const s of this.#running) s.fail(error);
    this.#notifier.notify();
  }
}
