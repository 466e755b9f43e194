#!/usr/bin/env node
import { runProgram } from '../../shared/src/cli/program.js';

await runProgram(
  { name: 'causeway-sim', summary: 'simulated sensors, devices and fleets for tests, demos and benchmarks', usage: 'causeway-sim <command> [options]' },
  async () => {
    process.stderr.write('causeway-sim: no simulators yet (see issue 5)\n');
    return 64;
  },
);
