import assert from 'node:assert/strict';
import { answerCommand } from '../../src/devices/commands.js';
import type { DeviceState } from '../../src/profiles/profile.js';

const st: DeviceState = { intervalMs: 100, relay: false, seq: 7 };

describe('firmware-sim/devices/commands', () => {
  const table: [string, string | null, Partial<DeviceState>, number?][] = [
    ['set-interval 500', '>ok set-interval 500', { intervalMs: 500 }],
    ['set-interval 5', '>err set-interval needs 10..3600000 ms', {}],
    ['set-interval soon', '>err set-interval needs 10..3600000 ms', {}],
    ['set-relay on', '>ok set-relay on', { relay: true }],
    ['set-relay maybe', '>err set-relay needs on|off', {}],
    ['reboot', '>ok reboot', { seq: 0 }],
    ['ACK 7', null, {}, 7],
    ['ACK x', '>err bad-ack', {}],
    ['  set-relay   on  \r', '>ok set-relay on', { relay: true }],
    ['', null, {}],
    ['format-disk', '>err unknown-command format-disk', {}],
  ];
  for (const [line, reply, change, acked] of table) {
    it(JSON.stringify(line), () => {
      const r = answerCommand(line, st);
      assert.equal(r.reply, reply);
      assert.deepEqual(r.state, { ...st, ...change });
      assert.equal(r.acked, acked);
    });
  }
});
