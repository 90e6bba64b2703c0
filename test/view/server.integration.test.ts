import { get, request } from 'node:http';
import { createWebSocketReceiver, type StatelyInspectionEvent } from '@statelyai/inspect';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import type { EventStore } from '../../src/store/event-store.js';
import { createMemoryStore } from '../../src/store/memory.js';
import type { ViewState } from '../../src/view/model.js';
import { startViewer, type ChartView, type Viewer } from '../../src/view/server.js';
import { lastPosition, marker, quiet, registryCharts, seedCluster } from './support/cluster.js';

let viewer: Viewer | undefined;
let engine: Engine | undefined;
let store: EventStore | undefined;
afterEach(async () => {
  await viewer?.close();
  await engine?.close();
  await store?.close();
  viewer = engine = store = undefined;
});

type Response = { status: number; headers: Record<string, string | string[] | undefined>; body: string };

function fetchText(url: string, options: { method?: string; headers?: Record<string, string> } = {}): Promise<Response> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

const json = async <T>(url: string): Promise<T> => JSON.parse((await fetchText(url)).body) as T;

type Message = { event: string; data: unknown };

/** An open event stream; `next()` yields its messages in order. */
function openStream(url: string): { next: () => Promise<Message>; close: () => void } {
  const queue: Message[] = [];
  const waiting: ((message: Message) => void)[] = [];
  let buffer = '';
  const req = get(url, (res) => {
    res.setEncoding('utf8');
    res.on('data', (chunk: string) => {
      buffer += chunk;
      let end: number;
      while ((end = buffer.indexOf('\n\n')) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.*)$/m.exec(block)?.[1];
        const data = /^data: (.*)$/m.exec(block)?.[1];
        if (event === undefined || data === undefined) continue;
        const message = { event, data: JSON.parse(data) as unknown };
        const waiter = waiting.shift();
        if (waiter === undefined) queue.push(message);
        else waiter(message);
      }
    });
  });
  req.on('error', () => undefined);
  return {
    next: () => {
      const message = queue.shift();
      return message === undefined ? new Promise((resolve) => waiting.push(resolve)) : Promise.resolve(message);
    },
    close: () => req.destroy(),
  };
}

describe('viewer server', () => {
  it('serves the page with a strict CSP and every chart with an element per state', async () => {
    store = createMemoryStore();
    ({ engine } = await seedCluster(store));
    viewer = await startViewer({ store, machines: registryCharts, logger: quiet });
    expect(viewer.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);

    const page = await fetchText(viewer.url);
    expect(page.status).toBe(200);
    expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
    const csp = String(page.headers['content-security-policy']);
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.body).toContain('<script src="/app.js" defer></script>');
    expect(page.body).not.toMatch(/https?:\/\/(?!www\.w3\.org)/);
    for (const asset of ['app.js', 'app.css']) expect((await fetchText(viewer.url + asset)).status).toBe(200);

    const charts = await json<ChartView[]>(`${viewer.url}api/charts`);
    expect(charts.map((c) => c.name)).toEqual(Object.keys(registryCharts));
    for (const chart of charts) {
      expect(chart.svg.startsWith('<svg')).toBe(true);
      for (const state of Object.keys(registryCharts[chart.name]!.machine.states)) {
        expect(chart.svg.replace(/&#45;/g, "-")).toContain(`id="${chart.states[state]}"`);
      }
    }
  });

  it('answers the state at the head and as of an earlier position (time travel)', async () => {
    store = createMemoryStore();
    let beforeN2ReadWrite: number;
    ({ engine, beforeN2ReadWrite } = await seedCluster(store));
    viewer = await startViewer({ store, cluster: 'demo', machines: registryCharts, logger: quiet });
    await viewer.waitForPosition(await lastPosition(store));

    const head = await json<ViewState>(`${viewer.url}api/state`);
    expect(head.cluster).toBe('demo');
    expect(head.nodes.map((n) => `${n.id} ${n.name}`)).toEqual(['N1 alpha', 'N2 beta', 'N3 gamma']);
    expect(head.occupancy['log-server']).toEqual({ ReadWrite: ['N1', 'N2'], Provisioning: ['N3'] });
    expect(head.occupancy['cluster-provisioning']).toEqual({ Provisioned: ['cluster'] });

    const before = await json<ViewState>(`${viewer.url}api/state?position=${beforeN2ReadWrite}`);
    expect(before.position).toBe(beforeN2ReadWrite);
    expect(before.occupancy['log-server']).toEqual({ ReadWrite: ['N1'], Provisioning: ['N2', 'N3'] });

    const empty = await json<ViewState>(`${viewer.url}api/state?position=0`);
    expect(empty).toMatchObject({ position: 0, revision: -1, provisioned: false, nodes: [] });

    type Entry = { position: number; revision: number; summary: string };
    const timeline = await json<{ cluster: string; count: number; recent: Entry[] }>(`${viewer.url}api/timeline`);
    expect(timeline.count).toBe(8);
    expect(timeline.recent.at(-1)?.summary).toBe('log-server N2: Provisioning -> ReadWrite');

    const byRevision = await json<ViewState & { entry: Entry; count: number }>(`${viewer.url}api/state?revision=6`);
    expect(byRevision.position).toBe(beforeN2ReadWrite);
    expect(byRevision.entry).toMatchObject({ revision: 6, position: beforeN2ReadWrite, summary: 'log-server N1: Provisioning -> ReadWrite' });
    expect(byRevision.count).toBe(8);
    const none = await json<ViewState & { entry: Entry | null }>(`${viewer.url}api/state?revision=-1`);
    expect(none).toMatchObject({ position: 0, entry: null, nodes: [] });

    const window = await json<{ entries: Entry[] }>(`${viewer.url}api/timeline?from=1&to=3`);
    expect(window.entries.map((e) => e.revision)).toEqual([1, 2, 3]);
    expect(window.entries[0]?.summary).toBe('node-lifecycle N1: Unregistered -> Registered (name "alpha", generation 1)');
  });

  it('pushes new events to open pages as server-sent events', async () => {
    store = createMemoryStore();
    ({ engine } = await seedCluster(store));
    viewer = await startViewer({ store, machines: registryCharts, logger: quiet });
    await viewer.waitForPosition(await lastPosition(store));
    const stream = openStream(`${viewer.url}api/stream`);
    const first = await stream.next();
    expect(first.event).toBe('timeline');
    expect(first.data).toMatchObject({ cluster: 'demo', count: 8, problem: null });
    expect((first.data as { recent: unknown[] }).recent).toHaveLength(8);
    await engine.registerNode({ name: 'delta', roles: ['worker'] });
    const append = await stream.next();
    stream.close();
    expect(append.event).toBe('append');
    expect(append.data).toMatchObject({ count: 9, entry: { type: 'NodeRegistered', revision: 8 } });
    expect((append.data as { entry: { summary: string } }).entry.summary).toContain('"delta"');
  });

  it('finds the cluster when it appears after the viewer started on an empty store', async () => {
    store = createMemoryStore();
    viewer = await startViewer({ store, machines: registryCharts, logger: quiet });
    expect((await fetchText(`${viewer.url}api/state`)).status).toBe(404);
    ({ engine } = await seedCluster(store));
    await viewer.waitForPosition(await lastPosition(store));
    expect((await json<ViewState>(`${viewer.url}api/state`)).nodes).toHaveLength(3);
  });

  it('is read-only, validates positions and answers only to loopback host names', async () => {
    store = createMemoryStore();
    viewer = await startViewer({ store, machines: registryCharts, logger: quiet });
    const post = await fetchText(`${viewer.url}api/state`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
    for (const query of ['position=-1', 'revision=-2', 'revision=1.5', 'position=x']) {
      const bad = await fetchText(`${viewer.url}api/state?${query}`);
      expect(bad.status).toBe(400);
      expect(JSON.parse(bad.body)).toMatchObject({ error: { code: 'InvalidInput' } });
    }
    expect((await fetchText(`${viewer.url}api/timeline?from=-1`)).status).toBe(400);
    expect((await fetchText(viewer.url, { headers: { host: 'attacker.example:80' } })).status).toBe(421);
    expect((await fetchText(viewer.url, { headers: { host: `localhost:${new URL(viewer.url).port}` } })).status).toBe(200);
    expect((await fetchText(`${viewer.url}nope`)).status).toBe(404);
  });

  it('relays the transitions it reads to inspection clients when asked', async () => {
    store = createMemoryStore();
    ({ engine } = await seedCluster(store));
    viewer = await startViewer({ store, machines: registryCharts, logger: quiet, inspect: { port: 0 } });
    expect(viewer.inspectUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const snapshot = new Promise<StatelyInspectionEvent>((resolve) => {
      const subscription = createWebSocketReceiver({ server: viewer!.inspectUrl! }).subscribe((event) => {
        if (event.type === '@xstate.snapshot' && event.sessionId === 'log-server:N3') {
          subscription.unsubscribe();
          resolve(event);
        }
      });
    });
    await engine.provisionLogServer({ node: 'N3', marker: marker(3) });
    expect(await snapshot).toMatchObject({ snapshot: { value: 'ReadWrite' }, event: { type: 'provision' } });
  });
});
