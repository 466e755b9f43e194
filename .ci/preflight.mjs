// Before the suite: the peers the end-to-end tests start as real processes must be installed. Missing
// ones stop `npm test` at once with the one line that installs them, instead of twenty failures later.
import { existsSync } from 'node:fs';

const PEERS = [
  { pkg: 'mosquitto', bins: ['/usr/sbin/mosquitto', '/usr/bin/mosquitto'] },
  { pkg: 'mosquitto-clients', bins: ['/usr/bin/mosquitto_pub'] },
  { pkg: 'nats-server', bins: ['/usr/sbin/nats-server', '/usr/bin/nats-server'] },
  { pkg: 'socat', bins: ['/usr/bin/socat'] },
  { pkg: 'postgresql', bins: ['/usr/lib/postgresql'] },
  { pkg: 'chromium', bins: ['/usr/bin/chromium'] },
];
const missing = PEERS.filter((p) => !p.bins.some((b) => existsSync(b))).map((p) => p.pkg);
if (missing.length > 0) {
  console.error(`npm test needs ${missing.join(', ')} (the tests start them as real peers). Install with:\n\n  sudo apt-get install -y ${PEERS.map((p) => p.pkg).join(' ')}\n`);
  process.exit(1);
}
