import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openStore, parseStoreUrl, redactUrl } from '../../src/store/open-store.js';
import { collect, event, refusal } from './conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'clusterchart-open-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('store URLs', () => {
  it('parses memory, sqlite and EventStoreDB / KurrentDB URLs', () => {
    expect(parseStoreUrl('memory:')).toEqual({ kind: 'memory' });
    expect(parseStoreUrl('sqlite:./clusterchart.db')).toEqual({ kind: 'sqlite', path: './clusterchart.db' });
    expect(parseStoreUrl('sqlite:/var/lib/cc.db')).toEqual({ kind: 'sqlite', path: '/var/lib/cc.db' });
    expect(parseStoreUrl('sqlite:///var/lib/cc.db')).toEqual({ kind: 'sqlite', path: '/var/lib/cc.db' });
    expect(parseStoreUrl('esdb://localhost:2113?tls=false')).toEqual({ kind: 'esdb', url: 'esdb://localhost:2113?tls=false', connectionString: 'esdb://localhost:2113?tls=false' });
    expect(parseStoreUrl('kurrentdb://u:p@h:2113')).toMatchObject({ kind: 'esdb', connectionString: 'esdb://u:p@h:2113' });
  });

  it('refuses other URLs with InvalidInput naming the accepted forms, without credentials', () => {
    for (const url of ['', '   ', 'sqlite:', 'postgres://admin:hunter2@db/cc', 'clusterchart.db', 'memory:x']) {
      let error: unknown;
      try {
        parseStoreUrl(url);
      } catch (e) {
        error = e;
      }
      expect(error).toMatchObject({ code: 'InvalidInput' });
      expect((error as Error).message).toMatch(/sqlite:/);
      expect((error as Error).message).not.toContain('hunter2');
    }
  });

  it('redacts user and password from every URL in a text', () => {
    expect(redactUrl('esdb://admin:changeit@h:2113?tls=false')).toBe('esdb://h:2113?tls=false');
    expect(redactUrl('failed: esdb://a:b@h1:2113 and kurrentdb://c@h2')).toBe('failed: esdb://h1:2113 and kurrentdb://h2');
    expect(redactUrl('sqlite:./x.db')).toBe('sqlite:./x.db');
  });

  it('openStore opens working memory and sqlite stores that report their URL', async () => {
    const memory = await openStore('memory:');
    expect(memory.url).toBe('memory:');
    const path = join(dir, 'opened.db');
    const sqlite = await openStore(`sqlite:${path}`);
    expect(sqlite.url).toBe(`sqlite:${path}`);
    for (const store of [memory, sqlite]) {
      await store.appendToStream('s', [event('A')], { expectedRevision: 'no-stream' });
      expect((await collect(store.readAll())).map((e) => e.type)).toEqual(['A']);
      await store.close();
    }
    await refusal(openStore('nope'), 'InvalidInput');
    await refusal(openStore(`sqlite:${join(dir, 'missing-dir', 'x.db')}`), 'StoreUnavailable');
  });
});
