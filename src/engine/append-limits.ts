/**
 * Fitting appends to the store's limits (`EventStore.limits`: events and bytes per append). Planning admits a
 * batch's commands in order while their events fit in one append; the first command that does not fit, and every
 * command after it, wait for the next append (decided again against the state it leaves). A command whose own
 * events exceed a limit can never be appended: it fails alone with `AppendTooLarge` and writes nothing.
 * A store without limits admits everything.
 */
import type { Command } from '../domain/commands.js';
import { ClusterchartError } from '../domain/errors.js';
import { appendSize, type EventData, type StoreLimits } from '../store/event-store.js';

/** What the budget says about the next command's events. */
export type Admission = Readonly<{ kind: 'fits' }> | Readonly<{ kind: 'next-append' }> | Readonly<{ kind: 'too-large'; error: ClusterchartError }>;

/** The room left in one append; `admit` takes the room of every command it lets in. */
export class AppendBudget {
  readonly #limits: StoreLimits | undefined;
  readonly #store: string;
  readonly #stream: string;
  #events = 0;
  #bytes = 0;

  constructor(limits: StoreLimits | undefined, store: string, stream: string) {
    this.#limits = limits;
    this.#store = store;
    this.#stream = stream;
  }

  /** Admits one command's events into the append, defers it to the next append, or refuses it for good. */
  admit(command: Command, events: readonly EventData[]): Admission {
    const limits = this.#limits;
    if (limits === undefined) return { kind: 'fits' };
    const bytes = appendSize(events);
    if (events.length > limits.maxEventsPerAppend) {
      return { kind: 'too-large', error: this.#tooLarge(command, 'maxEventsPerAppend', limits.maxEventsPerAppend, events.length, 'events') };
    }
    if (bytes > limits.maxBytesPerAppend) {
      return { kind: 'too-large', error: this.#tooLarge(command, 'maxBytesPerAppend', limits.maxBytesPerAppend, bytes, 'bytes') };
    }
    if (this.#events + events.length > limits.maxEventsPerAppend || this.#bytes + bytes > limits.maxBytesPerAppend) return { kind: 'next-append' };
    this.#events += events.length;
    this.#bytes += bytes;
    return { kind: 'fits' };
  }

  #tooLarge(command: Command, limit: keyof StoreLimits, max: number, actual: number, unit: string): ClusterchartError {
    return new ClusterchartError(
      'AppendTooLarge',
      `${command.type} (command ${command.commandId}) needs ${actual} ${unit} in one append, over the store's ${limit} of ${max} ` +
        `(${this.#store}). Nothing was written. Make the command smaller (for example import fewer nodes at once, or shorten ` +
        `long fields), or raise the store's limit if its server allows more (etcd: --max-txn-ops / --max-request-bytes and the ` +
        `store URL's maxTxnOps / maxRequestBytes).`,
      { type: command.type, commandId: command.commandId, stream: this.#stream, limit, max, actual },
    );
  }
}
