/**
 * Live inspection over a loopback WebSocket, in the wire format of `@statelyai/inspect`'s `createWebSocketInspector`
 * (JSON text frames of `StatelyInspectionEvent`s), so Stately's inspector and `createWebSocketReceiver` can watch.
 *
 * The relay behaves like `@statelyai/inspect/server`'s `createInspectorServer`: every message a client sends is
 * forwarded to the other clients, and the last `bufferSize` messages are replayed to a client that connects late.
 * On top of that the viewer publishes the transitions it reads from the store: each (machine, node) pair is an actor
 * named as the engine's inspection names it (`inspectionSessionId` without a cluster): `machine:N3`, and `machine`
 * alone for cluster-wide machines.
 *
 * Browsers may connect only from the relay's own origin (its bridge page) or an origin the owner allows (the
 * viewer's page): any other page, even one served from another loopback port, could otherwise read the relay.
 * A client that breaks the protocol (a frame over the size limit, invalid UTF-8) is closed alone; the relay and
 * the process around it keep serving.
 *
 * Watching in Stately's inspector: open the relay's `http://HOST:PORT/`, a bridge page (as `createInspectorServer`
 * serves) that frames the hosted inspector and forwards every relayed message to it with `postMessage`. That page
 * alone loads something from the internet, and only when opened; the viewer page itself never does.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createInspector, type StatelyInspectionEvent } from '@statelyai/inspect';
import type { AnyStateMachine } from 'xstate';
import { type WebSocket, WebSocketServer } from 'ws';
import { inspectionSessionId, parsePlainNodeId, type Transition } from '../index.js';

export type InspectionRelayOptions = Readonly<{
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
  /** Statecharts by machine name, whose definitions are sent with each actor. */
  machines: Readonly<Record<string, AnyStateMachine>>;
  bufferSize?: number;
  /** The inspector UI the bridge page at `/` embeds. Default: Stately's hosted inspector. */
  inspectorUrl?: string;
}>;

export const STATELY_INSPECTOR_URL = 'https://stately.ai/inspect';

export interface InspectionRelay {
  /** `ws://HOST:PORT`: pass it to `createWebSocketInspector({ url })` or `createWebSocketReceiver({ server })`. */
  readonly url: string;
  /** `http://HOST:PORT/`: the bridge page that shows the relayed actors in Stately's inspector. */
  readonly bridgeUrl: string;
  /**
   * Announces the actor of a machine for a node (`3` or `N3`; null: the cluster) in its current state (sent once per
   * actor; later calls are ignored).
   */
  announce(machine: string, node: number | string | null, value: string): void;
  /** Lets pages from `origin` (`http://127.0.0.1:8080`) connect, besides the relay's own bridge page. */
  allowOrigin(origin: string): void;
  /** Publishes one recorded transition as `@xstate.event` + `@xstate.snapshot` (and `@xstate.actor` the first time). */
  publishTransition(transition: Transition): void;
  close(): Promise<void>;
}

const LOOPBACK_HOSTNAMES = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);

/** Whether an Origin names a loopback page (any port) or is absent (programs send none). The relay admits fewer: see `isAllowedOrigin`. */
export function isLoopbackOrigin(origin: string | undefined): boolean {
  if (origin === undefined) return true;
  try {
    return LOOPBACK_HOSTNAMES.has(new URL(origin).hostname);
  } catch {
    return false;
  }
}

/** `origin` with a loopback host name canonicalised (`localhost`, any `127.x`, `::1`), or null when it is not loopback. */
function loopbackOriginKey(origin: string): string | null {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return null;
  }
  const loopback = LOOPBACK_HOSTNAMES.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== 'http:' || !loopback) return null;
  return `http://loopback:${url.port === '' ? '80' : url.port}`;
}

/**
 * Whether a WebSocket upgrade may proceed: programs send no Origin; a browser page must be served from a loopback
 * host on a port in `allowed` (keys of `loopbackOriginKey`: any loopback spelling of the same port is the same server).
 */
export function isAllowedOrigin(origin: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (origin === undefined) return true;
  const key = loopbackOriginKey(origin);
  return key !== null && allowed.has(key);
}

/**
 * Starts the relay on a loopback port.
 *
 * @example
 * const relay = await startInspectionRelay({ machines: { worker: workerMachine } });
 * createWebSocketReceiver({ server: relay.url }).subscribe((e) => console.log(e.type));
 */
export async function startInspectionRelay(options: InspectionRelayOptions): Promise<InspectionRelay> {
  const bufferSize = options.bufferSize ?? 500;
  const buffer: string[] = [];
  const clients = new Set<WebSocket>();
  const allowedOrigins = new Set<string>();

  const broadcast = (text: string, except?: WebSocket): void => {
    buffer.push(text);
    if (buffer.length > bufferSize) buffer.shift();
    for (const client of clients) if (client !== except) client.send(text);
  };

  const inspectorUrl = new URL(options.inspectorUrl ?? STATELY_INSPECTOR_URL);
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://relay.invalid').pathname;
    const address = server.address() as AddressInfo;
    const csp =
      `default-src 'none'; script-src 'self'; frame-src ${inspectorUrl.origin}; ` +
      `connect-src 'self' ws://${request.headers.host ?? `127.0.0.1:${address.port}`}; base-uri 'none'; form-action 'none'`;
    const headers = { 'content-security-policy': csp, 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer', 'cache-control': 'no-store' };
    if (path === '/') {
      response.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' });
      response.end(bridgePage(inspectorUrl.href));
    } else if (path === '/bridge.js') {
      response.writeHead(200, { ...headers, 'content-type': 'text/javascript; charset=utf-8' });
      response.end(bridgeScript(inspectorUrl.origin));
    } else {
      response.writeHead(404, { ...headers, 'content-type': 'text/plain; charset=utf-8' });
      response.end('Connect a WebSocket here (@statelyai/inspect), or open / for the Stately inspector bridge.\n');
    }
  });
  // Text frames only, 1 MiB at most: inspection events are small JSON documents.
  const sockets = new WebSocketServer({
    server,
    maxPayload: 1 << 20,
    verifyClient: (info: { origin?: string }, accept: (ok: boolean, code?: number) => void) => accept(isAllowedOrigin(info.origin, allowedOrigins), 403),
  });
  // After a protocol error ws has already closed the connection with the matching code (1009 too big, 1007 invalid
  // UTF-8); without a listener the error would end the process.
  sockets.on('error', () => undefined);
  sockets.on('connection', (connection) => {
    clients.add(connection);
    // ws has sent the close frame and ends the socket itself; the client only stops receiving.
    connection.on('error', () => clients.delete(connection));
    connection.on('message', (data, isBinary) => {
      if (isBinary) connection.close(1003, 'text frames only');
      else broadcast(Buffer.isBuffer(data) ? data.toString('utf8') : Buffer.concat(Array.isArray(data) ? data : [Buffer.from(data)]).toString('utf8'), connection);
    });
    connection.on('close', () => clients.delete(connection));
    for (const text of buffer) connection.send(text);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  // Once listening, a failure concerns one connection, never the relay (or the viewer process around it).
  server.on('error', () => undefined);
  const address = server.address() as AddressInfo;
  allowedOrigins.add(`http://loopback:${address.port}`);
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  const inspector = createInspector({ send: (event: StatelyInspectionEvent) => broadcast(JSON.stringify(event)) });
  const announced = new Set<string>();
  const actorRef = (machine: string, node: number | string | null, value: string) => {
    const sessionId = inspectionSessionId(machine, typeof node === 'string' ? parsePlainNodeId(node) : node);
    const snapshot = { status: 'active' as const, value, context: {} };
    return { sessionId, id: sessionId, logic: options.machines[machine], send: () => undefined, getSnapshot: () => snapshot };
  };

  const announce = (machine: string, node: number | string | null, value: string): void => {
    const ref = actorRef(machine, node, value);
    if (announced.has(ref.sessionId)) return;
    announced.add(ref.sessionId);
    inspector.actor(ref, ref.getSnapshot());
  };

  return {
    url: `ws://${host}:${address.port}`,
    bridgeUrl: `http://${host}:${address.port}/`,
    announce,
    allowOrigin(origin) {
      const key = loopbackOriginKey(origin);
      if (key !== null) allowedOrigins.add(key);
    },
    publishTransition(transition) {
      announce(transition.machine, transition.node, transition.from);
      const ref = actorRef(transition.machine, transition.node, transition.to);
      const event = { ...transition.input };
      inspector.event(ref, event);
      inspector.snapshot(ref, ref.getSnapshot(), { event });
    },
    async close() {
      for (const client of clients) client.terminate();
      await new Promise<void>((resolve) => sockets.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

function bridgePage(inspectorHref: string): string {
  const src = inspectorHref.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>clusterchart: Stately inspector bridge</title><script src="/bridge.js" defer></script></head>
<body><iframe id="inspector" title="Stately inspector" src="${src}"></iframe></body>
</html>
`;
}

/** Buffers relayed messages until the framed inspector says it is connected, then forwards them to it only. */
function bridgeScript(inspectorOrigin: string): string {
  const origin = JSON.stringify(inspectorOrigin);
  return `'use strict';
(function () {
  var iframe = document.getElementById('inspector');
  [document.documentElement, document.body].forEach(function (el) { el.style.height = '100%'; el.style.margin = '0'; });
  iframe.style.width = '100%';
  iframe.style.height = '100%';
  iframe.style.border = '0';
  var buffer = [];
  var connected = false;
  window.addEventListener('message', function (event) {
    if (event.origin !== ${origin} || !event.data || event.data.type !== '@statelyai.connected') return;
    connected = true;
    buffer.forEach(function (message) { iframe.contentWindow.postMessage(message, ${origin}); });
    buffer = [];
  });
  var socket = new WebSocket('ws://' + location.host);
  socket.onmessage = function (event) {
    var message = JSON.parse(event.data);
    if (connected) iframe.contentWindow.postMessage(message, ${origin});
    else buffer.push(message);
  };
})();
`;
}
