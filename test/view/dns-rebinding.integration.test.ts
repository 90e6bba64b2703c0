/**
 * DNS rebinding: whenever the viewer is bound to a loopback address, in whatever spelling `host` named it, a request
 * that names a foreign host is refused and one that names the viewer's own host is served.
 */
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import type { EventStore } from '../../src/store/event-store.js';
import { createMemoryStore } from '../../src/store/memory.js';
import { isLoopbackAddress, startViewer, type Viewer } from '../../src/view/server.js';
import { quiet, registryCharts } from './support/cluster.js';

let viewer: Viewer | undefined;
let store: EventStore | undefined;
afterEach(async () => {
  await viewer?.close();
  await store?.close();
  viewer = store = undefined;
});

/** The status of a GET of `url` sent with the given Host header. */
function statusWithHost(url: string, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: { host } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the viewer against DNS rebinding', () => {
  it.each(['127.1', '::ffff:127.0.0.1', '0:0:0:0:0:0:0:1', 'localhost', '127.0.0.1', '::1', '127.0.0.2'])(
    'bound with --host %s, refuses Host: attacker.example and serves its own host',
    async (host) => {
      store = createMemoryStore();
      viewer = await startViewer({ store, machines: registryCharts, logger: quiet, host });
      const own = new URL(viewer.url).host;
      expect(await statusWithHost(viewer.url, 'attacker.example')).toBe(421);
      expect(await statusWithHost(viewer.url, `attacker.example:${new URL(viewer.url).port}`)).toBe(421);
      expect(await statusWithHost(viewer.url, own)).toBe(200);
      expect(await statusWithHost(viewer.url, `localhost:${new URL(viewer.url).port}`)).toBe(200);
    },
  );

  it('knows every spelling of a loopback address, and nothing else', () => {
    for (const address of ['127.1', '127.0.0.1', '127.255.255.254', '::1', '0:0:0:0:0:0:0:1', '::ffff:127.0.0.1', '::ffff:7f00:1', 'localhost', 'LOCALHOST', '2130706433']) {
      expect(isLoopbackAddress(address), address).toBe(true);
    }
    for (const address of ['0.0.0.0', '::', '10.0.0.1', '::ffff:10.0.0.1', 'attacker.example', '127.0.0.1.evil.example', 'localhost.evil.example', '']) {
      expect(isLoopbackAddress(address), address).toBe(false);
    }
  });
});
