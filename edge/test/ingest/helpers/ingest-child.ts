/**
 * A real process running startIngest with a small durable sink (append + fdatasync per call, then
 * resolve), for kill -9 tests: `node --import tsx ingest-child.ts CONFIG.json OUT.jsonl`.
 * Prints "ready" once started. Stands in for the SQLite outbox, whose contract is the same.
 */
import { closeSync, fdatasyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import { silentLogger } from '@causeway/shared';
import { startIngest } from '../../../src/ingest/start-ingest.js';
import type { IngestConfig } from '../../../src/ingest/ingest-schema.js';
import type { UplinkSink } from '../../../src/ingest/sink.js';

const [configPath, outPath] = process.argv.slice(2);
const config = JSON.parse(readFileSync(configPath!, 'utf8')) as IngestConfig;
const fd = openSync(outPath!, 'a');
const durable = (rec: unknown): Promise<void> => {
  writeSync(fd, JSON.stringify(rec) + '\n');
  fdatasyncSync(fd);
  return Promise.resolve();
};
const sink: UplinkSink = { addReading: durable, addEvent: durable };
const ingest = startIngest(config, sink, silentLogger);
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void ingest.stop().then(() => {
    closeSync(fd);
    process.exit(0);
  });
});
