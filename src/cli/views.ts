/**
 * The read views the CLI prints (observe, health, audit): the JSON shapes the library's reader returns, printed as
 * they are with --json, and their readable twins.
 */
import { type AuditEntry, type ClusterHealth, type ObservedClusterStateJson, formatReplication } from '../index.js';
import { table } from './output.js';

export function observeText(json: ObservedClusterStateJson): string {
  const alive = Object.values(json.aliveNodes);
  const lines = [
    `As of position ${json.position}: alive ${alive.length === 0 ? '(none)' : alive.join(', ')}; dead ${json.deadNodes.length === 0 ? '(none)' : json.deadNodes.join(', ')}.`,
  ];
  const partitions = Object.entries(json.partitions).sort((a, b) => Number(a[0]) - Number(b[0]));
  if (partitions.length === 0) lines.push('No partition has a processor on an alive node.');
  else {
    const rows = partitions.map(([id, processors]) => {
      const byMode = (mode: string) =>
        Object.entries(processors)
          .filter(([, m]) => m === mode)
          .map(([n]) => n)
          .join(',');
      return [id, byMode('leader') || '-', byMode('follower') || '-'];
    });
    lines.push(table(['PARTITION', 'LEADER', 'FOLLOWERS'], rows));
  }
  return lines.join('\n');
}

/** `{healthy, metadata: {members, alive, quorum, ok}, logs: {replication, readWriteServers, nodeset, ok}}`, plus reasons. */
export type HealthJson = ClusterHealth;

export function healthText(health: HealthJson): string {
  const m = health.metadata;
  const l = health.logs;
  const lines = [
    `${health.healthy ? 'HEALTHY' : 'UNHEALTHY'}`,
    `  metadata: ${m.alive} of ${m.members} members alive, quorum ${m.quorum}: ${m.ok ? 'ok' : 'NOT OK'}`,
    `  logs:     ${l.provider ?? 'no provider'}${l.replication === null ? '' : `, replication ${formatReplication(l.replication)}`}, ` +
      `${l.readWriteServers} ReadWrite log server(s), nodeset ${l.nodeset.length === 0 ? '(none)' : l.nodeset.join(', ')}: ${l.ok ? 'ok' : 'NOT OK'}`,
    ...health.reasons.map((r) => `  reason:   ${r}`),
    ...health.warnings.map((w) => `  warning:  ${w}`),
  ];
  return lines.join('\n');
}

/** `[{position, revision, at, type, commandId, machine, node, from, to}, ...]` plus the projection's extra fields. */
export type AuditJson = AuditEntry;

export function auditText(entries: readonly AuditJson[]): string {
  if (entries.length === 0) return 'No audit entries match.';
  return table(
    ['POS', 'AT', 'ACTOR', 'EVENT', 'NODE', 'TRANSITION', 'COMMAND'],
    entries.map((e) => [
      String(e.position),
      e.at,
      e.actor ?? '-',
      e.type,
      e.previousNode === undefined ? (e.node ?? '-') : `${e.previousNode}->${e.node ?? '?'}`,
      e.machine === null ? '' : `${e.machine}: ${e.from ?? '?'} -> ${e.to ?? '?'}${e.forced ? ' (forced)' : ''}`,
      e.commandId,
    ]),
  );
}
