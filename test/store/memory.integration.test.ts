import { createMemoryStore } from '../../src/store/memory.js';
import { describeEventStoreConformance } from './conformance.js';

describeEventStoreConformance('memory', () => Promise.resolve(createMemoryStore()));
