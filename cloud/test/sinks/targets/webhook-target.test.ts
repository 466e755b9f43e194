import assert from 'node:assert/strict';
import { classifyStatus } from '../../../src/sinks/targets/webhook-target.js';
import { verifyWebhookSignature, webhookSignature } from '../../../src/sinks/targets/webhook-signature.js';

describe('sinks/targets/webhook: answers and signatures', () => {
  const table: Array<[number, string]> = [
    [200, 'ok'], [201, 'ok'], [204, 'ok'],
    [301, 'dead'], [400, 'dead'], [401, 'dead'], [404, 'dead'], [413, 'dead'], [422, 'dead'],
    [408, 'retry'], [429, 'retry'], [500, 'retry'], [502, 'retry'], [503, 'retry'],
  ];
  for (const [status, want] of table) it(`HTTP ${status} → ${want}`, () => assert.equal(classifyStatus(status), want));

  it('signs "<timestamp>.<body>" with HMAC-SHA256 and verifies it in constant time', () => {
    const key = Buffer.from('k'.repeat(32));
    // RFC 2104 HMAC-SHA256 of "1.{}" under that key, computed once with openssl
    const sig = webhookSignature(key, 1, '{}');
    assert.equal(sig, 'sha256=533ff6d088ebbd8b8eda578fab6866516503044a5a167b1cb03ecce1c2b8a844');
    assert.equal(verifyWebhookSignature(key, 1, '{}', sig), true);
    assert.equal(verifyWebhookSignature(key, 2, '{}', sig), false, 'another timestamp');
    assert.equal(verifyWebhookSignature(key, 1, '{ }', sig), false, 'another body');
    assert.equal(verifyWebhookSignature(Buffer.from('x'), 1, '{}', sig), false, 'another key');
  });
});
