/**
 * The library's read side: a reader over a store (`openClusterReader`), and the functions it is made of — verify,
 * audit, time travel over the cluster stream, and the read models folded by the projection runner. Nothing here
 * writes; everything returned is plain JSON data.
 */
export { audit, type AuditOptions } from './audit.js';
export {
  ClusterHistory,
  clusterStateAt,
  type HistoryPoint,
  MAX_TIMELINE_WINDOW,
  summarize,
  timeAtPosition,
  timeline,
  type TimelineEntry,
} from './history.js';
export { type ReadModelName, ReadModels, type ReadModelsOptions } from './read-models.js';
export { type ClusterReader, type ClusterReaderOptions, openClusterReader, type StreamRevisions } from './reader.js';
export { historySize, verifyHistory, type VerifyOptions, type VerifyProblem, type VerifyProgress, type VerifyReport } from './verify.js';
