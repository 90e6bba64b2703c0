/**
 * The local viewer: a read-only node:http server (loopback by default) serving one self-contained page, the charts
 * rendered server-side, the nodes' states at any position of the cluster stream, and server-sent events for live
 * appends. It reads the store through the library's reader: a subscription (catch-up, then live; the sqlite adapter
 * polls, so writes by other processes show up too) feeding the reader's `ClusterHistory`. It never writes.
 *
 * Security: every response carries a strict Content-Security-Policy (same-origin scripts and styles only, no inline
 * code, no framing); the page renders every datum with `textContent`. When the address actually bound is loopback
 * (however `host` was spelled), requests must name a loopback host (a DNS-rebinding page cannot read the viewer).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { type AddressInfo, BlockList, isIP } from 'node:net';
import type { Logger } from 'pino';
import type { AnyStateMachine } from 'xstate';
import {
  ClusterchartError,
  type ClusterHistory,
  type EventStore,
  isClusterchartError,
  MAX_TIMELINE_WINDOW,
  openClusterReader,
  type RecordedEvent,
  type Subscription,
  transitionOf,
} from '../index.js';
import { APP_CSS, APP_JS, PAGE_HTML } from './assets.js';
import { machineStateNodes, renderSvg, stateElementId, toDot } from './export.js';
import { viewAfter } from './history.js';
import { startInspectionRelay, type InspectionRelay } from './inspect-relay.js';

export type ViewerOptions = Readonly<{
  /** An open store (the caller closes it) or a store URL (opened here, closed with the viewer). */
  store: EventStore | string;
  /** The cluster to show; when absent, the first cluster stream found in the store. */
  cluster?: string;
  /** Statecharts by machine name (the registry's, in the CLI). */
  machines: Readonly<Record<string, Readonly<{ machine: AnyStateMachine; description?: string }>>>;
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
  /** Also relay live transitions to @statelyai/inspect clients over a WebSocket on 127.0.0.1, whatever `host` is (port 0: any free port). */
  inspect?: false | Readonly<{ port?: number }>;
  logger?: Logger;
}>;

export interface Viewer {
  /** `http://HOST:PORT/` */
  readonly url: string;
  /** The inspection relay's `ws://` URL, when `inspect` was asked for. */
  readonly inspectUrl: string | null;
  /** The relay's page that shows the live actors in Stately's inspector, when `inspect` was asked for. */
  readonly inspectBridgeUrl: string | null;
  /** Resolves once the viewer has read the store up to `position` (any stream). */
  waitForPosition(position: number): Promise<void>;
  close(): Promise<void>;
}

/** A chart as the page receives it: the SVG and which element draws each state value. */
export type ChartView = Readonly<{ name: string; description: string; svg: string; states: Readonly<Record<string, string>> }>;

const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
} as const;

/** Every loopback address: 127.0.0.0/8, ::1, and 127.0.0.0/8 mapped into IPv6. */
const LOOPBACK_ADDRESSES = new BlockList();
LOOPBACK_ADDRESSES.addSubnet('127.0.0.0', 8, 'ipv4');
LOOPBACK_ADDRESSES.addAddress('::1', 'ipv6');
LOOPBACK_ADDRESSES.addSubnet('::ffff:127.0.0.0', 104, 'ipv6');

/** Whether `address` (an IP literal in any spelling, or a host name) is a loopback address. */
export function isLoopbackAddress(address: string): boolean {
  if (address.toLowerCase() === 'localhost') return true;
  let hostname: string;
  try {
    // The WHATWG parser canonicalises every spelling (`127.1`, `0:0:0:0:0:0:0:1`, `::ffff:127.0.0.1`).
    hostname = new URL(`http://${isIP(address) === 6 ? `[${address}]` : address}/`).hostname.replace(/^\[|\]$/g, '');
  } catch {
    return false;
  }
  const family = isIP(hostname);
  if (family === 0) return false;
  return LOOPBACK_ADDRESSES.check(hostname, family === 4 ? 'ipv4' : 'ipv6');
}

async function renderCharts(machines: ViewerOptions['machines']): Promise<ChartView[]> {
  const charts: ChartView[] = [];
  for (const [name, { machine, description }] of Object.entries(machines)) {
    const svg = (await renderSvg(toDot(machine))).replace(/^[\s\S]*?(?=<svg)/, '');
    // State values are paths relative to the root (`ReadWrite`, `Maintenance.Disk.Checking`).
    const states = Object.fromEntries(machineStateNodes(machine).map((node) => [node.path.join('.'), stateElementId(node.id)]));
    charts.push({ name, description: description ?? '', svg, states });
  }
  return charts;
}

/**
 * Starts the viewer and resolves once it listens.
 *
 * @example
 * const viewer = await startViewer({ store, machines: MACHINES, port: 8080 });
 * console.log(viewer.url); // http://127.0.0.1:8080/
 */
export async function startViewer(options: ViewerOptions): Promise<Viewer> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger?.child({ subsystem: 'view' });
  const charts = JSON.stringify(await renderCharts(options.machines));
  const machines = Object.fromEntries(Object.entries(options.machines).map(([name, entry]) => [name, entry.machine]));

  const reader = await openClusterReader({ store: options.store, ...(options.cluster === undefined ? {} : { cluster: options.cluster }), logger });
  const CLUSTER_STREAM = /^cluster-(.+)$/;
  let history: ClusterHistory | undefined = options.cluster === undefined ? undefined : reader.history(options.cluster);
  let problem: string | null = null;
  let seenPosition = 0;
  const waiters = new Set<{ position: number; resolve: () => void }>();
  const streams = new Set<ServerResponse>();

  const relay: InspectionRelay | null = options.inspect === undefined || options.inspect === false
    ? null
    : await startInspectionRelay({ host: '127.0.0.1', port: options.inspect.port ?? 0, machines });

  const send = (response: ServerResponse, event: string, data: unknown): void => {
    response.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
  };
  const broadcast = (event: string, data: unknown): void => {
    for (const response of streams) send(response, event, data);
  };

  const clusterName = (): string | null => history?.cluster ?? null;
  /** What a page needs to draw the timeline: its length and the last entries (older ones on request). */
  const timeline = () => ({ cluster: clusterName(), count: history?.count ?? 0, recent: history?.recent ?? [], problem });

  const apply = (recorded: RecordedEvent): void => {
    let discovered = false;
    const discoveredCluster = history === undefined ? CLUSTER_STREAM.exec(recorded.streamId)?.[1] : undefined;
    if (discoveredCluster !== undefined) {
      history = reader.history(discoveredCluster);
      discovered = true;
    }
    if (history === undefined || problem !== null || recorded.streamId !== history.streamId) return;
    let added: ReturnType<ClusterHistory['add']>;
    try {
      added = history.add(recorded);
    } catch (error) {
      problem = isClusterchartError(error) ? `${error.code}: ${error.message}` : String(error);
      logger?.error({ position: recorded.position, problem }, 'the viewer cannot read the cluster history past this event');
      broadcast('problem', { problem });
      return;
    }
    // A page opened before the cluster existed learns its name from a fresh timeline.
    if (discovered) broadcast('timeline', timeline());
    else broadcast('append', { entry: added.entry, count: history.count });
    const transition = transitionOf(added.event);
    if (relay !== null && transition !== null) relay.publishTransition(transition);
  };

  const ingest = (recorded: RecordedEvent): void => {
    apply(recorded);
    seenPosition = recorded.position;
    for (const waiter of waiters) {
      if (waiter.position <= seenPosition) {
        waiters.delete(waiter);
        waiter.resolve();
      }
    }
  };

  const subscription: Subscription = reader.subscribe(ingest);
  subscription.done.catch((error: unknown) => {
    problem = `the store subscription ended: ${error instanceof Error ? error.message : String(error)}`;
    logger?.error({ problem }, 'viewer subscription failed');
    broadcast('problem', { problem });
  });

  async function route(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://viewer.invalid');
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      return reply(response, 405, 'application/json', JSON.stringify({ error: { code: 'InvalidInput', message: 'The viewer is read-only: only GET is served.' } }), { allow: 'GET, HEAD' });
    }
    switch (url.pathname) {
      case '/':
      case '/index.html':
        return reply(response, 200, 'text/html; charset=utf-8', PAGE_HTML);
      case '/app.js':
        return reply(response, 200, 'text/javascript; charset=utf-8', APP_JS);
      case '/app.css':
        return reply(response, 200, 'text/css; charset=utf-8', APP_CSS);
      case '/api/charts':
        return reply(response, 200, 'application/json', charts);
      case '/api/timeline': {
        const from = wholeNumber(url, 'from');
        const to = wholeNumber(url, 'to');
        if (typeof from === 'string' || typeof to === 'string') return badRequest(response, String(typeof from === 'string' ? from : to));
        if (from === undefined || history === undefined) return reply(response, 200, 'application/json', JSON.stringify(timeline()));
        const entries = await history.entries(from, to ?? from + MAX_TIMELINE_WINDOW - 1);
        return reply(response, 200, 'application/json', JSON.stringify({ cluster: clusterName(), count: history.count, entries, problem }));
      }
      case '/api/state': {
        const revision = wholeNumber(url, 'revision', -1);
        const position = wholeNumber(url, 'position');
        if (typeof revision === 'string' || typeof position === 'string') return badRequest(response, String(typeof revision === 'string' ? revision : position));
        if (history === undefined) return reply(response, 404, 'application/json', JSON.stringify({ error: { code: 'ClusterNotFound', message: 'The store holds no cluster yet.' } }));
        const count = revision !== undefined ? revision + 1 : position !== undefined ? history.countAtPosition(position) : history.count;
        const view = await viewAfter(history, count);
        const entry = count === 0 ? null : ((await history.entries(count - 1, count - 1))[0] ?? null);
        return reply(response, 200, 'application/json', JSON.stringify({ ...view, count: history.count, entry }));
      }
      case '/api/stream':
        response.writeHead(200, { ...SECURITY_HEADERS, 'content-type': 'text/event-stream; charset=utf-8', connection: 'keep-alive' });
        response.write('retry: 2000\n\n');
        send(response, 'timeline', timeline());
        streams.add(response);
        request.on('close', () => streams.delete(response));
        return;
      default:
        return reply(response, 404, 'application/json', JSON.stringify({ error: { code: 'InvalidInput', message: `Nothing is served at ${url.pathname}.` } }));
    }
  }

  // Decided by the address actually bound, whatever spelling `host` used (set once listening, before any request).
  let boundToLoopback = true;
  const server = createServer((request, response) => {
    if (boundToLoopback && !isLoopbackAddress(hostnameOf(request.headers.host))) {
      return reply(response, 421, 'application/json', JSON.stringify({ error: { code: 'InvalidInput', message: 'The viewer answers only to loopback host names.' } }));
    }
    route(request, response).catch((error: unknown) => {
      logger?.error({ err: error }, 'viewer request failed');
      const { code, message } = isClusterchartError(error) ? error : new ClusterchartError('StoreUnavailable', String(error));
      if (!response.headersSent) reply(response, 500, 'application/json', JSON.stringify({ error: { code, message } }));
      else response.end();
    });
  });
  // Comment lines keep idle event streams open through proxies and let the server notice closed tabs.
  const keepAlive = setInterval(() => {
    for (const response of streams) response.write(': keep-alive\n\n');
  }, 15_000);
  keepAlive.unref();

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => resolve());
    });
  } catch (error) {
    // A viewer that cannot listen releases what it opened (the port may be taken).
    clearInterval(keepAlive);
    await subscription.stop();
    await reader.close();
    await relay?.close();
    throw error;
  }
  const address = server.address() as AddressInfo;
  boundToLoopback = isLoopbackAddress(address.address);
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  relay?.allowOrigin(`http://${shownHost}:${address.port}`);
  logger?.info({ url: reader.url }, 'viewer reading the store');

  return {
    url: `http://${shownHost}:${address.port}/`,
    inspectUrl: relay?.url ?? null,
    inspectBridgeUrl: relay?.bridgeUrl ?? null,
    waitForPosition(position) {
      if (position <= seenPosition) return Promise.resolve();
      return new Promise((resolve) => waiters.add({ position, resolve }));
    },
    async close() {
      clearInterval(keepAlive);
      for (const response of streams) response.end();
      streams.clear();
      await subscription.stop();
      await reader.close();
      await relay?.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function reply(response: ServerResponse, status: number, type: string, body: string, extra: Record<string, string> = {}): void {
  response.writeHead(status, { ...SECURITY_HEADERS, 'content-type': type.includes('charset') ? type : `${type}; charset=utf-8`, ...extra });
  response.end(response.req.method === 'HEAD' ? undefined : body);
}

function hostnameOf(hostHeader: string | undefined): string {
  if (hostHeader === undefined) return '';
  const bracketed = /^\[([^\]]+)\]/.exec(hostHeader);
  return bracketed?.[1] ?? hostHeader.replace(/:\d+$/, '');
}

/** A query parameter as a whole number >= `min`: undefined when absent, the raw text when invalid. */
function wholeNumber(url: URL, name: string, min = 0): number | undefined | string {
  const raw = url.searchParams.get(name);
  if (raw === null || raw === '') return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) && value >= min ? value : `${name} must be a whole number >= ${min}, not "${raw}".`;
}

function badRequest(response: ServerResponse, message: string): void {
  reply(response, 400, 'application/json', JSON.stringify({ error: { code: 'InvalidInput', message } }));
}
