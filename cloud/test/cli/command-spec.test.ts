import assert from 'node:assert/strict';
import { outputFormat, parseCommand, unknownAction, type CommandSpec } from '../../src/cli/command-spec.js';

const SPEC: CommandSpec = {
  name: 'things',
  summary: 'test things',
  usage: ['causeway things list'],
  flags: { group: { type: 'string', value: 'G', help: 'g' }, json: { type: 'boolean', help: 'j' }, output: { type: 'string', short: 'o', value: 'table|json|wide', help: 'o' } },
  examples: ['causeway things list', 'causeway things list -o json'],
  actions: ['list', 'add'],
};

describe('cloud/cli/command-spec: parsing a command line', () => {
  it('parses flags and positionals', () => {
    const r = parseCommand(SPEC, ['list', '--group', 'north', '-o', 'wide']);
    assert.deepEqual(r.positionals, ['list']);
    assert.equal(r.values.group, 'north');
    assert.equal(outputFormat(r.values), 'wide');
    assert.equal(outputFormat(parseCommand(SPEC, ['--json']).values), 'json');
    assert.equal(outputFormat(parseCommand(SPEC, []).values), 'table');
  });

  const mistakes: Array<[string[], string]> = [
    [['--jsn'], 'unknown flag --jsn for "causeway things"; did you mean --json? (see causeway things --help)'],
    [['--gruop=x'], 'unknown flag --gruop for "causeway things"; did you mean --group? (see causeway things --help)'],
    [['--zzzzzz'], 'unknown flag --zzzzzz for "causeway things" (see causeway things --help)'],
    [['--group'], '--group needs a value (G) (see causeway things --help)'],
    [['-o'], '--output needs a value (table|json|wide) (see causeway things --help)'],
    [['--json=yes'], '--json takes no value (see causeway things --help)'],
  ];
  for (const [argv, msg] of mistakes) {
    it(`refuses ${argv.join(' ')} as a usage error`, () => {
      assert.throws(() => parseCommand(SPEC, argv), (e: any) => e.code === 'USAGE' && e.message === msg);
    });
  }

  it('names the closest action', () => {
    assert.equal(unknownAction(SPEC, 'lsit').message, 'unknown action "lsit" for "causeway things"; did you mean list? (see causeway things --help)');
  });

  it('refuses an unknown -o', () => {
    assert.throws(() => outputFormat({ output: 'yaml' }), (e: any) => e.code === 'USAGE');
  });
});
