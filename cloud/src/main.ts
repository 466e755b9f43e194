#!/usr/bin/env node
import { runProgram } from '../../shared/src/cli/program.js';

await runProgram(
  { name: 'causeway-cloud', summary: 'cloud broker: MQTT 3.1.1/5 on a store-once log with server-side queues' },
  async () => {
    process.stderr.write('causeway-cloud: the broker is not implemented yet (see issue 3)\n');
    return 69;
  },
);
