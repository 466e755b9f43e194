import assert from 'node:assert/strict';
import { CausewayError, propertiesFor } from '@causeway/shared';
import type { GroupSpec } from '../../src/queues/contract.js';
import type { QueueMessage } from '../../src/queues/queue-message.js';
import { errorReply, fromWire, isPing, parseRequest, PING, toWire } from '../../src/store/jetstream/queue-wire.js';

const spec: GroupSpec = { queue: 'telemetry', group: 'analytics', mode: 'clustering' };

/** The calls one node forwards to the node that runs a group (issue 9); they come over the network. */
describe('jetstream: the wire of forwarded queue calls (queue-wire)', () => {
  describe('parseRequest accepts each call', () => {
    const good: unknown[] = [
      { op: 'pull', spec, member: 'm', max: 10, waitMs: 0 },
      { op: 'pull', spec: { ...spec, mode: 'broadcasting', filter: '/+/+/temp' }, member: 'm', max: 1, waitMs: 5000 },
      { op: 'ack', spec, member: 'm', offsets: [1, 2, 3] },
      { op: 'ack', spec, member: 'm', offsets: [] },
      { op: 'seek', spec, member: 'm', to: { offset: 4 } },
      { op: 'seek', spec, member: 'm', to: { time: 1_700_000_000_000 } },
      { op: 'lag', spec, member: 'default' },
    ];
    for (const v of good) {
      it(JSON.stringify(v), () => {
        assert.deepEqual(parseRequest(v), v);
      });
    }
  });

  describe('parseRequest refuses a malformed call with its code', () => {
    const bad: Array<[string, unknown, string]> = [
      ['null', null, 'QUEUE_BAD_REQUEST'],
      ['a string', 'pull', 'QUEUE_BAD_REQUEST'],
      ['no spec', { op: 'lag', member: 'm' }, 'QUEUE_BAD_REQUEST'],
      ['an unknown mode', { op: 'lag', spec: { ...spec, mode: 'fanout' }, member: 'm' }, 'QUEUE_BAD_REQUEST'],
      ['a bad queue name', { op: 'lag', spec: { ...spec, queue: 'a/b' }, member: 'm' }, 'ID_INVALID'],
      ['a filter without "/"', { op: 'lag', spec: { ...spec, filter: 'x' }, member: 'm' }, 'QUEUE_BAD_FILTER'],
      ['a member that is not a string', { op: 'lag', spec, member: 7 }, 'QUEUE_BAD_REQUEST'],
      ['a pull without max', { op: 'pull', spec, member: 'm', waitMs: 0 }, 'QUEUE_BAD_REQUEST'],
      ['a pull with a fractional wait', { op: 'pull', spec, member: 'm', max: 1, waitMs: 0.5 }, 'QUEUE_BAD_REQUEST'],
      ['an ack of strings', { op: 'ack', spec, member: 'm', offsets: ['1'] }, 'QUEUE_BAD_REQUEST'],
      ['an ack without offsets', { op: 'ack', spec, member: 'm' }, 'QUEUE_BAD_REQUEST'],
      ['a seek to nowhere', { op: 'seek', spec, member: 'm', to: {} }, 'QUEUE_BAD_REQUEST'],
      ['a seek without to', { op: 'seek', spec, member: 'm' }, 'QUEUE_BAD_REQUEST'],
      ['an unknown op', { op: 'drop', spec, member: 'm' }, 'QUEUE_BAD_REQUEST'],
    ];
    for (const [what, v, code] of bad) {
      it(`${what} → ${code}`, () => {
        assert.throws(() => parseRequest(v), (err: unknown) => (err as { code?: unknown }).code === code);
      });
    }
  });

  it('a message crosses the wire unchanged, its payload as base64 text', () => {
    const m: QueueMessage = {
      queue: 'telemetry',
      offset: 12,
      messageId: 40,
      topic: 'telemetry/gw1/d1/temp',
      properties: propertiesFor('telemetry/gw1/d1/temp', { qos: 1, clientId: 'gw1' }),
      payload: Buffer.from([0, 1, 2, 0xff, 0xfe]),
      createdAt: 1_700_000_000_000,
      deliveryCount: 2,
    };
    const w = toWire(m);
    assert.equal(w.payload, 'AAEC//4=');
    assert.deepEqual(fromWire(JSON.parse(JSON.stringify(w))), m);
  });

  it('a failed call is answered with its error code, or QUEUE_FAILED for an error without one', () => {
    assert.deepEqual(errorReply(new CausewayError('QUEUE_GROUP_CONFLICT', 'is clustering')), { error: { code: 'QUEUE_GROUP_CONFLICT', message: 'is clustering' } });
    assert.deepEqual(errorReply(new Error('boom')), { error: { code: 'QUEUE_FAILED', message: 'boom' } });
    assert.deepEqual(errorReply('text'), { error: { code: 'QUEUE_FAILED', message: 'text' } });
  });

  it('tells a liveness probe from a call', () => {
    assert.equal(isPing(JSON.parse(PING)), true);
    assert.equal(isPing({ op: 'lag', spec, member: 'm' }), false);
    assert.equal(isPing(null), false);
  });
});
