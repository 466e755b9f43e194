// After tsc: make every `bin` entry executable (tsc does not keep the mode) so `npx causeway-…` and
// `npm link` work from a fresh clone.
import { chmodSync, existsSync, readFileSync } from 'node:fs';
const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
for (const [name, file] of Object.entries(pkg.bin ?? {})) {
  if (!existsSync(file)) {
    console.error(`bin ${name}: ${file} was not built`);
    process.exitCode = 1;
    continue;
  }
  chmodSync(file, 0o755);
}
