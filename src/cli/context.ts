/**
 * What every command shares: the global options, the logger, the output, and a lazily opened store, engine and
 * reader (the library's read side) that are closed when the command ends. A command file only parses its own
 * arguments, calls the engine or the reader, and prints.
 */
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { hostname, userInfo } from 'node:os';
import type { Command } from 'commander';
import { pino, type Logger } from 'pino';
import {
  ClusterchartError,
  type ClusterReader,
  type CommandInputData,
  type CommandResult,
  type CommandType,
  createEngine,
  type Engine,
  type EventStore,
  openClusterReader,
  openStore,
  parseStoreUrl,
  redactUrl,
} from '../index.js';
import { createOutput, type Output, type Writable } from './output.js';
import { createProgress, type Progress } from './progress.js';
import type { Input, Prompter } from './prompt.js';

export const DEFAULT_STORE = 'sqlite:./clusterchart.db';
export const DEFAULT_LOG_LEVEL = 'warn';

export type CliIo = Readonly<{
  stdin: Input;
  stdout: Writable;
  stderr: Writable & Prompter;
  env: Readonly<Record<string, string | undefined>>;
}>;

/** The global options after defaults and the environment are applied. */
export type GlobalOptions = Readonly<{
  store: string;
  /** True when `--store` was given on the command line (not taken from CLUSTERCHART_STORE or the default). */
  storeGiven: boolean;
  cluster: string | undefined;
  commandId: string | undefined;
  at: string | undefined;
  json: boolean;
  logLevel: string;
  /** True when --log-level or LOG_LEVEL chose the level (rather than the default). */
  logLevelChosen: boolean;
  /** Who runs the command, recorded as the actor of every event it writes. */
  actor: string;
}>;

type RawGlobals = { store?: string; cluster?: string; commandId?: string; at?: string; json?: boolean; logLevel?: string; actor?: string };

/** How a command wants its store: only an existing one (reads, most writes) or one it may create (provision, import). */
export type StoreMode = 'existing' | 'create';

export class CliContext {
  exitCode = 0;
  /** The --json flag of the running command, so errors thrown before or after its action are printed the same way. */
  json = false;

  constructor(readonly io: CliIo) {}

  /**
   * Wraps a commander action: resolves the global options, hands the command a `Run`, and closes whatever the run
   * opened, also when the command throws (the error then reaches `runCli`, which prints it and picks the exit code).
   */
  action<A extends unknown[]>(fn: (run: Run, ...args: A) => Promise<void>): (...args: unknown[]) => Promise<void> {
    return async (...args: unknown[]) => {
      const command = args[args.length - 1] as Command;
      const run = new Run(this, resolveGlobals(command.optsWithGlobals<RawGlobals>(), this.io.env));
      this.json = run.options.json;
      try {
        await fn(run, ...(args.slice(0, -1) as A));
      } finally {
        await run.close();
      }
    };
  }
}

function resolveGlobals(raw: RawGlobals, env: CliIo['env']): GlobalOptions {
  return {
    store: raw.store ?? env.CLUSTERCHART_STORE ?? DEFAULT_STORE,
    storeGiven: raw.store !== undefined,
    cluster: raw.cluster,
    commandId: raw.commandId,
    at: raw.at,
    json: raw.json === true,
    logLevel: raw.logLevel ?? env.LOG_LEVEL ?? DEFAULT_LOG_LEVEL,
    logLevelChosen: raw.logLevel !== undefined || env.LOG_LEVEL !== undefined,
    actor: nonEmpty(raw.actor) ?? nonEmpty(env.CLUSTERCHART_ACTOR) ?? osActor(),
  };
}

const nonEmpty = (value: string | undefined) => (value === undefined || value.trim() === '' ? undefined : value.trim());

/** `user@host` of the operating system account running the command (`unknown` for a user without a name). */
export function osActor(): string {
  let user: string | undefined;
  try {
    user = nonEmpty(userInfo().username);
  } catch {
    // no passwd entry for the uid (some containers): the host still says where the command came from
  }
  return `${user ?? 'unknown'}@${hostname()}`;
}

/** One command invocation. */
export class Run {
  readonly out: Output;
  readonly logger: Logger;
  #store: EventStore | undefined;
  #engine: Engine | undefined;
  /** The store's reader, not bound to a cluster: lists clusters and their streams' revisions. */
  #storeReader: ClusterReader | undefined;
  #reader: ClusterReader | undefined;

  constructor(
    readonly cli: CliContext,
    readonly options: GlobalOptions,
  ) {
    this.out = createOutput(cli.io.stdout, cli.io.stderr, options.json);
    // Synchronous stderr: a CLI exits right after its last line, and buffered log lines would be lost.
    this.logger = pino({ level: options.logLevel, base: { cmd: 'clusterchart' } }, pino.destination({ fd: 2, sync: true }));
  }

  /** The store URL with any credentials removed: the only form printed or logged. */
  get storeUrl(): string {
    return redactUrl(this.options.store);
  }

  /** `--command-id`, or a fresh id (then a retry is a new command: only a repeated id is a retry). */
  commandId(): string {
    return this.options.commandId ?? randomUUID();
  }

  /** `now()` as ISO-8601 (what observation commands record). */
  at(): string {
    return this.now().toISOString();
  }

  /** The time of this command: `--at`, else the clock (the CLI's only clock). */
  now(): Date {
    return this.options.at === undefined ? new Date() : new Date(this.options.at);
  }

  /** Marks a failed check (unhealthy, verify problems): exit 1 without an error message. */
  failCheck(): void {
    this.cli.exitCode = Math.max(this.cli.exitCode, 1);
  }

  progress(label: string, total: number): Progress {
    return createProgress(this.cli.io.stderr, { label, total, enabled: !this.options.json });
  }

  /** Opens the store once. With `existing`, a missing SQLite file is an error rather than a new empty database. */
  async store(mode: StoreMode = 'existing'): Promise<EventStore> {
    if (this.#store !== undefined) return this.#store;
    const location = parseStoreUrl(this.options.store);
    if (mode === 'existing' && location.kind === 'sqlite' && !existsSync(location.path)) {
      throw new ClusterchartError(
        'StoreUnavailable',
        `There is no store at ${location.path}: provision a cluster first (clusterchart provision --cluster NAME), ` +
          'run the demo (clusterchart demo), or point --store / CLUSTERCHART_STORE at an existing store.',
        { url: this.storeUrl },
      );
    }
    this.#store = await openStore(this.options.store);
    return this.#store;
  }

  /**
   * The cluster this command acts on: `name` (a command's own argument), else `--cluster`, else the only cluster in
   * the store.
   */
  async clusterName(name?: string): Promise<string> {
    const explicit = name ?? this.options.cluster;
    if (explicit !== undefined) return explicit;
    const clusters = await (await this.#readStore()).clusters();
    if (clusters.length === 1 && clusters[0] !== undefined) return clusters[0];
    if (clusters.length === 0) {
      throw new ClusterchartError(
        'ClusterNotFound',
        `The store ${this.storeUrl} holds no cluster: provision one with clusterchart provision --cluster NAME.`,
        { url: this.storeUrl },
      );
    }
    throw new ClusterchartError(
      'AmbiguousCluster',
      `The store ${this.storeUrl} holds ${clusters.length} clusters (${clusters.join(', ')}): choose one with --cluster NAME.`,
      { url: this.storeUrl, clusters },
    );
  }

  /** Like `clusterName`, and the cluster must be in the store (a typo in --cluster is reported, not acted on). */
  async existingCluster(name?: string): Promise<string> {
    const cluster = await this.clusterName(name);
    if ((await (await this.#readStore()).streamRevisions(cluster)).cluster < 0) {
      throw new ClusterchartError(
        'ClusterNotFound',
        `Cluster "${cluster}" is not in the store ${this.storeUrl}: check --cluster, or provision it first.`,
        { cluster, url: this.storeUrl },
      );
    }
    return cluster;
  }

  /**
   * Opens the engine for the cluster once. With `existing` (the default) the cluster must already be in the store,
   * so a typo in --cluster is reported instead of acting on an empty aggregate.
   */
  async engine(options: { cluster?: string; mode?: StoreMode } = {}): Promise<Engine> {
    if (this.#engine !== undefined) return this.#engine;
    const mode = options.mode ?? 'existing';
    const store = await this.store(mode);
    const cluster = mode === 'existing' ? await this.existingCluster(options.cluster) : await this.clusterName(options.cluster);
    this.#engine = await createEngine({
      store,
      cluster,
      logger: this.logger,
      clock: () => this.now(),
      actor: this.options.actor,
      // A one-shot command must not write a snapshot when it closes: reads and refusals write nothing.
      snapshotEvery: false,
    });
    return this.#engine;
  }

  async #readStore(): Promise<ClusterReader> {
    this.#storeReader ??= await openClusterReader({ store: await this.store(), logger: this.logger, clock: () => this.now() });
    return this.#storeReader;
  }

  /** The read side for the cluster this command acts on (it must exist), judged at this command's time. Writes nothing. */
  async reader(): Promise<ClusterReader> {
    this.#reader ??= await openClusterReader({ store: await this.store(), cluster: await this.existingCluster(), logger: this.logger, clock: () => this.now() });
    return this.#reader;
  }

  /** Runs one command through the engine's validating entry point with this run's command id. */
  async execute<T extends CommandType>(type: T, data: CommandInputData[T], options: { cluster?: string; mode?: StoreMode } = {}): Promise<CommandResult<T>> {
    const engine = await this.engine(options);
    return engine.execute({ type, data, commandId: this.commandId() });
  }

  async close(): Promise<void> {
    const { readers, engine, store } = { readers: [this.#reader, this.#storeReader], engine: this.#engine, store: this.#store };
    this.#reader = this.#storeReader = undefined;
    this.#engine = undefined;
    this.#store = undefined;
    try {
      for (const reader of readers) await reader?.close();
      await engine?.close();
    } finally {
      await store?.close();
    }
  }
}
