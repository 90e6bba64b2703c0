export * from './errors.js';
export * from './ids.js';
export * from './replication.js';
export * from './states.js';
export * from './schemas.js';
export * from './commands.js';
export * from './events.js';
export * from './cluster-state.js';
