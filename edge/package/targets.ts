import { closeSync, existsSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

/** A platform the edge binary is built for. */
export interface Target {
  name: 'linux-x64' | 'linux-arm64';
  /** ELF e_machine the executable and every addon must have */
  elfMachine: number;
  /** `strip` that understands the target's ELF files */
  strip: string;
  /** folder of @serialport/bindings-cpp's prebuilds and the file in it (glibc: Debian/Raspberry Pi OS) */
  serialportPrebuild: string;
}

export const TARGETS: Readonly<Record<Target['name'], Target>> = {
  'linux-x64': { name: 'linux-x64', elfMachine: 62, strip: 'strip', serialportPrebuild: 'linux-x64/@serialport+bindings-cpp.glibc.node' },
  'linux-arm64': { name: 'linux-arm64', elfMachine: 183, strip: 'aarch64-linux-gnu-strip', serialportPrebuild: 'linux-arm64/@serialport+bindings-cpp.armv8.glibc.node' },
};

export function targetNamed(name: string): Target {
  const t = (TARGETS as Record<string, Target>)[name];
  if (!t) throw new Error(`unknown target ${JSON.stringify(name)}; expected one of ${Object.keys(TARGETS).join(', ')}`);
  return t;
}

/** Pure: the ELF e_machine of a file's first 20 bytes, or undefined when it is not ELF. */
export function elfMachineOf(head: Buffer): number | undefined {
  if (head.length < 20 || head.readUInt32BE(0) !== 0x7f454c46) return undefined;
  // EI_DATA (byte 5): 1 little-endian, 2 big-endian; e_machine is the half-word at offset 18.
  return head[5] === 2 ? head.readUInt16BE(18) : head.readUInt16LE(18);
}

export function elfMachineOfFile(path: string): number | undefined {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(20);
    readSync(fd, head, 0, 20, 0);
    return elfMachineOf(head);
  } finally {
    closeSync(fd);
  }
}

export interface NativeFile {
  name: 'sqlite' | 'serialport';
  from: string;
}

/**
 * The native addons to ship for a target, each checked to be an ELF file for the target's CPU (an
 * x64 addon beside an arm64 binary would only fail on the device, at the first database open).
 * `sqliteAddon` overrides where better_sqlite3.node comes from (a cross-compiled one for arm64).
 */
export function nativeFilesFor(t: Target, repoRoot: string, sqliteAddon?: string): NativeFile[] {
  const files: NativeFile[] = [
    { name: 'sqlite', from: sqliteAddon ?? join(repoRoot, 'node_modules/better-sqlite3/build/Release/better_sqlite3.node') },
    { name: 'serialport', from: join(repoRoot, 'node_modules/@serialport/bindings-cpp/prebuilds', t.serialportPrebuild) },
  ];
  for (const f of files) {
    if (!existsSync(f.from)) throw new Error(`native addon for ${t.name} missing: ${f.from}`);
    const m = elfMachineOfFile(f.from);
    if (m !== t.elfMachine) throw new Error(`native addon ${f.from} is ELF machine ${m ?? 'none'}, ${t.name} needs ${t.elfMachine}`);
  }
  return files;
}
