#!/usr/bin/env node
import { runProgram, CausewayError } from '@causeway/shared';
import { mqttCommand, serialCommand, USAGE } from './cli/commands.js';
import { modbusCommand, MODBUS_USAGE } from './cli/modbus-command.js';
import { canCommand, CAN_USAGE } from './cli/can-command.js';
import { fleetCommand, FLEET_USAGE } from './fleet/fleet-command.js';

const SIM_EXAMPLES = ['causeway-sim serial --profile gps --link /tmp/ttyGPS --rate 1', 'causeway-sim modbus --profile roadside-cabinet --tcp-port 5020 --units 1-8 --dead 5', 'causeway-sim can --profile city-bus --link /tmp/ttyCAN --rate 10', 'causeway-sim fleet --url mqtt://127.0.0.1:1883 --gateways 100 --duration 60'];

await runProgram(
  { name: 'causeway-sim', summary: 'simulated sensors, devices and fleets for tests, demos and benchmarks', usage: `${USAGE}\n  ${MODBUS_USAGE}\n  ${CAN_USAGE}\n  ${FLEET_USAGE}`, examples: SIM_EXAMPLES },
  async (argv) => {
    const [cmd, ...rest] = argv;
    switch (cmd) {
      case 'serial':
        return serialCommand(rest);
      case 'mqtt':
        return mqttCommand(rest);
      case 'modbus':
        return modbusCommand(rest);
      case 'can':
        return canCommand(rest);
      case 'fleet':
        return fleetCommand(rest);
      default:
        throw new CausewayError('USAGE', `unknown command "${cmd ?? ''}"; see --help`);
    }
  },
);
