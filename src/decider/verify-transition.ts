/**
 * The audit path: re-run a recorded transition through its statechart and check that it yields the recorded
 * to-state (`evolve` never runs machines; this is the separate, slower check). Also checks that the recorded input
 * agrees with the event's own fields (node, generation, marker) and that the `forced` mark is honest, so an edited
 * event cannot pass by changing only one of them.
 */
import { type TransitionRunner, createTransitionRunner } from '../../machines/index.js';
import { type DomainEvent, type Transition, transitionOf } from '../domain/events.js';

let sharedRunner: TransitionRunner | undefined;

/**
 * Checks one event. Returns null when the event records no transition or its transition is what the machine does;
 * otherwise a sentence describing the problem. Pass a runner from `createTransitionRunner()` to verify many events.
 *
 * @example
 * const runner = createTransitionRunner();
 * for (const r of recorded) { const problem = verifyTransition(r, runner); if (problem) console.log(r.position, problem); }
 */
export function verifyTransition(event: DomainEvent, runner?: TransitionRunner): string | null {
  const t = transitionOf(event);
  if (t === null) return null;
  const run = runner ?? (sharedRunner ??= createTransitionRunner());
  const to = run.run(t.machine, t.from, t.input);
  const what = `${t.machine}${t.node === null ? '' : ` for N${t.node}`}`;
  if (to === null) return `${what}: the machine does not accept ${t.input.type} in ${t.from} (recorded -> ${t.to})`;
  if (to !== t.to) return `${what}: ${t.input.type} from ${t.from} yields ${to}, but the event records ${t.to}`;
  return inconsistency(event, t, run) ?? null;
}

function inconsistency(event: DomainEvent, t: Transition, run: TransitionRunner): string | undefined {
  const data = event.data as Readonly<Record<string, unknown>>;
  const input = t.input;
  if (typeof data.nodeId === 'number' && t.node !== data.nodeId) {
    return `${event.type} is about N${data.nodeId} but its transition names N${String(t.node)}`;
  }
  if (typeof input.nodeId === 'number' && input.nodeId !== data.nodeId) {
    return `${event.type}: the machine input names N${input.nodeId} but the event registers N${String(data.nodeId)}`;
  }
  if (typeof input.generation === 'number' && input.generation !== data.generation) {
    return `${event.type}: the machine input has generation ${input.generation} but the event records ${String(data.generation)}`;
  }
  if (event.type === 'StorageStateChanged' && input.type === 'provision') {
    const marker = input.marker as Readonly<{ markerId?: unknown }> | undefined;
    if (marker?.markerId !== event.data.marker?.markerId) return 'StorageStateChanged: the recorded marker is not the one the machine saw';
  }
  if (input.type === 'set-state') {
    const safeWithoutForce = run.run(t.machine, t.from, { ...input, force: false }) !== null;
    if (t.forced === true && safeWithoutForce) return `${t.machine}: ${t.from} -> ${t.to} is marked forced but is safe without force`;
    if (t.forced !== true && !safeWithoutForce) return `${t.machine}: ${t.from} -> ${t.to} needed force but is not marked forced`;
  }
  return undefined;
}
