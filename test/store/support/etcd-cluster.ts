/**
 * A real 3-member etcd cluster on loopback for tests: `/usr/bin/etcd` members on free 127.0.0.1 ports, one data
 * dir each under a temporary directory (tmpfs when available, so fsync does not dominate test time), removed by
 * `stop()`. Faults are plain signals to member processes; `leader()` asks the members themselves
 * (`etcdctl endpoint status`), so tests kill the member that really leads at that moment.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, openSync, closeSync, readFileSync, rmSync, accessSync, constants } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export const ETCD_BINARY = process.env.CLUSTERCHART_ETCD_BIN ?? '/usr/bin/etcd';
export const ETCDCTL_BINARY = process.env.CLUSTERCHART_ETCDCTL_BIN ?? '/usr/bin/etcdctl';

/** Why the etcd tests cannot run here, or undefined when they can. */
export function etcdUnavailableReason(): string | undefined {
  if (!existsSync(ETCD_BINARY)) return `${ETCD_BINARY} is missing (apt-get install etcd-server)`;
  if (!existsSync(ETCDCTL_BINARY)) return `${ETCDCTL_BINARY} is missing (apt-get install etcd-client)`;
  return undefined;
}

export type MemberName = 'm1' | 'm2' | 'm3';
const NAMES: readonly MemberName[] = ['m1', 'm2', 'm3'];

type Member = {
  readonly name: MemberName;
  readonly clientPort: number;
  readonly peerPort: number;
  readonly dataDir: string;
  readonly logFile: string;
  process: ChildProcess | undefined;
  exited: Promise<void>;
};

export interface EtcdCluster {
  /** Client endpoints, `127.0.0.1:port` each, in member order. */
  readonly endpoints: readonly string[];
  /** `etcd://` URL naming every member, with `prefix` as its path. */
  url(prefix: string): string;
  endpointOf(member: MemberName): string;
  /** Sends `signal` to a running member; for SIGKILL/SIGTERM, resolves once the process has exited. */
  kill(member: MemberName, signal: NodeJS.Signals): Promise<void>;
  /** Starts a killed member again on its data dir and waits until the cluster is healthy. */
  restart(member: MemberName): Promise<void>;
  /** The member that leads now (asks the reachable members). */
  leader(): Promise<MemberName>;
  /** Waits until every running member answers and one of them leads. */
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Compacts the key-value history up to the current revision; returns that revision. */
  compact(): Promise<number>;
  /** Kills every member (continuing stopped ones first) and removes the data dirs. */
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function baseDir(): string {
  try {
    accessSync('/dev/shm', constants.W_OK);
    return '/dev/shm';
  } catch {
    return tmpdir();
  }
}

/** Starts three members and waits until they elected a leader. */
export async function startEtcdCluster(): Promise<EtcdCluster> {
  const root = mkdtempSync(join(baseDir(), 'clusterchart-etcd-'));
  const ports = new Set<number>();
  while (ports.size < 6) ports.add(await freePort());
  const [c1, c2, c3, p1, p2, p3] = [...ports] as [number, number, number, number, number, number];
  const members: Member[] = NAMES.map((name, i) => ({
    name,
    clientPort: [c1, c2, c3][i]!,
    peerPort: [p1, p2, p3][i]!,
    dataDir: join(root, name),
    logFile: join(root, `${name}.log`),
    process: undefined,
    exited: Promise.resolve(),
  }));
  const token = `clusterchart-test-${process.pid}-${Date.now()}`;
  const initialCluster = members.map((m) => `${m.name}=http://127.0.0.1:${m.peerPort}`).join(',');
  const endpoints = members.map((m) => `127.0.0.1:${m.clientPort}`);
  const member = (name: MemberName): Member => members.find((m) => m.name === name)!;

  function start(m: Member): void {
    mkdirSync(m.dataDir, { recursive: true });
    const log = openSync(m.logFile, 'a');
    const child = spawn(
      ETCD_BINARY,
      [
        `--name=${m.name}`,
        `--data-dir=${m.dataDir}`,
        `--listen-client-urls=http://127.0.0.1:${m.clientPort}`,
        `--advertise-client-urls=http://127.0.0.1:${m.clientPort}`,
        `--listen-peer-urls=http://127.0.0.1:${m.peerPort}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${m.peerPort}`,
        `--initial-cluster=${initialCluster}`,
        '--initial-cluster-state=new',
        `--initial-cluster-token=${token}`,
        // Loopback latencies: short heartbeats make a killed leader replaced in about a second.
        '--heartbeat-interval=50',
        '--election-timeout=500',
        '--logger=zap',
        '--log-outputs=stderr',
        '--log-level=warn',
      ],
      { stdio: ['ignore', log, log] },
    );
    closeSync(log);
    m.process = child;
    m.exited = new Promise((resolve) => child.once('exit', () => resolve()));
  }

  /** Each running member's own view (its id and the leader it follows), asked in parallel. */
  async function status(): Promise<{ member: MemberName; id: string; leader: string }[]> {
    const running = members.filter((m) => m.process !== undefined && m.process.exitCode === null && m.process.signalCode === null);
    const answers = await Promise.all(
      running.map(async (m) => {
        try {
          const { stdout } = await run(ETCDCTL_BINARY, [`--endpoints=127.0.0.1:${m.clientPort}`, '--command-timeout=1s', '--dial-timeout=1s', 'endpoint', 'status', '-w', 'json'], {
            env: { ...process.env, ETCDCTL_API: '3' },
            timeout: 3000,
          });
          const [entry] = JSON.parse(stdout) as { Status: { header: { member_id: number | string }; leader: number | string } }[];
          return entry === undefined ? undefined : { member: m.name, id: String(entry.Status.header.member_id), leader: String(entry.Status.leader) };
        } catch {
          // Not answering (starting, stopped, or without quorum): not counted.
          return undefined;
        }
      }),
    );
    return answers.filter((a) => a !== undefined);
  }

  async function waitHealthy(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const running = members.filter((m) => m.process !== undefined && m.process.exitCode === null && m.process.signalCode === null).length;
      const s = await status();
      if (s.length === running && s.some((x) => x.leader !== '0' && s.some((y) => y.id === x.leader))) {
        const leaders = new Set(s.map((x) => x.leader));
        if (leaders.size === 1) return;
      }
      if (Date.now() > deadline) {
        const logs = members.map((m) => `${m.name}: ${tail(m.logFile)}`).join('\n');
        throw new Error(`etcd cluster not healthy after ${timeoutMs} ms\n${logs}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  for (const m of members) start(m);
  try {
    await waitHealthy();
  } catch (error) {
    for (const m of members) m.process?.kill('SIGKILL');
    rmSync(root, { recursive: true, force: true });
    throw error;
  }

  return {
    endpoints,
    url: (prefix) => `etcd://${endpoints.join(',')}/${prefix}`,
    endpointOf: (name) => `127.0.0.1:${member(name).clientPort}`,
    async kill(name, signal) {
      const m = member(name);
      if (m.process === undefined) throw new Error(`member ${name} is not running`);
      m.process.kill(signal);
      if (signal === 'SIGKILL' || signal === 'SIGTERM' || signal === 'SIGINT') {
        await m.exited;
        m.process = undefined;
      }
    },
    async restart(name) {
      const m = member(name);
      if (m.process !== undefined) throw new Error(`member ${name} is still running`);
      start(m);
      await waitHealthy();
    },
    async leader() {
      const deadline = Date.now() + 10_000;
      for (;;) {
        const s = await status();
        const leaderId = s.find((x) => x.leader !== '0')?.leader;
        const lead = s.find((x) => x.id === leaderId);
        if (lead !== undefined) return lead.member;
        if (Date.now() > deadline) throw new Error('no etcd leader found');
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    },
    waitHealthy,
    async compact() {
      const { stdout } = await run(ETCDCTL_BINARY, [`--endpoints=${endpoints.join(',')}`, 'endpoint', 'status', '-w', 'json'], { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 5000 });
      const revision = Math.max(...(JSON.parse(stdout) as { Status: { header: { revision: number } } }[]).map((e) => Number(e.Status.header.revision)));
      await run(ETCDCTL_BINARY, [`--endpoints=${endpoints.join(',')}`, 'compaction', '--physical', String(revision)], { env: { ...process.env, ETCDCTL_API: '3' }, timeout: 10_000 });
      return revision;
    },
    async stop() {
      for (const m of members) {
        if (m.process === undefined) continue;
        m.process.kill('SIGCONT');
        m.process.kill('SIGKILL');
        await m.exited;
        m.process = undefined;
      }
      rmSync(root, { recursive: true, force: true });
    },
  };
}

function tail(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-5).join('\n');
  } catch {
    return '(no log)';
  }
}
