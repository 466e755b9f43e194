import assert from 'node:assert/strict';
import { parseFleetCsv } from '../../src/cli/fleet-csv.js';

describe('cli/fleet-csv: the fleet file of causeway devices import', () => {
  it('reads rows with their file lines, lists in groups and tags, quoted fields, comments and blanks', () => {
    const { rows, errors } = parseFleetCsv('# fleet of december\nid,kind,groups,tags,gateway\n\ngw-1,,north;rsu,site=a9;lane=2,\n"th,1",device,,"note=say ""hi""",gw-1\r\n');
    assert.deepEqual(errors, []);
    assert.deepEqual(rows, [
      { line: 4, id: 'gw-1', groups: ['north', 'rsu'], tags: { site: 'a9', lane: '2' } },
      { line: 5, id: 'th,1', kind: 'device', tags: { note: 'say "hi"' }, gateway: 'gw-1' },
    ]);
  });

  it('reports every malformed line and an unknown column', () => {
    const { errors } = parseFleetCsv('id,colour\ngw-1,red\ngw-2\n"gw-3,x\ngw-4,tag\n');
    assert.deepEqual(
      errors.map((e) => [e.line, e.message]),
      [
        [1, 'unknown column colour (columns: id, kind, groups, tags, gateway)'],
        [3, '1 fields, the header has 2'],
        [4, 'unterminated quoted field'],
      ],
    );
  });

  it('a tag without = and a header without id are errors; an empty file says what it expects', () => {
    assert.equal(parseFleetCsv('id,tags\ngw-1,site\n').errors[0]!.message, 'tag "site" is not key=value');
    assert.equal(parseFleetCsv('kind\ngateway\n').errors[0]!.message, 'the header has no id column');
    assert.match(parseFleetCsv('').errors[0]!.message, /the file is empty/);
  });
});
