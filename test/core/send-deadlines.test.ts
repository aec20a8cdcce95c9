import { describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock.js';
import type { PluginDefinition, Provider } from '../../src/plugin-api.js';
import { withDeadline } from '../../src/plugin-kit/deadline.js';
import { builtinsWith } from '../helpers/builtins.js';
import { manualClock } from '../helpers/clock.js';
import { API_KEY, configText, eventually, startGateway } from '../helpers/gateway.js';

/**
 * A provider that runs a 10 s deadline within the engine's signal, as plugins do, and one beside
 * it: whether the two got the same shared signal.
 */
function probePlugin() {
  const shared: boolean[] = [];
  const definition: PluginDefinition<Record<string, never>> = {
    name: 'probe',
    optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
    channels: () => ['sms'],
    create(): Provider {
      return {
        async send(_message, { signal }) {
          const within = await withDeadline(10_000, async (s) => s, signal);
          const alone = await withDeadline(10_000, async (s) => s);
          shared.push(within === alone && within !== signal);
          return { providerMessageId: `probe-${shared.length}`, status: 'sent' };
        },
      };
    },
  };
  return { shared, builtins: builtinsWith(definition) };
}

const CONFIG = configText(`
providers:
  probe: { plugin: probe }
routes:
  default:
    steps:
      - { channel: sms, providers: [probe], until: sent, within: 1m }
`);

/** Sends one message through the probe on `clock` (real time without one); what the probe saw. */
async function probeOnce(clock?: Clock): Promise<boolean[]> {
  const probe = probePlugin();
  const gw = await startGateway(CONFIG, { builtins: probe.builtins, ...(clock ? { clock } : {}) });
  try {
    await gw.request.post('/v1/messages').set('x-api-key', API_KEY).send({ route: 'default', to: { sms: '+15551234567' }, content: { text: 'x' } }).expect(202);
    return await eventually(() => {
      expect(probe.shared).toHaveLength(1);
      return probe.shared;
    });
  } finally {
    await gw.close();
  }
}

describe("a plugin's deadline within the engine's send ceiling", () => {
  it('on real time, needs no timer of its own: the ceiling is foretold, so it shares its window', async () => {
    expect(await probeOnce()).toEqual([true]);
  });

  it("on a test's clock, follows the ceiling with a controller of its own: that ceiling passes whenever the clock says", async () => {
    expect(await probeOnce(manualClock().clock)).toEqual([false]);
  });
});
