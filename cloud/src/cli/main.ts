#!/usr/bin/env node
import { runProgram } from '../../../shared/src/cli/program.js';

await runProgram(
  { name: 'causeway', summary: 'operator CLI for the Causeway cloud', usage: 'causeway <command> [options]' },
  async () => {
    process.stderr.write('causeway: no commands yet (see issues 6 and 7)\n');
    return 64;
  },
);
