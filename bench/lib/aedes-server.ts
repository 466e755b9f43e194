/**
 * Aedes as its users run it: the stock broker (in-memory persistence, mqemitter) on a plain `net`
 * server. Started by bench/lib/competitors.ts as a child process:
 *   node --import tsx bench/lib/aedes-server.ts --port 1883 [--host 127.0.0.1]
 * Prints "listening PORT" on stdout once bound; exits on SIGTERM/SIGINT after closing the broker.
 */
import { createServer } from 'node:net';
// aedes is CommonJS (`module.exports = Aedes.createBroker = Aedes`): its factory is a property of the default.
import aedes from 'aedes';
import { intFlag, parseArgs } from './args.js';

const { flags } = parseArgs(process.argv.slice(2));
const port = intFlag(flags, 'port', 1883);
const host = typeof flags['host'] === 'string' ? flags['host'] : '127.0.0.1';

const broker = aedes.createBroker();
const server = createServer((socket) => broker.handle(socket));
server.on('error', (err) => {
  process.stderr.write(`aedes-server: ${err.message}\n`);
  process.exit(1);
});
server.listen(port, host, () => process.stdout.write(`listening ${port}\n`));

function shutdown(): void {
  server.close();
  broker.close(() => process.exit(0));
  // A client that never closes must not keep the benchmark waiting.
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
// If the runner is killed with -9 it cannot stop us: notice being re-parented and leave.
const parent = process.ppid;
setInterval(() => {
  if (process.ppid !== parent) shutdown();
}, 500).unref();
