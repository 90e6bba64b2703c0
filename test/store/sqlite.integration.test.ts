import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite.js';
import { describeEventStoreConformance } from './conformance.js';

const dir = mkdtempSync(join(tmpdir(), 'clusterchart-sqlite-conformance-'));
let n = 0;
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describeEventStoreConformance('sqlite', () => openSqliteStore(join(dir, `store-${++n}.db`)));
