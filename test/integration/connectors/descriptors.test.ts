import { describe, expect, it } from 'vitest';
import { ACTION_DESCRIPTORS } from '../../../functions/connectors/descriptors.ts';
import { startLocalRuntime } from '../../../lib/local/runtime.ts';

describe('action descriptors', () => {
  it('describe exactly the connectors the gateway runs, with the risk each connector declares', async () => {
    const runtime = await startLocalRuntime({ port: 0 });
    try {
      const connectors = [...runtime.connectors.values()];
      expect(connectors.map((c) => c.type).sort()).toEqual(Object.keys(ACTION_DESCRIPTORS).sort());
      for (const connector of connectors)
        expect([connector.type, connector.risk]).toEqual([
          connector.type,
          ACTION_DESCRIPTORS[connector.type]?.risk,
        ]);
    } finally {
      await runtime.close();
    }
  });

  it('name compensations that are themselves connectors, and only for undoable actions', () => {
    for (const [type, descriptor] of Object.entries(ACTION_DESCRIPTORS)) {
      if (!descriptor.compensation) continue;
      expect(
        ACTION_DESCRIPTORS[descriptor.compensation.action],
        `${type} → ${descriptor.compensation.action}`,
      ).toBeDefined();
    }
  });
});
