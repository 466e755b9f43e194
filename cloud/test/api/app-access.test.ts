import assert from 'node:assert/strict';
import { checkGrants, checkGroupName, checkRawPublishTopic, formatAppToken, mayPublish, mayRead, parseAppToken, type Principal } from '../../src/api/app-access.js';
import { KNOWN_QUEUES } from '../../src/api/queue-routes.js';

const op: Principal = { kind: 'operator' };
const app: Principal = { kind: 'app', id: 'billing', read: ['telemetry'], publish: ['alerts/billing/#'] };
const all: Principal = { kind: 'app', id: 'ops', read: ['*'], publish: [] };

const code = (f: () => void): string | undefined => {
  try {
    f();
    return undefined;
  } catch (err) {
    return (err as { code: string }).code;
  }
};

describe('cloud/api/app-access', () => {
  const READS: Array<[string, Principal, string, string | undefined]> = [
    ['the operator reads any queue', op, 'events', undefined],
    ['an app reads its queue', app, 'telemetry', undefined],
    ['an app does not read another queue', app, 'cmd-result', 'API_FORBIDDEN'],
    ['"*" reads every queue', all, 'status', undefined],
  ];
  for (const [what, who, queue, want] of READS) it(`mayRead: ${what}`, () => assert.equal(code(() => mayRead(who, queue)), want));

  const PUBLISHES: Array<[string, Principal, string, string | undefined]> = [
    ['the operator publishes anywhere', op, 'x/y', undefined],
    ['an app publishes within its filter', app, 'alerts/billing/late', undefined],
    ['an app does not publish outside its filters', app, 'alerts/ops/late', 'API_FORBIDDEN'],
    ['an app with no filters publishes nothing', all, 'alerts/billing/late', 'API_FORBIDDEN'],
  ];
  for (const [what, who, topic, want] of PUBLISHES) it(`mayPublish: ${what}`, () => assert.equal(code(() => mayPublish(who, topic)), want));

  const RAW: Array<[string, string | undefined]> = [
    ['alerts/site1/door', undefined],
    ['telemetry/gw1/d/t', undefined],
    ['cmd/gw1/relay/c1', 'API_FORBIDDEN'],
    ['cmd-group/north/c1', 'API_FORBIDDEN'],
    ['cmd-all/c1', 'API_FORBIDDEN'],
    ['config/gw1', 'API_FORBIDDEN'],
    ['cmd-result/gw1/relay/c1', 'API_FORBIDDEN'],
    ['cert-req/gw1', 'API_FORBIDDEN'], // a renewal only over the gateway's mTLS session (issue 20)
    ['cert/gw1', 'API_FORBIDDEN'],
    ['config-reported/gw1', 'API_FORBIDDEN'],
    ['status/gw1', 'API_FORBIDDEN'],
    ['$SYS/x', 'API_FORBIDDEN'],
    ['alerts/../cmd/gw1/r/c', 'API_BAD_REQUEST'],
    ['alerts/./x', 'API_BAD_REQUEST'],
    ['..', 'API_BAD_REQUEST'],
    ['alerts/+', 'TOPIC_INVALID'],
    ['', 'TOPIC_INVALID'],
    ['alerts/...', undefined],
  ];
  for (const [topic, want] of RAW) it(`checkRawPublishTopic("${topic}") → ${want ?? 'ok'}`, () => assert.equal(code(() => checkRawPublishTopic(topic)), want));

  it('reserves consumer group names starting with "_"', () => {
    assert.equal(code(() => checkGroupName('_control')), 'API_BAD_REQUEST');
    assert.equal(code(() => checkGroupName('analytics_1')), undefined);
  });

  const GRANTS: Array<[string, string[], string[], string | undefined]> = [
    ['known queues and a filter', ['telemetry', 'events'], ['alerts/#'], undefined],
    ['every queue', ['*'], [], undefined],
    ['an unknown queue', ['cmd'], [], 'API_BAD_REQUEST'],
    ['a bad filter', [], ['a/#/b'], 'FILTER_INVALID'],
    ['a command filter', [], ['cmd/#'], 'API_BAD_REQUEST'],
    ['a config filter', [], ['config/+'], 'API_BAD_REQUEST'],
  ];
  for (const [what, read, publish, want] of GRANTS) it(`checkGrants: ${what}`, () => assert.equal(code(() => checkGrants(read, publish, KNOWN_QUEUES)), want));

  it('round-trips an app token, the id may contain dots', () => {
    assert.deepEqual(parseAppToken(formatAppToken('billing.eu', 'c2VjcmV0')), { id: 'billing.eu', secret: 'c2VjcmV0' });
    for (const bad of ['', 'cwa_', 'cwa_.x', 'cwa_abc', 'cwa_abc.', 'op-token']) assert.equal(parseAppToken(bad), undefined, bad);
  });
});
