/**
 * End to end in a real browser: the built `clusterchart view` (a separate process, as a user runs it) on a temporary sqlite
 * store written by an engine in this process, driven through Debian's chromium with playwright-core.
 *
 * Skipped only when /usr/bin/chromium is missing outside CI; in CI (`.ci/run` installs it) it must run.
 * Leaves the screenshot test-artifacts/viewer.png.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine/engine.js';
import type { EventStore } from '../../src/store/event-store.js';
import { openStore } from '../../src/store/open-store.js';
import { MAIN, ensureBuilt } from '../cli/support/cli.js';
import { seedCluster } from './support/cluster.js';

const CHROMIUM = '/usr/bin/chromium';
const runs = existsSync(CHROMIUM) || process.env.CI !== undefined;
const XSS_NAME = '<img src=x onerror=alert(1)>';
/** Waiting for the page (SSE, the store's 100 ms poll, rendering) on a loaded CI machine; never a timing assertion. */
const patience = { timeout: 20_000, interval: 50 };

let dir: string;
let store: EventStore;
let engine: Engine;
let beforeN2ReadWrite: number;
let viewerProcess: ChildProcess | undefined;
let url: string;
let browser: Browser | undefined;
let page: Page;
const dialogs: string[] = [];
const consoleErrors: string[] = [];

/** Starts `clusterchart view` and resolves with the URL it prints. */
function startViewerProcess(storeUrl: string): Promise<string> {
  const child = spawn(process.execPath, [MAIN, '--store', storeUrl, 'view'], { stdio: ['ignore', 'pipe', 'pipe'] });
  viewerProcess = child;
  return new Promise((resolve, reject) => {
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      const found = /clusterchart viewer: (http:\/\/\S+)/.exec(stdout);
      if (found?.[1] !== undefined) resolve(found[1]);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('exit', (code) => reject(new Error(`clusterchart view exited with ${String(code)}: ${stderr}`)));
  });
}

const stateElement = (machine: string, state: string) => page.locator(`[id="state:${machine}.${state}"]`);
const legend = (machine: string, state: string) => page.locator(`article[data-machine="${machine}"] .legend li[data-state="${state}"]`);

describe.skipIf(!runs)('viewer in chromium', () => {
  beforeAll(async () => {
    await ensureBuilt();
    dir = await mkdtemp(join(tmpdir(), 'cc-viewer-'));
    const storeUrl = `sqlite:${join(dir, 'cluster.db')}`;
    store = await openStore(storeUrl);
    ({ engine, beforeN2ReadWrite } = await seedCluster(store));
    url = await startViewerProcess(storeUrl);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'],
    });
    page = await browser.newPage({ viewport: { width: 1600, height: 1100 } });
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    page.on('console', (message) => {
      if (message.type() === 'error') consoleErrors.push(message.text());
    });
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    await page.goto(url);
  });

  afterAll(async () => {
    await browser?.close();
    if (viewerProcess !== undefined && viewerProcess.exitCode === null) {
      const exited = new Promise((resolve) => viewerProcess!.once('exit', resolve));
      viewerProcess.kill('SIGTERM');
      await exited;
    }
    await engine?.close();
    await store?.close();
    if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  });

  it('draws every statechart as boxes and labelled arrows', async () => {
    await expect.poll(() => page.locator('article.chart svg').count(), patience).toBe(5);
    for (const machine of ['cluster-provisioning', 'node-lifecycle', 'metadata-membership', 'log-server', 'worker']) {
      const chart = page.locator(`article[data-machine="${machine}"]`);
      expect(await chart.locator('g.node').count()).toBeGreaterThan(1);
      expect(await chart.locator('g.edge text').count()).toBeGreaterThan(0);
    }
    await expect.poll(() => page.locator('#cluster').textContent(), patience).toBe('demo');
  });

  it("highlights every node's current state and lists the nodes", async () => {
    await expect.poll(() => page.locator('#nodes-body tr').count(), patience).toBe(3);
    expect(await page.locator('#nodes-body tr td.name').allTextContents()).toEqual(['alpha', 'beta', 'gamma']);
    await expect.poll(() => stateElement('log-server', 'ReadWrite').getAttribute('class'), patience).toContain('current');
    expect(await stateElement('log-server', 'Provisioning').getAttribute('class')).toContain('current');
    expect(await stateElement('log-server', 'Gone').getAttribute('class')).not.toContain('current');
    expect(await stateElement('cluster-provisioning', 'Provisioned').getAttribute('class')).toContain('current');
    expect(await legend('log-server', 'ReadWrite').textContent()).toBe('ReadWriteN1 alpha, N2 beta');
    expect(await legend('log-server', 'Provisioning').textContent()).toBe('ProvisioningN3 gamma');

    await page.locator('#nodes-body tr[data-node-id="N3"]').click();
    await expect.poll(() => stateElement('log-server', 'Provisioning').getAttribute('class'), patience).toContain('selected');
    expect(await stateElement('log-server', 'ReadWrite').getAttribute('class')).not.toContain('selected');
  });

  it('replays history: moving the slider back shows the earlier state', async () => {
    const slider = page.locator('#slider');
    const max = Number(await slider.getAttribute('max'));
    expect(max).toBe(8);
    await slider.fill(String(max - 1));
    await expect.poll(() => page.locator('body').getAttribute('data-position'), patience).toBe(String(beforeN2ReadWrite));
    expect(await legend('log-server', 'ReadWrite').textContent()).toBe('ReadWriteN1 alpha');
    expect(await page.locator('#nodes-body tr[data-node-id="N2"] td').nth(5).textContent()).toBe('Provisioning');
    expect(await page.locator('#position').textContent()).toContain(`event 7 of 8 · position ${beforeN2ReadWrite}`);

    await slider.fill('0');
    await expect.poll(() => page.locator('body').getAttribute('data-position'), patience).toBe('0');
    expect(await page.locator('#nodes-body tr').count()).toBe(0);
    expect(await stateElement('cluster-provisioning', 'Unprovisioned').getAttribute('class')).toContain('current');

    await page.locator('#follow').click();
    await expect.poll(() => legend('log-server', 'ReadWrite').textContent(), patience).toBe('ReadWriteN1 alpha, N2 beta');
  });

  it('shows a node registered meanwhile, live, with its hostile name as text and no dialog', async () => {
    await engine.registerNode({ name: XSS_NAME, roles: ['worker'] });
    const row = page.locator('#nodes-body tr[data-node-id="N4"]');
    await expect.poll(() => row.count(), patience).toBe(1);
    expect(await row.locator('td.name').textContent()).toBe(XSS_NAME);
    expect(await row.locator('td.name').innerHTML()).toBe('&lt;img src=x onerror=alert(1)&gt;');
    expect(await page.locator('img').count()).toBe(0);
    await expect.poll(() => page.locator('#slider').getAttribute('max'), patience).toBe('9');
    expect(await page.locator('#event').textContent()).toContain(`"${XSS_NAME}"`);
    expect(await legend('worker', 'Provisioning').textContent()).toContain(`N4 ${XSS_NAME}`);

    await page.locator('#nodes-body tr[data-node-id="N2"]').click();
    await expect.poll(() => page.locator('#nodes-body tr.selected').getAttribute('data-node-id'), patience).toBe('N2');
    await mkdir('test-artifacts', { recursive: true });
    await page.screenshot({ path: 'test-artifacts/viewer.png', fullPage: true });
    expect(dialogs).toEqual([]);
    expect(consoleErrors).toEqual([]);
  });

  it('loads older timeline entries from the server when the page only holds the recent ones', async () => {
    await Promise.all(Array.from({ length: 50 }, (_, i) => engine.registerNode({ name: `extra-${i}`, roles: ['worker'] })));
    await expect.poll(() => page.locator('#slider').getAttribute('max'), patience).toBe('59');
    await page.locator('#slider').fill('3');
    await expect.poll(() => page.locator('#events li.at').textContent(), patience).toBe('3metadata configuration v1: seed N1; members N1');
    expect(await page.locator('#event').textContent()).toContain('MetadataConfigurationChanged  metadata configuration v1: seed N1; members N1');
    expect(await page.locator('#events li.future').count()).toBe(10);
    await expect.poll(() => page.locator('#nodes-body tr').count(), patience).toBe(1);
    expect(consoleErrors).toEqual([]);
  });
});
