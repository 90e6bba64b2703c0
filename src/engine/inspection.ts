/**
 * Live inspection in the format of XState's inspection API, so `@statelyai/inspect` (createInspector,
 * createWebSocketInspector) shows the cluster's statecharts moving.
 *
 * Each (machine, node) pair is one actor named by `inspectionSessionId`, e.g. `prod:log-server:N3`
 * (`prod:cluster-provisioning` for the cluster-wide machine). Its actor ref carries the machine (`logic`), so the
 * inspector receives the statechart definition with the first `@xstate.actor` event. After every DURABLE append
 * (never for a decision that might still be refused or lost) each recorded transition yields `@xstate.event` (the
 * machine input) and `@xstate.snapshot` (the recorded to-state). Nothing here runs a machine: the states come from the events.
 */
import type { ActorRefLike, AnyEventObject, AnyStateMachine, InspectionEvent, Observer, Snapshot } from 'xstate';
import { MACHINES } from '../../machines/index.js';
import type { ClusterState } from '../domain/cluster-state.js';
import type { DomainEvent, MachineName } from '../domain/events.js';
import { transitionOf } from '../domain/events.js';
import { printPlainNodeId } from '../domain/ids.js';
import { machineStatesOf, provisioningStateOf } from '../decider/machine-states.js';

/**
 * Where inspection events go: a function, an observer (`{ next }`), or an `@statelyai/inspect` inspector
 * (anything with `inspect: { next }`).
 */
export type InspectTarget =
  | ((event: InspectionEvent) => void)
  | Pick<Observer<InspectionEvent>, 'next'>
  | Readonly<{ inspect: Pick<Observer<InspectionEvent>, 'next'> }>;

export type { InspectionEvent };

/** The snapshot an inspector sees: a plain state value and a little context naming the node. */
type InspectedSnapshot = Snapshot<unknown> & Readonly<{ value: string; context: Readonly<Record<string, unknown>> }>;

/** An actor ref that is only a name, a machine and the last recorded state (no actor runs). */
type InspectedActorRef = ActorRefLike & Readonly<{ id: string; logic: AnyStateMachine; _parent: undefined }>;

/**
 * The session id of the inspected actor that stands for one machine of one node, or of the cluster (`node` null):
 * `[CLUSTER:]MACHINE[:N3]`, e.g. `prod:log-server:N3`, `prod:cluster-provisioning`, or `log-server:N3` where no
 * cluster is named (the viewer's relay, which shows one cluster). Every inspection adapter names actors with it.
 *
 * @example
 * inspectionSessionId('log-server', 3, 'prod'); // 'prod:log-server:N3'
 */
export function inspectionSessionId(machine: string, node: number | null, cluster?: string): string {
  const subject = node === null ? '' : `:${printPlainNodeId(node)}`;
  return `${cluster === undefined ? '' : `${cluster}:`}${machine}${subject}`;
}

function toSink(target: InspectTarget): (event: InspectionEvent) => void {
  if (typeof target === 'function') return target;
  if ('inspect' in target) return (event) => target.inspect.next?.(event);
  return (event) => target.next?.(event);
}

/**
 * Turns durable events into inspection events (the engine creates one when given `inspect`).
 *
 * @example
 * import { createWebSocketInspector } from '@statelyai/inspect';
 * const inspector = createWebSocketInspector({ url: 'ws://127.0.0.1:8080' });
 * const engine = await createEngine({ store: 'sqlite:./cluster.db', cluster: 'prod', inspect: inspector });
 */
export class Inspection {
  readonly #sink: (event: InspectionEvent) => void;
  readonly #cluster: string;
  readonly #actors = new Map<string, { ref: InspectedActorRef; snapshot: InspectedSnapshot }>();

  constructor(cluster: string, target: InspectTarget) {
    this.#cluster = cluster;
    this.#sink = toSink(target);
  }

  /** Announces every machine of the current state (an inspector attached to a running cluster sees it at once). */
  announce(state: ClusterState): void {
    this.#ensure('cluster-provisioning', null, provisioningStateOf(state));
    for (const node of Object.values(state.nodes)) {
      if (node.removed) continue;
      for (const [machine, value] of Object.entries(machineStatesOf(node))) this.#ensure(machine as MachineName, node.id, value);
    }
  }

  /** Emits the transitions recorded by durable events, in order. */
  record(events: readonly DomainEvent[]): void {
    for (const event of events) {
      const transition = transitionOf(event);
      if (transition === null) continue;
      const actor = this.#ensure(transition.machine, transition.node, transition.from);
      const input = transition.input as AnyEventObject;
      const rootId = actor.ref.sessionId;
      this.#sink({ type: '@xstate.event', rootId, actorRef: actor.ref, sourceRef: undefined, event: input });
      actor.snapshot = this.#snapshot(transition.machine, transition.node, transition.to, event.type);
      this.#sink({ type: '@xstate.snapshot', rootId, actorRef: actor.ref, event: input, snapshot: actor.snapshot });
    }
  }

  #snapshot(machine: MachineName, node: number | null, value: string, lastEvent: string | null): InspectedSnapshot {
    return {
      status: 'active',
      output: undefined,
      error: undefined,
      value,
      context: { cluster: this.#cluster, node: node === null ? null : `N${node}`, machine, lastEvent },
    };
  }

  #ensure(machine: MachineName, node: number | null, state: string): { ref: InspectedActorRef; snapshot: InspectedSnapshot } {
    const sessionId = inspectionSessionId(machine, node, this.#cluster);
    let actor = this.#actors.get(sessionId);
    if (actor === undefined) {
      const created: { ref: InspectedActorRef; snapshot: InspectedSnapshot } = {
        ref: undefined as unknown as InspectedActorRef,
        snapshot: this.#snapshot(machine, node, state, null),
      };
      created.ref = {
        id: sessionId,
        sessionId,
        logic: MACHINES[machine].machine,
        _parent: undefined,
        send: () => undefined,
        getSnapshot: () => created.snapshot,
      };
      actor = created;
      this.#actors.set(sessionId, actor);
      this.#sink({ type: '@xstate.actor', rootId: sessionId, actorRef: actor.ref });
    }
    return actor;
  }
}
