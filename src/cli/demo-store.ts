/**
 * Which store the demo may use, and the only place the CLI deletes a store.
 *
 * The demo tells its story on an EMPTY store and leaves it behind. It creates a store, or replaces one that holds
 * nothing but an earlier run of itself (a finished or a half-told one), without asking. Any other store is someone's
 * data: the demo refuses it, and `--reset` deletes it only when the operator named it with `--store` on the command
 * line (never the store CLUSTERCHART_STORE or the default names) and confirmed (the terminal prompt, or `--yes`).
 */
import { existsSync, rmSync } from 'node:fs';
import {
  type ClusterReader,
  clusterStreamId,
  isClusterchartError,
  observationsStreamId,
  openClusterReader,
  parseStoreUrl,
  redactUrl,
  snapshotStreamId,
} from '../index.js';
import type { Run } from './context.js';
import { usageError } from './output.js';
import { confirm } from './prompt.js';

/** Every command id the demo uses starts with this: how an earlier run of the demo is recognised. */
export const DEMO_COMMAND_PREFIX = 'demo-';

type Contents = 'empty' | 'earlier-demo' | 'other' | 'unreadable';

/** Deletes a SQLite store and its WAL files; a `memory:` store starts empty anyway; other stores are never deleted. */
function deleteStore(url: string): void {
  const location = parseStoreUrl(url);
  if (location.kind === 'memory') return;
  if (location.kind !== 'sqlite') {
    throw usageError(`demo --reset deletes SQLite files only; empty ${redactUrl(url)} yourself or choose another --store.`);
  }
  for (const suffix of ['', '-wal', '-shm']) rmSync(`${location.path}${suffix}`, { force: true });
}

/**
 * `earlier-demo` when every event belongs to this demo cluster's streams and was written by the demo's own commands
 * (ids `demo-...`): such a store is the demo's to replace, also when an earlier run stopped half-way. Anything else
 * is `other`; a store that cannot be read is `unreadable` (neither is ever replaced without --reset).
 */
async function describeContents(url: string, cluster: string): Promise<Contents> {
  let reader: ClusterReader;
  try {
    reader = await openClusterReader({ store: url });
  } catch (error) {
    if (isClusterchartError(error)) return 'unreadable';
    throw error;
  }
  try {
    const snapshots = snapshotStreamId(cluster);
    const demoStreams = new Set([clusterStreamId(cluster), observationsStreamId(cluster), snapshots]);
    let seen = false;
    for await (const event of reader.events()) {
      seen = true;
      const commandId = event.metadata['commandId'];
      const byDemo = event.streamId === snapshots || (typeof commandId === 'string' && commandId.startsWith(DEMO_COMMAND_PREFIX));
      if (!demoStreams.has(event.streamId) || !byDemo) return 'other';
    }
    return seen ? 'earlier-demo' : 'empty';
  } catch (error) {
    if (isClusterchartError(error)) return 'unreadable';
    throw error;
  } finally {
    await reader.close();
  }
}

/**
 * Makes the run's store ready for the demo: nothing to do for a new store, an earlier demo is replaced, anything
 * else is refused unless `reset` and the rules above allow deleting it. Resolves false when the operator declined.
 */
export async function prepareDemoStore(run: Run, options: { cluster: string; reset: boolean; yes: boolean }): Promise<boolean> {
  const url = run.options.store;
  const location = parseStoreUrl(url);
  if (location.kind !== 'sqlite') {
    if (options.reset) deleteStore(url);
    return true;
  }
  if (!existsSync(location.path)) return true;
  const contents = await describeContents(url, options.cluster);
  if (contents === 'empty' || contents === 'earlier-demo') {
    if (contents === 'earlier-demo') {
      run.cli.io.stderr.write(`demo: ${run.storeUrl} holds only an earlier run of this demo; starting it again from an empty store.\n`);
    }
    deleteStore(url);
    return true;
  }
  const what = contents === 'other' ? 'holds events that are not this demo\'s' : 'cannot be read as a store';
  if (!options.reset) {
    throw usageError(
      `The store ${run.storeUrl} ${what}: the demo starts from an empty store and never writes into an existing one. ` +
        'Choose another store with --store sqlite:./other.db, or inspect what is there (clusterchart nodes list, audit, verify). ' +
        `To delete it and every event in it, name it on the command line: --store ${run.storeUrl} demo --reset. Nothing was changed.`,
      { url: run.storeUrl },
    );
  }
  if (!run.options.storeGiven) {
    throw usageError(
      `demo --reset does not delete ${run.storeUrl}: it ${what}, and it was not named with --store on the command line ` +
        '(the demo never deletes the store CLUSTERCHART_STORE or the default names). ' +
        `If you do mean to delete it and every event in it, run: clusterchart --store ${run.storeUrl} demo --reset. Nothing was changed.`,
      { url: run.storeUrl },
    );
  }
  const confirmed = await confirm({
    question: `${run.storeUrl} ${what}. Delete ${location.path} and every event in it for the demo?`,
    yes: options.yes,
    flag: '--yes',
    input: run.cli.io.stdin,
    output: run.cli.io.stderr,
    command: `demo --reset on a store that ${what}`,
  });
  if (confirmed) deleteStore(url);
  return confirmed;
}
