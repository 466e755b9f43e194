import assert from 'node:assert/strict';
import { journalEntryToLine, levelOfPriority, parseJournalJson, unitFromCgroup } from '../../src/logs/journal-entries.js';

// 2026-12-06T03:00:00.123Z in journald's microseconds
const US = String(Date.parse('2026-12-06T03:00:00.123Z') * 1000 + 456);
const agentLine = JSON.stringify({ ts: '2026-12-06T03:00:00.120Z', level: 'warn', name: 'causeway-edge', msg: 'uplink lost' });

describe('logs/journal-entries: the agent\'s entries from journalctl -o json (issue 20)', () => {
  it('maps syslog priorities to levels', () => {
    const table: Array<[unknown, string]> = [['0', 'error'], ['2', 'error'], ['3', 'error'], ['4', 'warn'], ['5', 'info'], ['6', 'info'], ['7', 'debug'], [undefined, 'info'], ['9', 'info'], [6, 'info'], ['', 'info']];
    for (const [p, level] of table) assert.equal(levelOfPriority(p), level, String(p));
  });

  it('keeps the agent\'s own JSON lines as they are; turns any other message into a line of its own', () => {
    const table: Array<[string, unknown, string | undefined]> = [
      ['an agent line', { MESSAGE: agentLine, PRIORITY: '4', __REALTIME_TIMESTAMP: US }, agentLine],
      ['a crash trace', { MESSAGE: 'TypeError: x is undefined\n    at f (main.js:1)\n', PRIORITY: '3', __REALTIME_TIMESTAMP: US }, JSON.stringify({ ts: '2026-12-06T03:00:00.123Z', level: 'error', msg: 'TypeError: x is undefined\n    at f (main.js:1)', source: 'journal' })],
      ['systemd about the unit', { MESSAGE: 'causeway-edge.service: Main process exited, code=exited, status=1/FAILURE', PRIORITY: '6', __REALTIME_TIMESTAMP: US }, JSON.stringify({ ts: '2026-12-06T03:00:00.123Z', level: 'info', msg: 'causeway-edge.service: Main process exited, code=exited, status=1/FAILURE', source: 'journal' })],
      ['a message given as bytes (not UTF-8 clean)', { MESSAGE: [104, 105, 27, 91, 48, 109], PRIORITY: '5', __REALTIME_TIMESTAMP: US }, JSON.stringify({ ts: '2026-12-06T03:00:00.123Z', level: 'info', msg: 'hi\u001b[0m', source: 'journal' })],
      ['JSON that is not an agent line', { MESSAGE: '{"foo":1}', __REALTIME_TIMESTAMP: US }, JSON.stringify({ ts: '2026-12-06T03:00:00.123Z', level: 'info', msg: '{"foo":1}', source: 'journal' })],
      ['no message', { PRIORITY: '6', __REALTIME_TIMESTAMP: US }, undefined],
      ['an empty message', { MESSAGE: '', __REALTIME_TIMESTAMP: US }, undefined],
      ['a message of another type', { MESSAGE: { a: 1 }, __REALTIME_TIMESTAMP: US }, undefined],
      ['bytes out of range', { MESSAGE: [104, 300], __REALTIME_TIMESTAMP: US }, undefined],
      ['a plain message without a time', { MESSAGE: 'x' }, undefined],
      ['a time that is no number', { MESSAGE: 'x', __REALTIME_TIMESTAMP: '12ab' }, undefined],
      ['not an object', 'MESSAGE', undefined],
      ['null', null, undefined],
    ];
    for (const [name, entry, line] of table) assert.equal(journalEntryToLine(entry), line, name);
  });

  it('parses the whole output, oldest first, skipping blank and broken lines', () => {
    const out = [
      JSON.stringify({ MESSAGE: agentLine, __REALTIME_TIMESTAMP: US, PRIORITY: '4', _SYSTEMD_UNIT: 'causeway-edge.service' }),
      '',
      '{"MESSAGE": "cut off',
      JSON.stringify({ MESSAGE: 'Started causeway-edge.service', __REALTIME_TIMESTAMP: String(Number(US) + 1_000_000), PRIORITY: '6' }),
      '',
    ].join('\n');
    const lines = parseJournalJson(out);
    assert.equal(lines.length, 2);
    assert.equal(lines[0], agentLine);
    assert.deepEqual(JSON.parse(lines[1]!), { ts: '2026-12-06T03:00:01.123Z', level: 'info', msg: 'Started causeway-edge.service', source: 'journal' });
    assert.deepEqual(parseJournalJson(''), []);
  });

  it('finds the service unit in /proc/self/cgroup (v2 and v1), and none outside a service', () => {
    assert.equal(unitFromCgroup('0::/system.slice/causeway-edge.service\n'), 'causeway-edge.service');
    assert.equal(unitFromCgroup('12:memory:/system.slice/x.service\n1:name=systemd:/system.slice/causeway-edge@2.service\n0::/\n'), 'causeway-edge@2.service');
    assert.equal(unitFromCgroup('0::/user.slice/user-1000.slice/session-3.scope\n'), undefined);
    assert.equal(unitFromCgroup('0::/\n'), undefined);
    assert.equal(unitFromCgroup(''), undefined);
  });
});
