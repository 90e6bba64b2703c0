/**
 * The engine's default logger: pino, JSON lines to stderr (stdout belongs to the CLI's data), level from
 * `LOG_LEVEL` (default `info`). Subsystems log through child loggers (`{ subsystem: 'engine' | 'store' |
 * 'snapshots' | 'projections' }`). Nothing logged carries credentials: stores are named by `store.url`, which
 * adapters return with any user:password removed.
 */
import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * @example
 * const logger = createDefaultLogger(); // or pino({ level: 'debug' }, pino.destination(2))
 * const engine = await createEngine({ store: 'memory:', cluster: 'dev', logger });
 */
export function createDefaultLogger(level: string = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ name: 'clusterchart', level }, pino.destination(2));
}
