#!/usr/bin/env node
import { runProgram } from '../../shared/src/cli/program.js';

await runProgram(
  { name: 'causeway-edge', summary: 'edge agent: read sensors, buffer in SQLite, forward to the cloud' },
  async () => {
    process.stderr.write('causeway-edge: the agent is not implemented yet (see issue 4)\n');
    return 69;
  },
);
