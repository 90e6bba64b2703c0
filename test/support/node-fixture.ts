/**
 * Child processes of the tests start with plain `node` on a JavaScript copy of their TypeScript fixture, not through
 * a TypeScript loader: a child then starts in about a fifth of the time, which matters for tests that start dozens.
 * The fixture is transpiled (types stripped; `tsc --noEmit` type-checks it) into .tmp/fixtures/ at its own relative
 * path, beside links to the built dist/ folders, so its `../../../src/...` imports load the built library. dist/ is
 * built first when it is missing or stale.
 */
import { mkdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { ROOT, ensureBuilt } from '../cli/support/cli.js';

const OUT = join(ROOT, '.tmp', 'fixtures');
const compiled = new Map<string, Promise<string>>();

function link(folder: string): void {
  try {
    symlinkSync(join(ROOT, 'dist', folder), join(OUT, folder), 'dir');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
}

/**
 * The path of the runnable JavaScript for a TypeScript fixture (a path or a `file:` URL): pass it to `node`.
 *
 * @example
 * spawn(process.execPath, [await nodeFixture(new URL('./fixtures/writer.ts', import.meta.url)), ...args]);
 */
export function nodeFixture(fixture: string | URL): Promise<string> {
  const source = typeof fixture === 'string' ? fixture : fileURLToPath(fixture);
  let done = compiled.get(source);
  if (done === undefined) {
    done = (async () => {
      await ensureBuilt();
      const target = join(OUT, relative(ROOT, source)).replace(/\.ts$/, '.js');
      mkdirSync(dirname(target), { recursive: true });
      for (const folder of ['src', 'machines', 'projections']) link(folder);
      const { outputText } = ts.transpileModule(readFileSync(source, 'utf8'), {
        fileName: source,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
      });
      // Several test workers may compile the same fixture: each writes its own file and renames it into place.
      const temporary = `${target}.${process.pid}.tmp`;
      writeFileSync(temporary, outputText);
      renameSync(temporary, target);
      return target;
    })();
    compiled.set(source, done);
  }
  return done;
}
