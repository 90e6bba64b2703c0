/**
 * Inspection (XState inspection events after each durable append, consumable by @statelyai/inspect) and logging
 * (child loggers per subsystem; commands at debug, refusals at info with their code, conflicts at warn).
 */
import { createInspector } from '@statelyai/inspect';
import type { InspectionEvent } from 'xstate';
import { afterEach, describe, expect, it } from 'vitest';
import { logServerMachine } from '../../machines/index.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { capturingLogger, markerOf, openTestEngine } from './support/harness.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()!();
});

type Collected = { type: string; sessionId: string; event?: { type: string }; value?: unknown; logic?: unknown };

describe('inspection', () => {
  it("emits @xstate.actor, @xstate.event and @xstate.snapshot for each node's machines after durable appends only", async () => {
    const collected: Collected[] = [];
    const inspect = (e: InspectionEvent) => {
      const ref = e.actorRef as unknown as { sessionId: string; logic?: unknown };
      collected.push({
        type: e.type,
        sessionId: ref.sessionId,
        ...(e.type === '@xstate.event' || e.type === '@xstate.snapshot' ? { event: e.event } : {}),
        ...(e.type === '@xstate.snapshot' ? { value: (e.snapshot as unknown as { value: unknown }).value } : {}),
        ...(e.type === '@xstate.actor' ? { logic: ref.logic } : {}),
      });
    };
    const engine = await openTestEngine(createMemoryStore(), { inspect });
    cleanups.push(() => engine.close());
    await engine.provision();
    await engine.registerNode({ name: 'n1', roles: ['log-server'] });
    await engine.provisionLogServer({ node: 'N1', marker: markerOf(1) });
    const count = collected.length;
    await expect(engine.provisionLogServer({ node: 'N1', marker: markerOf(1, 'other') })).rejects.toMatchObject({ code: 'MarkerMismatch' });
    expect(collected.length).toBe(count);

    const logServer = collected.filter((c) => c.sessionId === 'test:log-server:N1');
    expect(logServer.map((c) => c.type)).toEqual(['@xstate.actor', '@xstate.event', '@xstate.snapshot']);
    expect(logServer[0]!.logic).toBe(logServerMachine);
    expect(logServer[1]!.event).toMatchObject({ type: 'provision' });
    expect(logServer[2]!.value).toBe('ReadWrite');
    expect(collected.some((c) => c.sessionId === 'test:cluster-provisioning' && c.type === '@xstate.snapshot' && c.value === 'Provisioned')).toBe(true);
    expect(collected.some((c) => c.sessionId === 'test:node-lifecycle:N1' && c.value === 'Registered')).toBe(true);
  });

  it('feeds @statelyai/inspect: a custom adapter receives the statechart definition and the live states', async () => {
    const sent: Record<string, unknown>[] = [];
    const inspector = createInspector({ send: (event: unknown) => void sent.push(event as Record<string, unknown>), start() {}, stop() {} });
    const engine = await openTestEngine(createMemoryStore(), { inspect: inspector });
    cleanups.push(() => engine.close());
    await engine.provision();
    await engine.registerNode({ name: 'n1', roles: ['log-server'] });
    await engine.provisionLogServer({ node: 'N1', marker: markerOf(1) });
    await new Promise((resolve) => setTimeout(resolve, 20)); // the inspector converts on a timer
    const actor = sent.find((e) => e.type === '@xstate.actor' && e.sessionId === 'test:log-server:N1');
    expect(actor).toBeDefined();
    expect(JSON.parse(String(actor!.definition))).toMatchObject({ id: 'log-server', states: { ReadWrite: expect.any(Object) } });
    const snapshot = sent.filter((e) => e.type === '@xstate.snapshot' && e.sessionId === 'test:log-server:N1').pop();
    expect(snapshot).toMatchObject({ snapshot: { value: 'ReadWrite' }, event: { type: 'provision' } });
  });

  it('announces the current state of every machine when an engine starts with an inspector', async () => {
    const store = createMemoryStore();
    const writer = await openTestEngine(store);
    await writer.provision();
    await writer.registerNode({ name: 'n1', roles: ['worker', 'metadata-server'] });
    await writer.close();
    const actors: string[] = [];
    const engine = await openTestEngine(store, { inspect: { next: (e: InspectionEvent) => void (e.type === '@xstate.actor' && actors.push((e.actorRef as unknown as { sessionId: string }).sessionId)) } });
    cleanups.push(() => engine.close());
    expect(actors.sort()).toEqual(['test:cluster-provisioning', 'test:metadata-membership:N1', 'test:node-lifecycle:N1', 'test:worker:N1']);
  });
});

describe('logging', () => {
  it('logs commands at debug, refusals at info with their code, under the engine subsystem', async () => {
    const { logger, records } = capturingLogger('debug');
    const engine = await openTestEngine(createMemoryStore(), { logger });
    cleanups.push(() => engine.close());
    await engine.provision({ commandId: 'p-1' });
    await expect(engine.provision({ commandId: 'p-2' })).rejects.toMatchObject({ code: 'AlreadyProvisioned' });
    const applied = records.find((r) => r.commandId === 'p-1' && r.msg === 'command');
    expect(applied).toMatchObject({ level: 20, subsystem: 'engine', cluster: 'test', type: 'ProvisionCluster', outcome: 'applied' });
    const refused = records.find((r) => r.commandId === 'p-2');
    expect(refused).toMatchObject({ level: 30, subsystem: 'engine', code: 'AlreadyProvisioned', outcome: 'refused' });
    expect(records.find((r) => r.msg === 'engine loaded')).toMatchObject({ store: 'memory:' });
  });
});
