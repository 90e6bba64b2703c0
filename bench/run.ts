/**
 * `npm run bench -- NAME [--quick] [...]`: runs bench/NAME.ts. A bench module exports
 * `run(options: BenchOptions): Promise<void>` (see report.ts for the output contract); a module without `run`
 * is expected to do its work when imported.
 */
import { readdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseBenchArgs, type BenchOptions } from './report.js';

const here = dirname(fileURLToPath(import.meta.url));
const NOT_BENCHES = new Set(['run', 'report']);
const available = readdirSync(here)
  .filter((f) => f.endsWith('.ts') && !NOT_BENCHES.has(f.slice(0, -3)))
  .map((f) => f.slice(0, -3))
  .sort();

const [name, ...rest] = process.argv.slice(2);
if (name === undefined || !available.includes(name)) {
  process.stderr.write(`${name === undefined ? 'Name a benchmark' : `Unknown benchmark "${name}"`}: npm run bench -- NAME [--quick]; available: ${available.join(', ')}.\n`);
  process.exit(2);
}
const module = (await import(pathToFileURL(`${here}/${name}.ts`).href)) as { run?: (options: BenchOptions) => Promise<void> };
if (typeof module.run === 'function') await module.run(parseBenchArgs(rest));
