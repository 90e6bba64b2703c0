/**
 * `clusterchart view [--port N] [--host 127.0.0.1] [--inspect [PORT]]`: the local viewer. Prints its URL on stdout
 * (with --json: `{"url": "...", "inspect": "ws://..." | null, "inspectBridge": "http://..." | null}`), then serves
 * until SIGINT/SIGTERM. Read-only: it opens the store, never writes to it.
 */
import type { Command } from 'commander';
import { isClusterchartError, MACHINES } from '../index.js';
import { startViewer } from '../view/server.js';
import type { CliContext, Run } from './context.js';
import { usageError } from './output.js';
import { parseIntegerArg } from './parse.js';

type ViewOptions = { port: number; host: string; inspect?: true | number };

const parsePort = parseIntegerArg('port', 0, 65535);

/** The cluster to show: --cluster, else the only one; on a store without a cluster, the first one to appear. */
async function clusterToShow(run: Run): Promise<string | undefined> {
  try {
    return await run.clusterName();
  } catch (error) {
    if (isClusterchartError(error, 'ClusterNotFound')) return undefined;
    throw error;
  }
}

/**
 * A port that cannot be listened on is the operator's to fix (bad usage, exit 2), not a bug: the message names the
 * address and the flag to change. Anything else passes through.
 */
function listenProblem(error: unknown, options: ViewOptions): unknown {
  const { code, port: reported, address } = (error ?? {}) as { code?: unknown; port?: unknown; address?: unknown };
  const port = typeof reported === 'number' ? reported : options.port;
  if (code !== 'EADDRINUSE' && code !== 'EACCES' && code !== 'EADDRNOTAVAIL') return error;
  const flag = options.inspect !== undefined && options.inspect !== true && port === options.inspect && port !== options.port ? '--inspect' : '--port';
  const where = `${typeof address === 'string' ? address : options.host}:${String(port)}`;
  const why =
    code === 'EADDRINUSE'
      ? `port ${String(port)} is already in use (${where})`
      : code === 'EACCES'
        ? `no permission to listen on port ${String(port)} (${where})`
        : `the address ${where} is not available on this machine`;
  const fix = code === 'EADDRNOTAVAIL' ? 'pick an address of this machine with --host' : `pick another port with ${flag} N, or ${flag} 0 for any free port`;
  return usageError(`The viewer cannot listen: ${why}; ${fix}.`, { port: String(port), address: where });
}

function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const stop = (signal: NodeJS.Signals): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export function register(program: Command, cli: CliContext): void {
  program
    .command('view')
    .description('serve the local statechart viewer (charts, node states, replay timeline, live updates); read-only')
    .option('--port <n>', 'port to listen on (0: any free port)', parsePort, 0)
    .option('--host <host>', 'address to bind; keep the loopback default unless you mean to expose the viewer', '127.0.0.1')
    .option('--inspect [port]', 'also relay live transitions to @statelyai/inspect clients over a loopback WebSocket', parsePort)
    .action(
      cli.action(async (run, options: ViewOptions) => {
        const store = await run.store();
        const cluster = await clusterToShow(run);
        const viewer = await startViewer({
          store,
          cluster,
          machines: MACHINES,
          host: options.host,
          port: options.port,
          inspect: options.inspect === undefined ? false : { port: options.inspect === true ? 0 : options.inspect },
          logger: run.logger,
        }).catch((error: unknown) => {
          throw listenProblem(error, options);
        });
        const inspect = viewer.inspectUrl === null ? [] : [`inspection relay: ${viewer.inspectUrl}`, `watch in Stately's inspector: ${viewer.inspectBridgeUrl ?? ''}`];
        run.out.data({ url: viewer.url, inspect: viewer.inspectUrl, inspectBridge: viewer.inspectBridgeUrl }, () =>
          [`clusterchart viewer: ${viewer.url}`, ...inspect, 'press Ctrl+C to stop'].join('\n'),
        );
        await untilSignal();
        await viewer.close();
      }),
    );
}
