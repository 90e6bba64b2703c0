/**
 * A small progress bar for long operations (verify, audit over big stores). It draws on stderr only when stderr is
 * a terminal and the output is not --json, so piped output and machine output never carry control characters.
 * Redraws happen when the shown percentage changes, not on a timer: no clock, at most 101 redraws.
 */
import type { Writable } from './output.js';

export interface Progress {
  /** Moves to `done` of `total` items. */
  update(done: number): void;
  /** Erases the bar. Idempotent. */
  finish(): void;
}

const WIDTH = 30;

const silent: Progress = { update() {}, finish() {} };

/**
 * @example
 * const bar = createProgress(process.stderr, { label: 'verify', total: 1200, enabled: !json });
 * for (const e of events) bar.update(++n);
 * bar.finish();
 */
export function createProgress(stream: Writable, options: { label: string; total: number; enabled: boolean }): Progress {
  if (!options.enabled || stream.isTTY !== true || options.total <= 0) return silent;
  const { label, total } = options;
  let shown = -1;
  let finished = false;
  return {
    update(done) {
      if (finished) return;
      const percent = Math.min(100, Math.floor((done * 100) / total));
      if (percent === shown) return;
      shown = percent;
      const filled = Math.round((percent * WIDTH) / 100);
      stream.write(`\r${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${String(percent).padStart(3)}% ${done}/${total}`);
    },
    finish() {
      if (finished) return;
      finished = true;
      if (shown >= 0) stream.write('\r\x1b[2K');
    },
  };
}
