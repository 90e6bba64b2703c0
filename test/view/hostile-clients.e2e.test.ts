/**
 * The built `clusterchart view --inspect` (a separate process, as an operator runs it) against clients that send what
 * no inspector sends: an oversized frame, invalid UTF-8, a page from another loopback port. Each such client is
 * dropped alone; the viewer keeps serving. A port that is taken is bad usage with a message, never a crash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { MAIN, cliProcess, ensureBuilt } from '../cli/support/cli.js';

let dir: string;
let storeUrl: string;
let viewer: ChildProcess | undefined;
let exited: number | null | undefined;
let url: string;
let relayUrl: string;

/** Starts `clusterchart view --inspect` and resolves with the viewer's and the relay's URLs. */
function startViewerProcess(): Promise<{ url: string; relay: string }> {
  const child = spawn(process.execPath, [MAIN, '--store', storeUrl, 'view', '--inspect'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LOG_LEVEL: 'warn' } });
  viewer = child;
  child.on('exit', (code) => (exited = code));
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const page = /clusterchart viewer: (http:\/\/\S+)/.exec(stdout)?.[1];
      const relay = /inspection relay: (ws:\/\/\S+)/.exec(stdout)?.[1];
      if (page !== undefined && relay !== undefined) resolve({ url: page, relay });
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('exit', (code) => reject(new Error(`clusterchart view exited with ${String(code)}: ${stderr}`)));
  });
}

/** Opens a socket to the relay; resolves once it is open. */
function connect(headers: Record<string, string> = {}): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const socket = new WebSocket(relayUrl, { headers });
    socket.once('open', () => resolve(socket));
    socket.once('error', reject);
    socket.once('unexpected-response', (_request, response) => reject(new Error(`refused with ${String(response.statusCode)}`)));
  });
}

/** Resolves with the close code the server ends `socket` with. */
function closedWith(socket: WebSocket): Promise<number> {
  return new Promise((resolve) => {
    socket.on('error', () => undefined);
    socket.once('close', (code) => resolve(code));
  });
}

async function pageAnswers(): Promise<number> {
  const response = await fetch(url);
  await response.text();
  return response.status;
}

describe('clusterchart view under hostile inspection clients', () => {
  beforeAll(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'cc-view-hostile-'));
    storeUrl = `sqlite:${join(dir, 'cluster.db')}`;
    const provisioned = await cliProcess(['--store', storeUrl, 'provision', '--cluster', 'c1']);
    expect(provisioned.code).toBe(0);
    ({ url, relay: relayUrl } = await startViewerProcess());
  }, 60_000);

  afterAll(async () => {
    viewer?.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  });

  it('drops a client that sends a frame over the size limit, and keeps serving', async () => {
    const bystander = await connect();
    const attacker = await connect();
    const closed = closedWith(attacker);
    attacker.send('x'.repeat((1 << 20) + 1));
    expect(await closed).toBe(1009);
    expect(await pageAnswers()).toBe(200);
    expect(exited).toBeUndefined();
    expect(bystander.readyState).toBe(WebSocket.OPEN);
    bystander.close();
  });

  it('drops a client that sends invalid UTF-8 in a text frame, and keeps serving', async () => {
    const attacker = await connect();
    const closed = closedWith(attacker);
    attacker.send(Buffer.from([0x7b, 0xff, 0xfe, 0x7d]), { binary: false });
    expect(await closed).toBe(1007);
    expect(await pageAnswers()).toBe(200);
    expect(exited).toBeUndefined();
    // Another client is still welcome.
    const next = await connect();
    next.close();
  });

  it('refuses a page served from another loopback port, and accepts its own origin', async () => {
    const port = new URL(relayUrl).port;
    const otherPort = String(Number(port) === 65535 ? 1 : Number(port) + 1);
    await expect(connect({ origin: `http://127.0.0.1:${otherPort}` })).rejects.toThrow(/403/);
    await expect(connect({ origin: `http://localhost:${otherPort}` })).rejects.toThrow(/403/);
    await expect(connect({ origin: 'http://localhost' })).rejects.toThrow(/403/);
    const own = await connect({ origin: `http://127.0.0.1:${port}` });
    own.close();
    const viewerPage = await connect({ origin: new URL(url).origin });
    viewerPage.close();
    expect(exited).toBeUndefined();
  });

  it('reports a taken port as bad usage (exit 2) naming the port', async () => {
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(0, '127.0.0.1', resolve));
    const port = (holder.address() as AddressInfo).port;
    try {
      const result = await cliProcess(['--store', storeUrl, 'view', '--port', String(port)]);
      expect(result.code).toBe(2);
      expect(result.stderr).toContain(String(port));
      expect(result.stderr).toMatch(/--port/);
      expect(result.stderr).not.toMatch(/unexpected error/);
      const json = await cliProcess(['--json', '--store', storeUrl, 'view', '--port', String(port)]);
      expect(json.code).toBe(2);
      expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'InvalidInput' } });
    } finally {
      await new Promise<void>((resolve) => holder.close(() => resolve()));
    }
  }, 30_000);
});
