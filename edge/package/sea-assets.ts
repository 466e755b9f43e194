import { NATIVE_DIR, SERIALPORT_ADDON, SQLITE_ADDON } from './bundle-plugins.js';

/**
 * What the executable carries inside its SEA blob besides the code (Node docs, "Single executable
 * applications › Assets"): the native addons and the package.json that the agent otherwise finds
 * beside it. A self-update (issue 17) installs the executable alone as `releases/<v>/causeway-edge`,
 * so a release must be able to start from that one file: at start it writes whichever of these is
 * missing beside itself (banner below), then loads them from there as before.
 */

/** Pure: the SEA config's `assets`, keyed by the path relative to the executable's folder. */
export function seaAssets(natives: ReadonlyArray<{ name: 'sqlite' | 'serialport'; from: string }>, packageJson: string): Record<string, string> {
  const assets: Record<string, string> = {};
  for (const f of natives) assets[`${NATIVE_DIR}/${f.name === 'sqlite' ? SQLITE_ADDON : SERIALPORT_ADDON}`] = f.from;
  assets['package.json'] = packageJson;
  return assets;
}

/**
 * Pure: CJS code run first in the bundle. Inside a SEA, each asset missing beside the executable is
 * written there (temp file, fsync, rename: a power cut never leaves a short addon that a later start
 * would take as whole). Files already there are used as they are: a packaged folder ships them. A
 * folder it cannot write to is left alone; the load that follows then fails naming the file.
 */
export function unpackBanner(keys: readonly string[]): string {
  return `(() => {
  const sea = require('node:sea');
  if (!sea.isSea()) return;
  const fs = require('node:fs');
  const path = require('node:path');
  const dir = path.dirname(process.execPath);
  for (const key of ${JSON.stringify(keys)}) {
    const dest = path.join(dir, key);
    if (fs.existsSync(dest)) continue;
    const tmp = dest + '.' + process.pid + '.tmp';
    try {
      fs.mkdirSync(path.dirname(dest), { recursive: true });
      const fd = fs.openSync(tmp, 'w', 0o644);
      try {
        fs.writeSync(fd, new Uint8Array(sea.getAsset(key)));
        fs.fsyncSync(fd);
      } finally {
        fs.closeSync(fd);
      }
      fs.renameSync(tmp, dest);
    } catch {
      try { fs.rmSync(tmp, { force: true }); } catch {}
    }
  }
})();`;
}
