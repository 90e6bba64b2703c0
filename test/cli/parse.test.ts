import { PassThrough } from 'node:stream';
import { InvalidArgumentError } from 'commander';
import { describe, expect, it } from 'vitest';
import { ClusterchartError } from '../../src/domain/errors.js';
import { EXIT_OK, EXIT_REFUSED, EXIT_USAGE, exitCodeOf, table } from '../../src/cli/output.js';
import {
  parseAsOfArg,
  parseIsoArg,
  parseGenerationalArg,
  parseNodeIdArg,
  parsePartitionsArg,
  parseReplicationArg,
  parseRolesArg,
  parseStorageStateArg,
} from '../../src/cli/parse.js';
import { createProgress } from '../../src/cli/progress.js';
import { confirm } from '../../src/cli/prompt.js';

describe('CLI argument parsing', () => {
  it('accepts node ids as N3 or 3, and lets 0 through for the domain to refuse with its own message', () => {
    expect(parseNodeIdArg('N3')).toBe(3);
    expect(parseNodeIdArg('3')).toBe(3);
    expect(parseNodeIdArg('n12')).toBe(12);
    expect(parseNodeIdArg('0')).toBe(0);
    expect(() => parseNodeIdArg('N3:2')).toThrow(InvalidArgumentError);
    expect(() => parseNodeIdArg('three')).toThrow(/not a node id/);
  });

  it('parses generational ids and partition assignments', () => {
    expect(parseGenerationalArg('N3:2')).toEqual({ id: 3, generation: 2 });
    expect(() => parseGenerationalArg('N3')).toThrow(/N3:2/);
    expect(parsePartitionsArg('0=leader, 07=follower')).toEqual({ '0': 'leader', '7': 'follower' });
    expect(() => parsePartitionsArg('0=boss')).toThrow(/P=leader/);
  });

  it('accepts states in PascalCase or kebab-case and reports bad ones as usage errors', () => {
    expect(parseStorageStateArg('read-only')).toBe('ReadOnly');
    expect(parseStorageStateArg('ReadWrite')).toBe('ReadWrite');
    expect(() => parseStorageStateArg('writable')).toThrow(InvalidArgumentError);
    expect(parseRolesArg('log-server,metadata-server,log-server')).toEqual(['log-server', 'metadata-server']);
    expect(() => parseRolesArg('database')).toThrow(/role/);
    expect(parseReplicationArg('{zone: 2, node: 3}')).toEqual({ node: 3, zone: 2 });
  });

  it('reads --as-of as a position when it is digits and as a time otherwise', () => {
    expect(parseAsOfArg('118')).toBe(118);
    expect(parseAsOfArg('2026-01-31T12:00:00Z')).toEqual(new Date('2026-01-31T12:00:00.000Z'));
    expect(() => parseAsOfArg('yesterday')).toThrow(/ISO-8601/);
    expect(() => parseAsOfArg('0')).toThrow(/from 1/);
  });
});

describe('CLI times (--at, --created-at, --as-of)', () => {
  it.each(['1', '%00', '2026-02-30T00:00:00Z', '2026-01-31', '2026-01-31T12:00:00', 'Tue, 01 Jan 2026 00:00:00 GMT', 'yesterday'])(
    'refuses %j as bad usage, showing the expected form',
    (text) => {
      expect(() => parseIsoArg(text)).toThrow(InvalidArgumentError);
      expect(() => parseIsoArg(text)).toThrow(/2026-01-31T12:00:00Z/);
      expect(() => parseAsOfArg(text === '1' ? '2026-13-01T00:00:00Z' : text)).toThrow(InvalidArgumentError);
    },
  );

  it('normalises a real ISO-8601 date-time with a zone to one form', () => {
    expect(parseIsoArg('2026-01-31T12:00:00Z')).toBe('2026-01-31T12:00:00.000Z');
    expect(parseIsoArg('2026-01-31T13:30:00.25+01:30')).toBe('2026-01-31T12:00:00.250Z');
    expect(parseAsOfArg('2026-01-31T13:00:00+01:00')).toEqual(new Date('2026-01-31T12:00:00.000Z'));
  });
});

describe('exit codes', () => {
  it('maps usage and store problems to 2, domain refusals to 1', () => {
    expect(exitCodeOf(new ClusterchartError('InvalidNodeId', 'x'))).toBe(EXIT_USAGE);
    expect(exitCodeOf(new ClusterchartError('StoreUnavailable', 'x'))).toBe(EXIT_USAGE);
    expect(exitCodeOf(new ClusterchartError('ReservedNodeId', 'x'))).toBe(EXIT_REFUSED);
    expect(exitCodeOf(new ClusterchartError('MarkerFromAnotherNode', 'x'))).toBe(EXIT_REFUSED);
    expect(exitCodeOf(new InvalidArgumentError('bad'))).toBe(EXIT_USAGE);
    expect(EXIT_OK).toBe(0);
  });

  it('lays out tables in aligned columns', () => {
    expect(table(['A', 'BB'], [['xyz', '1'], ['', '22']])).toBe('A    BB\nxyz  1\n     22');
  });
});

class Sink {
  text = '';
  constructor(readonly isTTY: boolean) {}
  write(chunk: string) {
    this.text += chunk;
    return true;
  }
}

describe('progress bar', () => {
  it('draws only on a terminal, and not with --json', () => {
    const tty = new Sink(true);
    const bar = createProgress(tty, { label: 'verify', total: 200, enabled: true });
    for (let i = 1; i <= 200; i++) bar.update(i);
    bar.finish();
    expect(tty.text).toContain('100% 200/200');
    // one redraw per percent, not per item
    expect(tty.text.split('\r').length - 1).toBeLessThanOrEqual(102);

    const piped = new Sink(false);
    createProgress(piped, { label: 'verify', total: 10, enabled: true }).update(5);
    const json = new Sink(true);
    createProgress(json, { label: 'verify', total: 10, enabled: false }).update(5);
    expect(piped.text + json.text).toBe('');
  });
});

describe('confirmation', () => {
  const ask = (input: PassThrough & { isTTY?: boolean }, yes = false) =>
    confirm({ question: 'Remove N4?', yes, flag: '--yes', input, output: new PassThrough(), command: 'nodes remove' });

  it('refuses without --yes when stdin is not a terminal', async () => {
    await expect(ask(new PassThrough())).rejects.toMatchObject({ code: 'InvalidInput', message: expect.stringContaining('--yes') });
    await expect(ask(new PassThrough(), true)).resolves.toBe(true);
  });

  it('asks on a terminal and takes only y/yes as consent', async () => {
    for (const [answer, expected] of [['y\n', true], ['YES\n', true], ['n\n', false], ['\n', false]] as const) {
      const input = Object.assign(new PassThrough(), { isTTY: true });
      const pending = ask(input);
      input.write(answer);
      await expect(pending).resolves.toBe(expected);
    }
  });
});
