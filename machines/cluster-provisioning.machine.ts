/**
 * Cluster provisioning: the initial configuration is written exactly once, and afterwards the
 * default log provider may only move TO `replicated`.
 *
 * Guards read the event only (never the context), so a recorded transition re-runs on its own from its `from`
 * state (`verify`). The context records the last provider for the visualiser; it never decides anything.
 */
import { assign, setup } from 'xstate';
import { PROVIDER_KINDS, type ProviderKind } from '../src/domain/states.js';

export const version = 1;

export type ClusterProvisioningEvent =
  | Readonly<{ type: 'provision'; provider: ProviderKind }>
  | Readonly<{ type: 'change-provider'; provider: ProviderKind }>;

export type ClusterProvisioningContext = { provider: ProviderKind | null };

export const clusterProvisioningMachine = setup({
  types: {
    context: {} as ClusterProvisioningContext,
    events: {} as ClusterProvisioningEvent,
  },
  guards: {
    /** The recorded input names a provider kind this version knows. */
    isKnownProvider: ({ event }) => (PROVIDER_KINDS as readonly string[]).includes(event.provider),
    /** Restate #2713: only a switch to the replicated loglet is supported once the cluster exists. */
    isReplicatedProvider: ({ event }) => event.provider === 'replicated',
  },
  actions: {
    recordProvider: assign({ provider: ({ event }) => event.provider }),
  },
}).createMachine({
  id: 'cluster-provisioning',
  description: 'Whether the cluster has its initial configuration, and which default log provider it uses.',
  initial: 'Unprovisioned',
  context: { provider: null },
  states: {
    Unprovisioned: {
      description:
        'No configuration yet: nodes cannot register. `provision` writes the initial configuration (replicated ' +
        'defaults unless told otherwise); importing a legacy document provisions the same way.',
      on: { provision: { target: 'Provisioned', guard: 'isKnownProvider', actions: 'recordProvider' } },
    },
    Provisioned: {
      description:
        'The configuration exists. Provisioning again is refused (AlreadyProvisioned). The default log provider ' +
        'may change only to `replicated` (otherwise ChooseReplicatedLoglet).',
      on: {
        'change-provider': { target: 'Provisioned', guard: 'isReplicatedProvider', actions: 'recordProvider' },
      },
    },
  },
});
