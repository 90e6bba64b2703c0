#!/usr/bin/env node
/**
 * The `clusterchart` command. One file per command group, each exporting `register(program, cli)`: to add a group,
 * import its `register` here and add it to `COMMANDS` (the order is the order of `--help`).
 */
import { runCli, type Register } from './program.js';
import { register as provision } from './provision.js';
import { register as nodes } from './nodes.js';
import { register as metadata } from './metadata.js';
import { register as logServer } from './log-server.js';
import { register as worker } from './worker.js';
import { register as logs } from './logs.js';
import { register as observations } from './observations.js';
import { register as observe } from './observe.js';
import { register as health } from './health.js';
import { register as audit } from './audit.js';
import { register as verify } from './verify.js';
import { register as migrate } from './migrate.js';
import { register as demo } from './demo.js';
import { register as machines } from './machines.js';
import { register as view } from './view.js';

const COMMANDS: readonly Register[] = [
  provision,
  nodes,
  metadata,
  logServer,
  worker,
  logs,
  observations,
  observe,
  health,
  audit,
  verify,
  migrate,
  demo,
  machines,
  view,
];

const code = await runCli(process.argv.slice(2), COMMANDS, {
  stdin: process.stdin,
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
});
// Exit explicitly once stdout has drained: a lingering handle (a store, a timer) must not keep a finished command alive.
process.stdout.write('', () => process.exit(code));
