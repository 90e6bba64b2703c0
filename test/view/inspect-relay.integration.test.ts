import { request } from 'node:http';
import { createWebSocketInspector, createWebSocketReceiver, type StatelyInspectionEvent } from '@statelyai/inspect';
import { afterEach, describe, expect, it } from 'vitest';
import { createActor } from 'xstate';
import type { PlainNodeId } from '../../src/domain/ids.js';
import { isLoopbackOrigin, startInspectionRelay, type InspectionRelay } from '../../src/view/inspect-relay.js';
import { sampleMachine } from './fixtures/sample-machine.js';

let relay: InspectionRelay | undefined;
afterEach(async () => {
  await relay?.close();
  relay = undefined;
});

/** Collects what a Stately receiver sees until `count` messages arrived. */
function receive(url: string, count: number, matching: (e: StatelyInspectionEvent) => boolean = () => true): Promise<StatelyInspectionEvent[]> {
  return new Promise((resolve) => {
    const seen: StatelyInspectionEvent[] = [];
    const subscription = createWebSocketReceiver({ server: url }).subscribe((event) => {
      if (!matching(event)) return;
      seen.push(event);
      if (seen.length === count) {
        subscription.unsubscribe();
        resolve(seen);
      }
    });
  });
}

describe('inspection relay', () => {
  it('publishes recorded transitions as Stately actor, event and snapshot messages', async () => {
    relay = await startInspectionRelay({ machines: { sample: sampleMachine } });
    expect(relay.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+$/);
    const received = receive(relay.url, 3);
    relay.publishTransition({
      machine: 'log-server',
      node: 3 as PlainNodeId,
      from: 'Provisioning',
      to: 'ReadWrite',
      input: { type: 'ProvisionLogServer', marker: 'm-1' },
    });
    const [actor, event, snapshot] = await received;
    expect(actor).toMatchObject({ type: '@xstate.actor', sessionId: 'log-server:N3', snapshot: { value: 'Provisioning' } });
    expect(event).toMatchObject({ type: '@xstate.event', sessionId: 'log-server:N3', event: { type: 'ProvisionLogServer', marker: 'm-1' } });
    expect(snapshot).toMatchObject({ type: '@xstate.snapshot', sessionId: 'log-server:N3', snapshot: { value: 'ReadWrite', status: 'active' } });
    for (const message of [actor, event, snapshot]) expect(typeof message!._version).toBe('string');
  });

  it('sends the machine definition with the actor so the inspector can draw it', async () => {
    relay = await startInspectionRelay({ machines: { sample: sampleMachine } });
    const received = receive(relay.url, 1);
    relay.announce('sample', 'N1', 'ReadWrite');
    relay.announce('sample', 'N1', 'ReadWrite');
    const [actor] = await received;
    expect(actor?.type).toBe('@xstate.actor');
    const definition = JSON.parse((actor as { definition: string }).definition) as { id: string; states: Record<string, unknown> };
    expect(definition.id).toBe('sample');
    expect(Object.keys(definition.states)).toContain('Maintenance');
  });

  it('relays what a createWebSocketInspector client sends to the other clients', async () => {
    relay = await startInspectionRelay({ machines: {} });
    const received = receive(relay.url, 1, (e) => e.type === '@xstate.snapshot' && (e.snapshot as { value?: unknown }).value === 'ReadWrite');
    const inspector = createWebSocketInspector({ url: relay.url });
    const actor = createActor(sampleMachine, { inspect: inspector.inspect }).start();
    actor.send({ type: 'PROVISION', marker: 'm' });
    const [snapshot] = await received;
    expect(snapshot?.sessionId).toBe(actor.sessionId);
    actor.stop();
    inspector.stop();
  });

  it('refuses WebSocket upgrades from non-loopback browser origins', async () => {
    relay = await startInspectionRelay({ machines: {} });
    const url = new URL(relay.url.replace('ws:', 'http:'));
    const status = await new Promise<number | undefined>((resolve, reject) => {
      const req = request({
        host: url.hostname,
        port: url.port,
        headers: { connection: 'Upgrade', upgrade: 'websocket', origin: 'https://evil.example', 'sec-websocket-version': '13', 'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==' },
      });
      req.on('response', (response) => resolve(response.statusCode));
      req.on('upgrade', () => resolve(101));
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(403);
    expect(isLoopbackOrigin('http://localhost:5173')).toBe(true);
    expect(isLoopbackOrigin('http://127.0.0.1.evil.example')).toBe(false);
  });
});

describe('Stately inspector bridge page', () => {
  it('frames the hosted inspector under a CSP that allows only it and the relay', async () => {
    relay = await startInspectionRelay({ machines: {} });
    expect(relay.bridgeUrl).toBe(relay.url.replace('ws:', 'http:') + '/');
    const page = await fetch(relay.bridgeUrl);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain('frame-src https://stately.ai');
    expect(csp).toContain(`ws://${new URL(relay.bridgeUrl).host}`);
    const html = await page.text();
    expect(html).toContain('<iframe id="inspector" title="Stately inspector" src="https://stately.ai/inspect">');
    expect(html).toContain('<script src="/bridge.js" defer></script>');
    const script = await (await fetch(`${relay.bridgeUrl}bridge.js`)).text();
    expect(script).toContain("event.data.type !== '@statelyai.connected'");
    expect(script).toContain('postMessage(message, "https://stately.ai")');
  });
});
