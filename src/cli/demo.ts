/**
 * `clusterchart demo` (= `npm start`): the whole cluster story on the embedded store, in readable output, each step
 * shown as the CLI command that does the same thing. It is also a self-check: every refusal the story expects must
 * happen with its code, and the history must verify at the end; otherwise the demo fails with exit 1.
 *
 * The demo starts from an EMPTY store. It replaces a store that holds only an earlier run of itself, and refuses any
 * other (it never mixes its story into someone's cluster); see demo-store.ts for when `--reset` deletes one. It leaves the store behind so that every other
 * command can inspect it (`nodes list`, `audit`, `observe --as-of`, `verify`).
 */
import type { Command } from 'commander';
import {
  type ClusterchartError,
  type EventStore,
  type ClusterReader,
  clusterStreamId,
  type CommandInputData,
  type CommandResult,
  type CommandType,
  createEngine,
  type Engine,
  isClusterchartError,
  type LiveNode,
  openClusterReader,
  parseGenerationalNodeId,
  printPlainNodeId,
} from '../index.js';
import type { CliContext, Run } from './context.js';
import { losingResponses } from './demo-support.js';
import { DEMO_COMMAND_PREFIX, prepareDemoStore } from './demo-store.js';
import { configText, nodesText } from './format.js';
import { columns, usageError } from './output.js';
import { auditText, healthText, observeText } from './views.js';

type Step = { chapter: string; command: string; outcome: unknown };

/** Prints the story (text mode) and records it (the --json summary). */
class Story {
  readonly steps: Step[] = [];
  #chapter = '';

  constructor(private readonly run: Run) {}

  chapter(title: string): void {
    this.#chapter = title;
    this.run.out.say(`\n== ${title} ==`);
  }

  note(text: string): void {
    this.run.out.say(text.replace(/^/gm, '   '));
  }

  step(command: string, outcome: unknown, text: string): void {
    this.steps.push({ chapter: this.#chapter, command, outcome });
    this.run.out.say(`  $ clusterchart ${command}\n${text.replace(/^/gm, '    ')}`);
  }
}

/** A story step that did not go as the story says: the demo fails (exit 1) with what happened instead. */
function unexpected(what: string): Error {
  return new Error(`demo: ${what}`);
}

async function isEmpty(reader: ClusterReader): Promise<boolean> {
  for await (const _ of reader.events({ maxCount: 1 })) return false;
  return true;
}

export function register(program: Command, cli: CliContext): void {
  program
    .command('demo')
    .description('tell a whole cluster story on the embedded store, from an empty store (see --reset)')
    .option('--reset', 'delete the store first: without asking when it holds only an earlier demo; any other store only when --store names it and you confirm')
    .option('--yes', 'confirm --reset of a store that holds more than an earlier demo (required when stdin is not a terminal)')
    .action(
      cli.action(async (run, options: { reset?: boolean; yes?: boolean }) => {
        const cluster = run.options.cluster ?? 'demo';
        if (!(await prepareDemoStore(run, { cluster, reset: options.reset === true, yes: options.yes === true }))) {
          run.failCheck();
          run.out.data({ cancelled: true }, () => 'Cancelled: the store was not deleted and the demo did not run.');
          return;
        }
        await tellStory(run, cluster);
      }),
    );
}

async function tellStory(run: Run, cluster: string): Promise<void> {
  const story = new Story(run);
  const inner = await run.store('create');
  // The story narrates the lost response itself; the engine's warning about it would only repeat it as a log line.
  const logger = run.options.logLevelChosen ? run.logger : run.logger.child({}, { level: 'error' });
  // What the story shows is read back through the library's read side, as the read commands do.
  const reader = await openClusterReader({ store: inner, cluster, logger, clock: () => run.now() });
  try {
    if (!(await isEmpty(reader))) {
      throw usageError(`The store ${run.storeUrl} already holds events: the demo needs an empty store (use --reset or another --store).`);
    }
    await tellStoryOn(run, story, inner, reader, cluster, logger);
  } finally {
    await reader.close();
  }
}

async function tellStoryOn(run: Run, story: Story, inner: EventStore, reader: ClusterReader, cluster: string, logger: Run['logger']): Promise<void> {
  const store = losingResponses(inner);
  const engine = await createEngine({ store, cluster, logger, clock: () => run.now(), actor: run.options.actor });
  let commandNumber = 0;

  /** Runs a command; `commandId` defaults to a readable, unique one so the audit trail reads well. */
  const exec = <T extends CommandType>(type: T, data: CommandInputData[T], commandId?: string, on: Engine = engine): Promise<CommandResult<T>> =>
    on.execute({ type, data, commandId: commandId ?? `${DEMO_COMMAND_PREFIX}${String(++commandNumber).padStart(3, '0')}-${type}` });

  /** Runs a command the story expects to be refused with `code`, and checks that nothing was written. */
  const refused = async <T extends CommandType>(type: T, data: CommandInputData[T], code: string): Promise<ClusterchartError> => {
    const revisions = async () => {
      const { cluster: main, observations } = await reader.streamRevisions();
      return `${main}/${observations}`;
    };
    const before = await revisions();
    try {
      await exec(type, data);
    } catch (error) {
      if (!isClusterchartError(error)) throw error;
      if (error.code !== code) throw unexpected(`${type} was refused with ${error.code} instead of ${code}: ${error.message}`);
      const after = await revisions();
      if (after !== before) throw unexpected(`${type} was refused but the streams moved from revisions ${before} to ${after}`);
      return error;
    }
    throw unexpected(`${type} should have been refused with ${code}, but it was accepted`);
  };

  const node = (id: number): LiveNode => {
    const entry = engine.state().nodes[id];
    if (entry === undefined || entry.removed) throw unexpected(`N${id} should be a live node`);
    return entry;
  };

  try {
    run.out.say(`clusterchart demo: cluster "${cluster}" on ${run.storeUrl}`);

    // 1 ----------------------------------------------------------------------------------------------------------
    story.chapter('1. Provision the cluster with the replicated defaults');
    const provisioned = await exec('ProvisionCluster', { clusterName: cluster });
    story.step(`provision --cluster ${cluster}`, provisioned, `${configText(provisioned.config)}.`);

    // 2 ----------------------------------------------------------------------------------------------------------
    story.chapter('2. Register five nodes; node id 0 is reserved');
    const all = 'metadata-server,log-server,worker';
    const registrations: [string, string][] = [
      ['n1', all],
      ['n2', all],
      ['n3', all],
      ['n4', 'log-server,worker'],
      ['n5', 'log-server,worker'],
    ];
    for (const [name, roles] of registrations) {
      const result = await exec('RegisterNode', { name, roles: roles.split(','), address: `${name}.demo.internal:5122` });
      const registered = node(parseGenerationalNodeId(result.node).id);
      const metadataNote = registered.roles.includes('metadata-server') ? `, metadata ${registered.metadataServerState}` : '';
      story.step(`nodes register --name ${name} --roles ${roles}`, result, `registered as ${result.node}${metadataNote}`);
    }
    const reserved = await refused('RegisterNode', { name: 'n0', roles: ['worker'], forceNodeId: 0 }, 'ReservedNodeId');
    story.step('nodes register --name n0 --roles worker --force-id 0', { error: reserved.toJSON() }, `refused, nothing written: ${reserved.code}\n${reserved.message}`);
    story.note('The first metadata server seeded the metadata cluster as its only Member; n2 and n3 wait in AutoJoin.');

    // 3 ----------------------------------------------------------------------------------------------------------
    story.chapter('3. Metadata membership: an AutoJoin node is not demoted while another joins');
    const joined2 = await exec('JoinMetadataCluster', { node: 2 });
    story.step('metadata join N2', joined2, `members ${joined2.members.join(', ')} (configuration version ${joined2.version})`);
    const n3 = node(3).metadataServerState;
    if (n3 !== 'AutoJoin') throw unexpected(`N3 should still be AutoJoin after N2 joined, but it is ${n3}`);
    story.note(
      `N3 is still ${n3}. Restate once set every node outside the new configuration to Standby here, and a Standby ` +
        'node never joins: the metadata cluster stayed smaller than configured. Only previous members are demoted now.',
    );
    const joined3 = await exec('JoinMetadataCluster', { node: 3 });
    story.step('metadata join N3', joined3, `members ${joined3.members.join(', ')} (configuration version ${joined3.version})`);

    // 4 ----------------------------------------------------------------------------------------------------------
    story.chapter('4. Log servers provision themselves with a LogStoreMarker');
    const createdAt = run.at();
    const marker = (id: number, markerId = `marker-n${id}`, nodeId = id) => ({ nodeId, markerId, createdAt });
    for (const id of [1, 2, 3]) {
      const result = await exec('ProvisionLogServer', { node: id, marker: marker(id) });
      story.step(`log-server provision N${id} --marker marker-n${id}`, result, `N${id} is ${result.storageState}`);
    }

    const retryId = 'demo-provision-n4';
    const cli4 = `log-server provision N4 --marker marker-n4 --command-id ${retryId}`;
    store.loseNextResponse(clusterStreamId(cluster));
    let firstOutcome: string;
    try {
      const result = await exec('ProvisionLogServer', { node: 4, marker: marker(4) }, retryId);
      firstOutcome = `the store committed, the response was lost; the engine re-read the stream, found its command id and answered: N4 is ${result.storageState}`;
    } catch (error) {
      firstOutcome = `the store committed, then the response was lost: ${error instanceof Error ? error.message : String(error)}`;
    }
    if (store.lost !== 1) throw unexpected('the demo store should have lost exactly one response');
    story.step(cli4, { lostResponse: true }, firstOutcome);
    const eventsBefore = (await reader.streamRevisions()).cluster;
    // A restarted log-server process retries with the same command id: a fresh engine finds it in the history.
    const retryEngine = await createEngine({ store: inner, cluster, logger, clock: () => run.now(), actor: run.options.actor, snapshotEvery: false });
    let retried: CommandResult<'ProvisionLogServer'>;
    try {
      retried = await exec('ProvisionLogServer', { node: 4, marker: marker(4) }, retryId, retryEngine);
    } finally {
      await retryEngine.close();
    }
    const eventsAfter = (await reader.streamRevisions()).cluster;
    if (!retried.alreadyApplied || eventsAfter !== eventsBefore) throw unexpected('the retry of the provisioning should find its first outcome and write nothing');
    const provisionings = await countTransitions(reader, 4, 'Provisioning', 'ReadWrite');
    if (provisionings !== 1) throw unexpected(`N4 should have exactly one Provisioning -> ReadWrite transition, found ${provisionings}`);
    story.step(`${cli4}   # retried by a new process`, retried, `N4 is ${retried.storageState}, already applied: nothing written; the history holds exactly ${provisionings} Provisioning -> ReadWrite transition for N4`);
    story.note("Restate's retry found ReadWrite instead of the expected Provisioning and panicked; here the marker and the command id are in the history.");

    const foreign = await refused('ProvisionLogServer', { node: 5, marker: marker(2, 'marker-n2', 2) }, 'MarkerFromAnotherNode');
    story.step('log-server provision N5 --marker marker-n2 --marker-node N2', { error: foreign.toJSON() }, `refused, nothing written: ${foreign.code}\n${foreign.message}`);
    const own5 = await exec('ProvisionLogServer', { node: 5, marker: marker(5) });
    story.step('log-server provision N5 --marker marker-n5', own5, `N5 is ${own5.storageState}`);
    for (const id of [1, 2, 3, 4, 5]) await exec('SetWorkerState', { node: id, state: 'Active' });
    story.step('worker set-state N1 Active   # ... and N2 to N5', { workers: 'Active' }, 'the five workers are Active');

    // 5 ----------------------------------------------------------------------------------------------------------
    story.chapter('5. Heartbeats with partitions');
    const beats: [number, Record<string, 'leader' | 'follower'>][] = [
      [1, { '0': 'leader', '1': 'follower' }],
      [2, { '1': 'leader', '2': 'follower' }],
      [3, { '2': 'leader', '0': 'follower' }],
      [4, { '3': 'leader', '4': 'follower' }],
      [5, { '4': 'leader', '5': 'leader', '3': 'follower' }],
    ];
    for (const [id, partitions] of beats) {
      const generation = node(id).generation;
      const result = await exec('RecordHeartbeat', { node: `N${id}:${generation}`, at: run.at(), partitions });
      const list = Object.entries(partitions).map(([p, mode]) => `${p}=${mode}`).join(',');
      story.step(`heartbeat N${id}:${generation} --partitions ${list}`, result, `N${id} alive`);
    }
    const unreachable = await exec('RecordUnreachable', { node: 3, at: run.at() });
    story.step('unreachable N3', unreachable, 'N3 is dead: its processors leave every partition');
    const observed = await reader.observed({ at: run.now() });
    story.step('observe', observed, observeText(observed));

    // 6 ----------------------------------------------------------------------------------------------------------
    story.chapter('6. Drain and remove N5');
    const readWrite = await refused('RemoveNodes', { nodes: [5] }, 'LogServerReadWrite');
    story.step('nodes remove N5 --yes', { error: readWrite.toJSON() }, `refused, nothing written: ${readWrite.code}\n${readWrite.message}`);
    const drained = await exec('SetStorageState', { node: 5, state: 'ReadOnly' });
    story.step('log-server set-state N5 read-only', drained, `N5 storage ${drained.from} -> ${drained.to}`);
    const draining = await exec('SetWorkerState', { node: 5, state: 'Draining' });
    story.step('worker set-state N5 draining', draining, `N5 worker ${draining.from} -> ${draining.to}`);
    const removed = await exec('RemoveNodes', { nodes: [5] });
    story.step('nodes remove N5 --yes', removed, `removed ${removed.removed.join(', ')}: N5 is a tombstone, its id is retired`);
    const late = await refused('RecordHeartbeat', { node: 'N5:1', at: run.at(), partitions: { '4': 'leader' } }, 'NodeDeleted');
    story.step('heartbeat N5:1 --partitions 4=leader   # a late heartbeat', { error: late.toJSON() }, `refused: ${late.code}\n${late.message}`);
    const after = await reader.observed({ at: run.now() });
    const stillThere = JSON.stringify([after.aliveNodes, after.deadNodes, after.partitions, after.nodesToPartitions]).includes('"N5"');
    if (stillThere) throw unexpected('N5 should have vanished from every index of ObservedClusterState');
    story.step('observe', after, `${observeText(after)}\nN5 appears nowhere: not alive, not dead, in no partition (Restate kept removed nodes "alive" forever).`);
    story.step('nodes list', engine.state(), nodesText(engine.state()));

    // 7-9 --------------------------------------------------------------------------------------------------------
    story.chapter('7. Health');
    const health = await reader.health({ at: run.now() });
    story.step('health', health, healthText(health));

    story.chapter('8. The audit trail (last 12 entries)');
    const trail = await reader.audit();
    const tail = trail.slice(-12);
    story.step('audit', tail, auditText(tail));

    story.chapter('9. Verify the history');
    const report = await reader.verify();
    if (!report.ok) throw unexpected(`verify found problems: ${JSON.stringify(report.problems)}`);
    story.step('verify', report, `${report.events} events: the hash chain holds and every transition replays to its recorded state.`);

    run.out.say(
      `\nThe store is left in ${run.storeUrl} for you to inspect, for example:\n` +
        columns([
          ['  clusterchart nodes list', '# N5 is a tombstone: its id is never used again'],
          ['  clusterchart audit --node N4', '# N4 provisioned once, despite the lost response'],
          [`  clusterchart observe --as-of ${observed.position}`, '# time travel: the cluster before N5 was removed'],
          ['  clusterchart verify', '# re-check the hash chain and every transition'],
        ]),
    );
    run.out.data({ cluster, store: run.storeUrl, steps: story.steps, health, verify: report }, () => '');
  } finally {
    await engine.close();
  }
}

/** How many recorded transitions of a node's log-server machine went `from -> to` (from the audit trail). */
async function countTransitions(reader: ClusterReader, id: number, from: string, to: string): Promise<number> {
  const entries = await reader.audit({ node: printPlainNodeId(id) });
  return entries.filter((e) => e.machine === 'log-server' && e.node === printPlainNodeId(id) && e.from === from && e.to === to).length;
}
