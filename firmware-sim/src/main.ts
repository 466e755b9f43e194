#!/usr/bin/env node
import { runProgram } from '../../shared/src/cli/program.js';
import { CausewayError } from '../../shared/src/errors/causeway-error.js';
import { mqttCommand, serialCommand, USAGE } from './cli/commands.js';
import { fleetCommand, FLEET_USAGE } from './fleet/fleet-command.js';

await runProgram(
  { name: 'causeway-sim', summary: 'simulated sensors, devices and fleets for tests, demos and benchmarks', usage: `${USAGE}\n  ${FLEET_USAGE}` },
  async (argv) => {
    const [cmd, ...rest] = argv;
    switch (cmd) {
      case 'serial':
        return serialCommand(rest);
      case 'mqtt':
        return mqttCommand(rest);
      case 'fleet':
        return fleetCommand(rest);
      default:
        throw new CausewayError('USAGE', `unknown command "${cmd ?? ''}"; see --help`);
    }
  },
);
