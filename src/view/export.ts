/**
 * Statechart export: Stately-compatible JSON (the machine definition), Mermaid `stateDiagram-v2`, Graphviz DOT, and
 * SVG rendered offline from the DOT by @viz-js/viz (Graphviz compiled to WebAssembly: no network, no binary).
 *
 * Every format is derived from the machine itself (`machine.toJSON()` and `toDirectedGraph` from `xstate/graph`),
 * never from a hand-kept list, so a new state or transition shows up everywhere without an edit here.
 *
 * Invariants the viewer relies on:
 * - in DOT/SVG, each state node carries `id="state:<state node id>"` (e.g. `state:log-server.ReadWrite`), and each
 *   compound or parallel state is a cluster with the same kind of id, so a page can highlight a state by id;
 * - guards appear on edge labels by name (`EVENT [guardName]`), as in Stately's editor.
 */
import { instance as vizInstance, type Viz } from '@viz-js/viz';
import type { AnyStateMachine } from 'xstate';
import { toDirectedGraph, type DirectedGraphNode } from 'xstate/graph';
import { ClusterchartError } from '../index.js';

export const EXPORT_FORMATS = ['json', 'mermaid', 'dot', 'svg'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

type StateNodeLike = DirectedGraphNode['stateNode'];
type Edge = DirectedGraphNode['edges'][number];

/** A transition as the exporters draw it: one arrow per target, guards by name. */
export type ChartEdge = Readonly<{ source: string; target: string; event: string; guard: string | null }>;

/** The DOM id a state node gets in DOT and SVG output. */
export const stateElementId = (stateNodeId: string): string => `state:${stateNodeId}`;

/**
 * The machine definition as Stately's tools read it (`machine.toJSON()`), made plain JSON (no undefined, no functions).
 *
 * @example
 * const json = machineToJson(logServerMachine); // { id: 'log-server', states: { ReadWrite: {...} }, ... }
 */
export function machineToJson(machine: AnyStateMachine): Record<string, unknown> {
  return JSON.parse(JSON.stringify(machine.toJSON())) as Record<string, unknown>;
}

type JsonDefinition = Readonly<{
  id?: string;
  key?: string;
  type?: string;
  initial?: Readonly<{ target?: readonly string[] }> | null;
  states?: Readonly<Record<string, JsonDefinition>>;
  on?: Readonly<Record<string, readonly JsonTransition[]>>;
  always?: readonly JsonTransition[];
  entry?: readonly unknown[];
  exit?: readonly unknown[];
  description?: string;
  meta?: unknown;
  tags?: readonly string[];
  history?: string | false;
  output?: unknown;
}>;
type JsonTransition = Readonly<{ target?: readonly string[]; guard?: unknown; actions?: readonly unknown[]; reenter?: boolean; description?: string }>;

/**
 * Turns a definition produced by {@link machineToJson} back into a machine config, the inverse used to prove the JSON
 * export loses nothing: `createMachine(machineConfigFromJson(json)).provide({ guards, actions })` behaves like the
 * original. Named guards and actions are kept by name; implementations must be provided by the caller.
 *
 * @example
 * const again = setup({ guards, actions }).createMachine(machineConfigFromJson(json));
 */
export function machineConfigFromJson(json: Readonly<Record<string, unknown>>): Record<string, unknown> {
  return stateConfigFromJson(json);
}

function stateConfigFromJson(def: JsonDefinition): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  // Child ids are kept as well: targets in a definition are absolute (`#machine.State`).
  if (def.id !== undefined) config.id = def.id;
  if (def.type === 'parallel' || def.type === 'final' || def.type === 'history') config.type = def.type;
  if (def.type === 'history' && def.history !== false) config.history = def.history;
  if (def.description !== undefined) config.description = def.description;
  if (def.meta !== undefined) config.meta = def.meta;
  if (def.tags !== undefined && def.tags.length > 0) config.tags = def.tags;
  if (def.entry !== undefined && def.entry.length > 0) config.entry = def.entry;
  if (def.exit !== undefined && def.exit.length > 0) config.exit = def.exit;
  if (def.output !== undefined) config.output = def.output;
  const states = def.states ?? {};
  const initialTarget = def.initial?.target?.[0];
  if (initialTarget !== undefined && def.type === 'compound') {
    const initialId = initialTarget.replace(/^#/, '');
    const key = Object.entries(states).find(([, child]) => child.id === initialId)?.[0];
    if (key !== undefined) config.initial = key;
  }
  if (Object.keys(states).length > 0) {
    config.states = Object.fromEntries(Object.entries(states).map(([key, child]) => [key, stateConfigFromJson(child)]));
  }
  const on: Record<string, unknown[]> = {};
  for (const [eventType, transitions] of Object.entries(def.on ?? {})) {
    // Delayed transitions come back from `after`, which a definition does not carry in a re-creatable form.
    if (eventType.startsWith('xstate.after.')) continue;
    on[eventType] = transitions.map(transitionConfigFromJson);
  }
  if (Object.keys(on).length > 0) config.on = on;
  if (def.always !== undefined && def.always.length > 0) config.always = def.always.map(transitionConfigFromJson);
  return config;
}

function transitionConfigFromJson(t: JsonTransition): Record<string, unknown> {
  const config: Record<string, unknown> = {};
  if (t.target !== undefined && t.target.length > 0) config.target = [...t.target];
  if (t.guard !== undefined) config.guard = t.guard;
  if (t.actions !== undefined && t.actions.length > 0) config.actions = t.actions;
  if (t.reenter === true) config.reenter = true;
  if (t.description !== undefined) config.description = t.description;
  return config;
}

/** The name of a guard as written in the machine: `'hasMarker'`, `{ type: 'hasMarker', params }`, or `not(...)`. */
export function guardName(guard: unknown): string | null {
  if (guard === undefined || guard === null) return null;
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'object' && 'type' in guard && typeof guard.type === 'string') return guard.type;
  if (typeof guard === 'function') return guard.name === '' ? 'guard' : guard.name;
  return 'guard';
}

function eventLabel(edge: Edge): string {
  const eventType = String(edge.transition.eventType);
  if (eventType === '') return 'always';
  const delay = /^xstate\.after\.(.+)\.[^.]*$/.exec(eventType);
  return delay?.[1] !== undefined ? `after ${delay[1]}` : eventType;
}

function chartEdge(edge: Edge): ChartEdge {
  return { source: edge.source.id, target: edge.target.id, event: eventLabel(edge), guard: guardName(edge.transition.guard) };
}

/** Every transition of the machine (one per target), in definition order, with guards by name. */
export function machineEdges(machine: AnyStateMachine): ChartEdge[] {
  const edges: ChartEdge[] = [];
  const walk = (node: DirectedGraphNode): void => {
    for (const edge of node.edges) edges.push(chartEdge(edge));
    for (const child of node.children) walk(child);
  };
  walk(toDirectedGraph(machine));
  return edges;
}

/** Every state node below the root, depth first, in definition order. */
export function machineStateNodes(machine: AnyStateMachine): StateNodeLike[] {
  const nodes: StateNodeLike[] = [];
  const walk = (node: StateNodeLike): void => {
    for (const child of Object.values(node.states)) {
      nodes.push(child);
      walk(child);
    }
  };
  walk(machine.root);
  return nodes;
}

const edgeText = (edge: ChartEdge): string => (edge.guard === null ? edge.event : `${edge.event} [${edge.guard}]`);

const initialChildren = (node: StateNodeLike): StateNodeLike[] =>
  node.type === 'compound' ? (node.initial.target as StateNodeLike[]) : [];

// ---- Mermaid -------------------------------------------------------------------------------------------------------

/**
 * Mermaid `stateDiagram-v2`: compound states nest, parallel regions are separated by `--`, final states lead to `[*]`.
 * Mermaid ids must be plain words, so each state gets a generated id and its key as a label.
 *
 * @example
 * console.log(toMermaid(logServerMachine)); // stateDiagram-v2 ... Provisioning --> ReadWrite : ProvisionLogServer [markerMatches]
 */
export function toMermaid(machine: AnyStateMachine): string {
  const ids = new Map<string, string>();
  const idOf = (stateNodeId: string): string => {
    let id = ids.get(stateNodeId);
    if (id === undefined) {
      id = `s${ids.size}_${stateNodeId.split('.').pop()?.replace(/\W/g, '_') ?? ''}`;
      ids.set(stateNodeId, id);
    }
    return id;
  };
  const lines = ['stateDiagram-v2', '  direction LR'];
  const block = (parent: StateNodeLike, indent: string): void => {
    const children = Object.values(parent.states);
    for (const [index, child] of children.entries()) {
      if (parent.type === 'parallel' && index > 0) lines.push(`${indent}--`);
      lines.push(`${indent}state ${JSON.stringify(child.key)} as ${idOf(child.id)}`);
      if (Object.keys(child.states).length > 0) {
        lines.push(`${indent}state ${idOf(child.id)} {`);
        block(child, `${indent}  `);
        lines.push(`${indent}}`);
      }
      if (child.type === 'final') lines.push(`${indent}${idOf(child.id)} --> [*]`);
    }
    for (const initial of initialChildren(parent)) lines.push(`${indent}[*] --> ${idOf(initial.id)}`);
  };
  block(machine.root, '  ');
  for (const edge of machineEdges(machine)) {
    if (edge.source === machine.root.id) continue;
    lines.push(`  ${idOf(edge.source)} --> ${idOf(edge.target)} : ${edgeText(edge).replace(/[:;#\n]/g, ' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

// ---- DOT -----------------------------------------------------------------------------------------------------------

const q = (text: string): string => `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;

/** The atomic state an arrow to (or from) a compound state attaches to; the arrow is clipped at the cluster border. */
function anchorOf(node: StateNodeLike): StateNodeLike {
  let current = node;
  for (;;) {
    const children = Object.values(current.states);
    const next = initialChildren(current)[0] ?? children[0];
    if (next === undefined) return current;
    current = next;
  }
}

/**
 * Graphviz DOT, laid out left to right (top to bottom above five states): states are rounded boxes (final states double-bordered), compound and parallel
 * states are clusters (parallel ones dashed), the initial state has an entry dot, transitions are labelled arrows
 * (one arrow per pair of states, one label line per transition).
 *
 * @example
 * const dot = toDot(workerMachine); // digraph "worker" { ... "worker.Active" -> "worker.Draining" [label="Drain"] }
 */
export function toDot(machine: AnyStateMachine, options: Readonly<{ rankdir?: 'LR' | 'TB' }> = {}): string {
  // Left to right reads best for a few states; a bigger chart (log-server has six, densely connected) is narrower
  // and easier to follow top to bottom.
  const rankdir = options.rankdir ?? (Object.keys(machine.root.states).length > 5 ? 'TB' : 'LR');
  const lines = [
    `digraph ${q(machine.id)} {`,
    `  graph [rankdir=${rankdir}, compound=true, fontname="Helvetica", fontsize=12, nodesep=0.4, ranksep=0.6, pad=0.2];`,
    '  node [shape=box, style="rounded,filled", fillcolor="#ffffff", color="#44546a", fontname="Helvetica", fontsize=12, margin="0.18,0.08"];',
    '  edge [color="#44546a", fontname="Helvetica", fontsize=10, arrowsize=0.7];',
  ];
  let entries = 0;
  const entryDot = (target: StateNodeLike, indent: string): void => {
    const id = `__initial_${entries++}`;
    lines.push(`${indent}${q(id)} [shape=point, width=0.12, label="", fillcolor="#44546a"];`);
    const clip = Object.keys(target.states).length > 0 ? `, lhead=${q(`cluster_${target.id}`)}` : '';
    lines.push(`${indent}${q(id)} -> ${q(anchorOf(target).id)} [arrowsize=0.6${clip}];`);
  };
  const block = (parent: StateNodeLike, indent: string): void => {
    for (const child of Object.values(parent.states)) {
      if (Object.keys(child.states).length > 0) {
        const style = child.type === 'parallel' ? 'rounded,dashed' : 'rounded';
        const kind = child.type === 'parallel' ? ' (parallel)' : '';
        lines.push(`${indent}subgraph ${q(`cluster_${child.id}`)} {`);
        lines.push(`${indent}  id=${q(stateElementId(child.id))}; label=${q(child.key + kind)}; style=${q(style)}; color="#44546a"; class="state";`);
        block(child, `${indent}  `);
        lines.push(`${indent}}`);
      } else {
        const final = child.type === 'final' ? ', peripheries=2' : '';
        lines.push(`${indent}${q(child.id)} [id=${q(stateElementId(child.id))}, class="state", label=${q(child.key)}${final}];`);
      }
    }
    for (const initial of initialChildren(parent)) entryDot(initial, indent);
  };
  block(machine.root, '  ');
  // Transitions between the same two states share one arrow with one label line each: the log-server chart has
  // several (a guarded move and its forced twin), and separate arrows would overlap.
  const arrows = new Map<string, ChartEdge[]>();
  for (const edge of machineEdges(machine)) {
    if (edge.source === machine.root.id) continue;
    const key = `${edge.source}\u0000${edge.target}`;
    arrows.set(key, [...(arrows.get(key) ?? []), edge]);
  }
  for (const [index, group] of [...arrows.values()].entries()) {
    const { source: sourceId, target: targetId } = group[0]!;
    const source = machine.getStateNodeById(sourceId);
    const target = machine.getStateNodeById(targetId);
    const label = [...new Set(group.map(edgeText))].join('\n');
    const attributes = [`label=${q(label)}`, `id=${q(`edge:${machine.id}:${index}`)}`];
    if (Object.keys(source.states).length > 0) attributes.push(`ltail=${q(`cluster_${source.id}`)}`);
    if (Object.keys(target.states).length > 0 && target !== source) attributes.push(`lhead=${q(`cluster_${target.id}`)}`);
    lines.push(`  ${q(anchorOf(source).id)} -> ${q(anchorOf(target).id)} [${attributes.join(', ')}];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}

// ---- SVG -----------------------------------------------------------------------------------------------------------

let viz: Promise<Viz> | undefined;

/**
 * Renders DOT to a standalone SVG document offline (Graphviz in WebAssembly, loaded once per process).
 * Throws `InvalidInput` with Graphviz's message when the DOT does not parse.
 *
 * @example
 * const svg = await renderSvg(toDot(machine)); // '<svg ...>...</svg>'
 */
export async function renderSvg(dot: string): Promise<string> {
  viz ??= vizInstance();
  const result = (await viz).render(dot, { format: 'svg' });
  if (result.status !== 'success') {
    const messages = result.errors.map((e) => e.message).join('; ');
    throw new ClusterchartError('InvalidInput', `Graphviz could not render the chart: ${messages}`);
  }
  return result.output;
}

/**
 * One machine in one format.
 *
 * @example
 * const mermaid = await exportMachine(workerMachine, 'mermaid');
 */
export async function exportMachine(machine: AnyStateMachine, format: ExportFormat): Promise<string> {
  switch (format) {
    case 'json':
      return `${JSON.stringify(machineToJson(machine), null, 2)}\n`;
    case 'mermaid':
      return toMermaid(machine);
    case 'dot':
      return toDot(machine);
    case 'svg':
      return renderSvg(toDot(machine));
  }
}
