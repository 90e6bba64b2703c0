/**
 * The viewer's time travel: the library's `ClusterHistory` (the one fold of the cluster stream) projected onto what
 * the page draws.
 */
import type { ClusterHistory } from '../index.js';
import { viewOf, type ViewState } from './model.js';

/**
 * The view after the first `count` events of a history (0: the empty cluster; `count` at the head: the live state).
 *
 * @example
 * const earlier = await viewAfter(history, history.countAtPosition(120));
 */
export async function viewAfter(history: ClusterHistory, count: number): Promise<ViewState> {
  const wanted = Math.max(0, Math.min(count, history.count));
  return viewOf(await history.stateAfter(wanted), history.positionAfter(wanted));
}
