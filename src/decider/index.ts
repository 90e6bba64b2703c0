/** The decider: `decide(state, command)` judges a command against the cluster state; `evolve` applies its events. */
export * from './decide.js';
export * from './evolve.js';
export { activeWorkerCount, liveNodeByName, nodesetCandidateCount } from './node-index.js';
export * from './machine-states.js';
export * from './nodeset.js';
export * from './verify-transition.js';
