import assert from 'node:assert/strict';
import mqtt, { type Packet } from 'mqtt-packet';
import { encodePlainAck } from '../src/ack-encoding.js';

describe('encodePlainAck: acknowledgements without mqtt-packet, the same bytes', () => {
  for (const version of [3, 4, 5]) {
    for (const cmd of ['puback', 'pubrec', 'pubrel', 'pubcomp'] as const) {
      it(`v${version} ${cmd}`, () => {
        for (const messageId of [1, 258, 65535]) {
          const packet = { cmd, messageId } as Packet;
          assert.deepEqual(encodePlainAck(packet, version), mqtt.generate(packet, { protocolVersion: version === 3 ? 3 : version }));
          assert.deepEqual(encodePlainAck({ cmd, messageId, reasonCode: 0 } as Packet, version), mqtt.generate(packet, { protocolVersion: version === 3 ? 3 : version }));
        }
      });
    }
  }

  it('leaves a failure reason code, properties and other packets to mqtt-packet', () => {
    assert.equal(encodePlainAck({ cmd: 'puback', messageId: 1, reasonCode: 0x87 } as Packet, 5), undefined);
    assert.equal(encodePlainAck({ cmd: 'puback', messageId: 1, properties: { reasonString: 'x' } } as Packet, 5), undefined);
    assert.equal(encodePlainAck({ cmd: 'pingresp' } as Packet, 4), undefined);
  });
});
