import assert from 'node:assert/strict';
import { SerialCommandRouter, commandLine } from '../../src/commands/serial-command-router.js';
import { CausewayError } from '@causeway/shared';

const LINES: Array<[string, Record<string, unknown>, string | RegExp]> = [
  ['set-relay', { state: true }, 'set-relay on'],
  ['set-relay', { state: false }, 'set-relay off'],
  ['set-interval', { ms: 5000 }, 'set-interval 5000'],
  ['reboot', {}, 'reboot'],
  ['set-mode', { mode: 'eco', level: 2 }, 'set-mode eco 2'],
  ['Set-Relay', {}, /not a device command/],
  ['set-relay', { state: 'on\nreboot' }, /without spaces or control characters/],
  ['set-relay', { state: { nested: 1 } }, /string, finite number or boolean/],
  ['set-interval', { ms: Number.NaN }, /string, finite number or boolean/],
];

describe('edge/commands/serial-command-router', () => {
  for (const [name, args, want] of LINES) {
    it(`${name} ${JSON.stringify(args)} → ${want}`, () => {
      if (typeof want === 'string') assert.equal(commandLine(name, args), want);
      else assert.throws(() => commandLine(name, args), (e: unknown) => e instanceof CausewayError && e.code === 'COMMAND_INVALID' && want.test(e.message));
    });
  }

  const setup = (answer: (line: string) => string | null, plugged = true) => {
    const sent: string[] = [];
    const router = new SerialCommandRouter(
      {
        sendToDevice: (device, line) => {
          if (!plugged) return false;
          sent.push(`${device}:${line}`);
          const reply = answer(line);
          if (reply !== null) setTimeout(() => router.onReply(device, reply), 5);
          return true;
        },
      },
      () => new Set(['relay-1']),
    );
    return { router, sent };
  };

  it('matches replies to commands, one command per device at a time', async () => {
    const { router, sent } = setup((line) => `>ok ${line}`);
    const ac = new AbortController();
    const [a, b] = await Promise.all([router.execute('relay-1', 'set-relay', { s: true }, ac.signal), router.execute('relay-1', 'set-relay', { s: false }, ac.signal)]);
    assert.deepEqual(a, { reply: 'ok set-relay on' });
    assert.deepEqual(b, { reply: 'ok set-relay off' });
    assert.deepEqual(sent, ['relay-1:set-relay on', 'relay-1:set-relay off']);
    assert.equal(router.has('relay-1'), true);
    assert.equal(router.has('ghost'), false);
  });

  const FAILS: Array<[string, string | null, boolean, string]> = [
    ['an unknown command', '>err unknown-command frob', true, 'COMMAND_REJECTED'],
    ['a device error', '>err relay stuck', true, 'COMMAND_FAILED'],
    ['an unplugged device', null, false, 'COMMAND_FAILED'],
  ];
  for (const [what, reply, plugged, code] of FAILS) {
    it(`fails ${what} with ${code}`, async () => {
      const { router } = setup(() => reply, plugged);
      await assert.rejects(router.execute('relay-1', 'frob', {}, new AbortController().signal), (e: unknown) => e instanceof CausewayError && e.code === code);
    });
  }

  it('gives up when aborted (timeout) and ignores the late reply', async () => {
    const { router } = setup(() => null);
    const ac = new AbortController();
    const p = router.execute('relay-1', 'reboot', {}, ac.signal);
    setTimeout(() => ac.abort(), 20);
    await assert.rejects(p, (e: unknown) => e instanceof CausewayError && e.code === 'COMMAND_ABORTED');
    router.onReply('relay-1', '>ok reboot'); // late: no throw, nobody waiting
  });
});
