/**
 * `subscribeToAll` on etcd: catch up with range reads paged by create revision, then follow a watch on the event
 * keys from the revision the last read was served at.
 *
 * Invariants:
 * - `last` is the position of the last event whose handler settled; only events with a greater position are
 *   handed over, so a replayed or overlapping delivery is never a duplicate;
 * - the watch starts at `revision + 1` of a read that returned everything up to `revision` (etcd reads are
 *   linearizable and revisions are assigned in commit order), so nothing falls between the read and the watch;
 * - any watch trouble (disconnected from a member that died or stopped, cancelled, its start revision compacted)
 *   ends that watch: after the events it already delivered, the loop goes back to a range read after `last` and
 *   starts a new watch. The client's own resume is not trusted, because it restarts after the response header's
 *   revision, which can be past events a lagging watch had not sent yet;
 * - while the cluster is unavailable the loop retries with backoff; only a closed store, a corrupt event or the
 *   handler's own error end the subscription.
 */
import type { IKeyValue, IWatchResponse, Watcher } from 'etcd3';
import { ClusterchartError, isClusterchartError } from '../../domain/errors.js';
import { validateCheckpoint } from '../common.js';
import type { RecordedEvent, SubscribeOptions, Subscription, SubscriptionHandler } from '../event-store.js';
import type { AllPage } from './store.js';

export type EtcdSubscriptionSource = Readonly<{
  readPage: (afterPosition: number, limit: number) => Promise<AllPage>;
  /** A watch on every event key from `fromRevision` (inclusive). */
  watch: (fromRevision: number) => Watcher;
  decode: (kv: IKeyValue) => RecordedEvent;
  translate: (error: unknown) => ClusterchartError;
  pageSize: number;
}>;

const BACKOFF_MIN_MS = 50;
const BACKOFF_MAX_MS = 2000;
const CANCEL_TIMEOUT_MS = 1000;

export class EtcdSubscription implements Subscription {
  readonly done: Promise<void>;
  readonly #source: EtcdSubscriptionSource;
  readonly #handler: SubscriptionHandler;
  #stopped = false;
  #failure: Error | undefined;
  #wake: (() => void) | undefined;

  constructor(source: EtcdSubscriptionSource, options: SubscribeOptions, handler: SubscriptionHandler, onEnd: () => void) {
    const checkpoint = validateCheckpoint(options.fromPosition);
    if (typeof handler !== 'function') throw new ClusterchartError('InvalidInput', 'subscribeToAll needs a handler function.', {});
    this.#source = source;
    this.#handler = handler;
    // Started on a later tick so `onEnd` never runs before the caller holds the subscription.
    this.done = Promise.resolve().then(async () => {
      try {
        await this.#run(checkpoint);
      } finally {
        onEnd();
      }
      if (this.#failure !== undefined) throw this.#failure;
    });
    // An unobserved failing subscription must not crash the process; callers that await `done` still see it.
    this.done.catch(() => undefined);
  }

  async stop(): Promise<void> {
    this.#end(undefined);
    await this.done.catch(() => undefined);
  }

  /** Ends the subscription with `error` (the store closed); resolves once it has ended. */
  async fail(error: Error): Promise<void> {
    this.#end(error);
    await this.done.catch(() => undefined);
  }

  #end(error: Error | undefined): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#failure = error;
    this.#wake?.();
  }

  /** Hands one event to the handler; a throwing handler ends the subscription with its error. */
  async #deliver(event: RecordedEvent): Promise<boolean> {
    try {
      await this.#handler(event);
      return true;
    } catch (error) {
      this.#failure ??= error instanceof Error ? error : new Error(String(error));
      this.#stopped = true;
      return false;
    }
  }

  async #run(checkpoint: number): Promise<void> {
    let last = checkpoint;
    /** Where the next range read starts: past `last` when a page ended with transactions it had already delivered. */
    let cursor = checkpoint;
    let backoff = BACKOFF_MIN_MS;
    while (!this.#stopped) {
      let page: AllPage;
      try {
        page = await this.#source.readPage(cursor, this.#source.pageSize);
      } catch (error) {
        if (this.#stopped) return;
        const translated = this.#source.translate(error);
        if (translated.code !== 'StoreUnavailable') return this.#end(translated);
        await this.#sleep(backoff);
        backoff = Math.min(BACKOFF_MAX_MS, backoff * 2);
        continue;
      }
      backoff = BACKOFF_MIN_MS;
      for (const event of page.events) {
        if (this.#stopped || event.position <= last) continue;
        if (!(await this.#deliver(event))) return;
        last = event.position;
      }
      if (this.#stopped) return;
      cursor = Math.max(last, page.after);
      if (page.more) continue;
      last = await this.#follow(page.revision + 1, last);
      cursor = last;
    }
  }

  /** Delivers watched events until the watch breaks or the subscription ends; returns the new `last`. */
  async #follow(fromRevision: number, checkpoint: number): Promise<number> {
    let last = checkpoint;
    const queue: RecordedEvent[] = [];
    let broken = false;
    let corrupt: Error | undefined;
    const watcher = this.#source.watch(fromRevision);
    const wake = (): void => this.#wake?.();
    watcher.on('data', (response: IWatchResponse) => {
      if (broken) return;
      try {
        const events = response.events.filter((e) => e.type === 'Put').map((e) => this.#source.decode(e.kv));
        events.sort((a, b) => a.position - b.position);
        queue.push(...events);
      } catch (error) {
        corrupt = error instanceof Error ? error : new Error(String(error));
        broken = true;
      }
      wake();
    });
    const breakWatch = (): void => {
      broken = true;
      wake();
    };
    watcher.on('error', breakWatch);
    watcher.on('disconnected', breakWatch);
    try {
      while (!this.#stopped) {
        const event = queue.shift();
        if (event !== undefined) {
          if (event.position <= last) continue;
          if (!(await this.#deliver(event))) break;
          last = event.position;
          continue;
        }
        if (corrupt !== undefined) {
          this.#end(isClusterchartError(corrupt) ? corrupt : this.#source.translate(corrupt));
          break;
        }
        if (broken) break;
        await new Promise<void>((resolve) => (this.#wake = resolve));
        this.#wake = undefined;
      }
    } finally {
      watcher.removeAllListeners('data');
      // The watcher keeps trying to reconnect until cancelled; a cancel that cannot reach a member must not hang.
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([watcher.cancel().catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, CANCEL_TIMEOUT_MS)))]);
      clearTimeout(timer);
    }
    return last;
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}
