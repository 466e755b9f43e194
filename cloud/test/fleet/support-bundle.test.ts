import assert from 'node:assert/strict';
import { deflateRawSync } from 'node:zlib';
import { bundleDocument, bundleFileName, decodeSlice, MAX_INFLATED_LOG_BYTES } from '../../src/fleet/support-bundle.js';

const slice = (lines: string[]) => ({ deflatedBase64: deflateRawSync(Buffer.from(lines.join('\n'))).toString('base64'), lines: lines.length, truncated: false });

describe('cloud/fleet/support-bundle', () => {
  it('expands the log slice into lines and keeps the rest of the answer', () => {
    const doc = bundleDocument({ versions: { agent: '1.0.0' }, config: { cloud: { password: '[redacted]' } }, logs: slice(['{"msg":"a"}', '{"msg":"b"}']) });
    assert.deepEqual(doc.logs, { lines: ['{"msg":"a"}', '{"msg":"b"}'], truncated: false });
    assert.deepEqual(doc.versions, { agent: '1.0.0' });
    assert.deepEqual(bundleDocument({ status: {} }), { status: {} }, 'no log ring: no logs');
    assert.deepEqual(decodeSlice({ deflatedBase64: '', lines: 0 }), []);
  });

  it('refuses a malformed answer or a slice that inflates past the bound (BUNDLE_INVALID)', () => {
    const bad = (x: unknown) => assert.throws(() => bundleDocument(x), (e: any) => e.code === 'BUNDLE_INVALID');
    bad('text');
    bad({ logs: { deflatedBase64: 7, lines: 1 } });
    bad({ logs: { deflatedBase64: Buffer.from('not deflate').toString('base64'), lines: 1 } });
    bad({ logs: { deflatedBase64: deflateRawSync(Buffer.alloc(MAX_INFLATED_LOG_BYTES + 1, 'x')).toString('base64'), lines: 1 } });
  });

  it('names the file after the gateway with only safe characters', () => {
    assert.equal(bundleFileName('gw-17'), 'gw-17-bundle.json');
    assert.equal(bundleFileName('a"b;\r\nc'), 'a_b___c-bundle.json');
  });
});
