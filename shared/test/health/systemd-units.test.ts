import assert from 'node:assert/strict';
import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync, lstatSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';

// The systemd units and install scripts in systemd/, checked with the real tools: systemd-analyze
// (verify, security --offline) and install.sh/uninstall.sh run into a temp DESTDIR (nothing live).
const ROOT = process.cwd();
const UNITS = ['causeway-edge', 'causeway-cloud'] as const;
const have = (cmd: string, args: string[]): boolean => spawnSync(cmd, args, { stdio: 'ignore' }).status === 0;
const HAVE_ANALYZE = have('systemd-analyze', ['--version']);
const run = (cmd: string, args: string[], env: Record<string, string> = {}): SpawnSyncReturns<string> =>
  spawnSync(cmd, args, { encoding: 'utf8', env: { ...process.env, ...env }, timeout: 60_000 });

const unitText = (name: string): string => readFileSync(join(ROOT, 'systemd', `${name}.service`), 'utf8');
/** every KEY=value line of a unit, repeated keys in order */
const directives = (text: string, key: string): string[] =>
  text.split('\n').filter((l) => l.startsWith(`${key}=`)).map((l) => l.slice(key.length + 1));

/** path → "mode sha256" for every file and directory under dir (symlinks by target) */
function snapshot(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      const st = lstatSync(p);
      const mode = (st.mode & 0o7777).toString(8);
      if (e.isDirectory()) {
        out.set(relative(dir, p) + '/', mode);
        walk(p);
      } else if (e.isFile()) out.set(relative(dir, p), `${mode} ${createHash('sha256').update(readFileSync(p)).digest('hex')}`);
      else out.set(relative(dir, p), `link`);
    }
  };
  walk(dir);
  return out;
}
const modeOf = (p: string): string => (statSync(p).mode & 0o7777).toString(8).padStart(4, '0');

describe('systemd units and install scripts', function () {
  this.timeout(120_000);
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(join(tmpdir(), 'causeway-systemd-'));
  });
  after(() => rmSync(tmp, { recursive: true, force: true }));

  describe('unit files', () => {
    for (const name of UNITS) {
      it(`${name}: Type=notify with watchdog, restart policy and config exit 78`, () => {
        const t = unitText(name);
        assert.deepEqual(directives(t, 'Type'), ['notify']);
        assert.match(directives(t, 'WatchdogSec')[0]!, /^\d+s$/);
        // all, not main: see the unit comment and shared/src/health/sd-notify.ts
        assert.deepEqual(directives(t, 'NotifyAccess'), ['all']);
        assert.deepEqual(directives(t, 'Restart'), ['on-failure']);
        assert.deepEqual(directives(t, 'RestartPreventExitStatus'), ['78']);
        assert.deepEqual(directives(t, 'ExecReload'), ['/bin/kill -HUP $MAINPID']);
        assert.deepEqual(directives(t, 'ExecStart'), [`/usr/local/bin/${name} --config /etc/causeway/${name.replace('causeway-', '')}.json`]);
        assert.deepEqual(directives(t, 'StateDirectory'), [name]);
        assert.deepEqual(directives(t, 'ConfigurationDirectory'), ['causeway']);
        assert.deepEqual(directives(t, 'User'), ['causeway']);
        assert.deepEqual(directives(t, 'RestrictAddressFamilies'), ['AF_UNIX AF_INET AF_INET6']);
        assert.deepEqual(directives(t, 'CapabilityBoundingSet'), ['']);
        for (const k of ['NoNewPrivileges', 'ProtectHome', 'PrivateTmp', 'LockPersonality', 'RestrictNamespaces', 'ProtectKernelTunables', 'ProtectKernelModules']) {
          assert.deepEqual(directives(t, k), ['yes'], k);
        }
        assert.deepEqual(directives(t, 'ProtectSystem'), ['strict']);
        assert.ok(directives(t, 'SystemCallFilter').includes('@system-service'));
        assert.deepEqual(directives(t, 'MemoryDenyWriteExecute'), [], 'MDWE kills node (see the MDWE test below)');
      });
    }

    it('causeway-edge: serial ports reachable (dialout, tty majors), everything else closed', () => {
      const t = unitText('causeway-edge');
      assert.deepEqual(directives(t, 'SupplementaryGroups'), ['dialout']);
      assert.deepEqual(directives(t, 'PrivateDevices'), ['no']);
      assert.deepEqual(directives(t, 'DevicePolicy'), ['closed']);
      assert.deepEqual(directives(t, 'DeviceAllow'), ['char-ttyUSB rw', 'char-ttyACM rw', 'char-ttyS rw', 'char-ttyAMA rw']);
      assert.deepEqual(directives(unitText('causeway-cloud'), 'PrivateDevices'), ['yes']);
    });

    it('systemd-analyze verify: both units clean (no warnings at all)', function () {
      if (!HAVE_ANALYZE) this.skip(); // systemd-analyze is not installed on this machine
      // verify insists that ExecStart exists, so point copies at stand-in binaries; the rest is byte-identical.
      const dir = join(tmp, 'verify');
      run('mkdir', ['-p', join(dir, 'bin')]);
      const files: string[] = [];
      for (const name of UNITS) {
        writeFileSync(join(dir, 'bin', name), '#!/bin/sh\n', { mode: 0o755 });
        const f = join(dir, `${name}.service`);
        writeFileSync(f, unitText(name).replaceAll('/usr/local/bin/', `${dir}/bin/`));
        files.push(f);
      }
      const r = run('systemd-analyze', ['verify', ...files]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr.trim(), '', 'verify printed warnings');
      // and it does catch mistakes: the same check fails on a broken copy
      const broken = join(dir, 'broken.service');
      writeFileSync(broken, unitText('causeway-edge').replaceAll('/usr/local/bin/', `${dir}/bin/`).replace('Restart=on-failure', 'Restart=sometimes'));
      assert.notEqual(run('systemd-analyze', ['verify', broken]).stderr.trim(), '');
    });

    it('systemd-analyze security --offline: exposure at most 2.0 ("OK") for both', function () {
      if (!HAVE_ANALYZE) this.skip(); // systemd-analyze is not installed on this machine
      for (const name of UNITS) {
        const r = run('systemd-analyze', ['security', '--offline=true', '--no-pager', join(ROOT, 'systemd', `${name}.service`)]);
        const m = /Overall exposure level for \S+: (\d+\.\d)/.exec(r.stdout + r.stderr);
        assert.ok(m, r.stdout + r.stderr);
        assert.ok(Number(m[1]) <= 2.0, `${name} exposure ${m[1]}`);
      }
    });

    it('the default configs install.sh ships use only keys of the programs\' schemas, with the right types', async () => {
      const { describeSchema, loadConfig } = await import('../../src/config/load-config.js');
      const leaves = (o: Record<string, unknown>, prefix = ''): Array<[string, unknown]> =>
        Object.entries(o).flatMap(([k, v]) => (v !== null && typeof v === 'object' ? leaves(v as Record<string, unknown>, `${prefix}${k}.`) : [[`${prefix}${k}`, v] as [string, unknown]]));
      const schemas = {
        edge: (await import('@causeway/edge/config/schema.js')).edgeSchema,
        cloud: (await import('@causeway/cloud/config/schema.js')).cloudSchema,
      };
      for (const [name, schema] of Object.entries(schemas)) {
        const entries = new Map(describeSchema(schema).map((e) => [e.key, e]));
        const file = JSON.parse(readFileSync(join(ROOT, `systemd/config/${name}.json`), 'utf8')) as Record<string, unknown>;
        for (const [key, value] of leaves(file)) {
          const entry = entries.get(key);
          assert.ok(entry, `${name}.json: ${key} is not a key of the ${name} schema (the program would exit 78)`);
          assert.equal(typeof value, typeof entry.default, `${name}.json: ${key}`);
        }
        // the store must live in the unit's StateDirectory, the only place the service can write
        assert.match(String(leaves(file).find(([k]) => k === 'store.path')?.[1]), new RegExp(`^/var/lib/causeway-${name}(/|$)`));
      }
      // and the whole file through the real loader (convict, strict) where the schema loads on its own
      const cloud = loadConfig<{ mqtt: { port: number } }>(schemas.cloud, { argv: ['--config', join(ROOT, 'systemd/config/cloud.json')], env: {} });
      assert.equal(cloud.mqtt.port, 1883);
    });

    it('MemoryDenyWriteExecute would kill node: under MDWE (PR_SET_MDWE) V8 aborts, --jitless runs', function () {
      // PR_SET_MDWE (Linux ≥ 6.3) is the kernel's version of the seccomp filter MDWE= installs.
      const py = (flags: string[]): SpawnSyncReturns<string> =>
        run('python3', ['-c', `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
if libc.prctl(65, 1, 0, 0, 0) != 0: sys.exit(99)
os.execv(sys.argv[1], [sys.argv[1]] + sys.argv[2:])`, process.execPath, ...flags, '-e', 'let s = 0; for (let i = 0; i < 1e7; i++) s += i; console.log(s)']);
      const jit = py([]);
      if (jit.status === 99 || jit.error) this.skip(); // no python3 or a kernel without PR_SET_MDWE
      assert.notEqual(jit.status, 0, 'node with JIT survived MDWE');
      const jitless = py(['--jitless']);
      assert.equal(jitless.status, 0, jitless.stderr);
      assert.equal(jitless.stdout.trim(), '49999995000000');
    });
  });

  describe('install.sh / uninstall.sh into a temp DESTDIR @e2e', () => {
    let dest: string;
    let first: Map<string, string>;
    before(function () {
      if (!existsSync(join(ROOT, 'dist/edge/src/main.js'))) this.skip(); // needs `npm run build` (npm test builds first)
      dest = join(tmp, 'dest');
    });

    it('installs app, wrappers, units, config 0640 and docs', () => {
      const r = run(join(ROOT, 'systemd/install.sh'), [], { DESTDIR: dest });
      assert.equal(r.status, 0, r.stderr + r.stdout);
      assert.match(r.stdout, /installed default \/etc\/causeway\/edge\.json/);
      const want: Array<[string, string]> = [
        ['etc/causeway', '0755'],
        ['etc/causeway/edge.json', '0640'],
        ['etc/causeway/cloud.json', '0640'],
        ['etc/systemd/system/causeway-edge.service', '0644'],
        ['etc/systemd/system/causeway-cloud.service', '0644'],
        ['usr/local/bin/causeway-edge', '0755'],
        ['usr/local/bin/causeway-cloud', '0755'],
        ['usr/local/bin/causeway', '0755'],
        ['usr/local/lib/causeway/dist/edge/src/main.js', '0755'],
        ['usr/local/lib/causeway/package.json', '0644'],
        ['usr/local/share/doc/causeway/operations.md', '0644'],
      ];
      for (const [p, mode] of want) assert.equal(modeOf(join(dest, p)), mode, p);
      assert.equal(readFileSync(join(dest, 'etc/systemd/system/causeway-edge.service'), 'utf8'), unitText('causeway-edge'));
      assert.match(readFileSync(join(dest, 'usr/local/bin/causeway-edge'), 'utf8'), /^exec '.*node' '\/usr\/local\/lib\/causeway\/dist\/edge\/src\/main\.js' "\$@"$/m);
      // causeway-cloud from a shell gets its unit's NODE_OPTIONS (issue 15: the young generation), unless given one.
      const cloudWrapper = readFileSync(join(dest, 'usr/local/bin/causeway-cloud'), 'utf8');
      assert.match(cloudWrapper, /^exec '.*node' '\/usr\/local\/lib\/causeway\/dist\/cloud\/src\/main\.js' "\$@"$/m);
      const unitOptions = directives(unitText('causeway-cloud'), 'Environment').map((v) => /^"NODE_OPTIONS=(.*)"$/.exec(v)?.[1]).filter((v) => v !== undefined);
      assert.deepEqual(unitOptions, ['--max-semi-space-size=8']);
      const probe = join(tmp, 'cloud-wrapper-probe');
      writeFileSync(probe, cloudWrapper.replace("'/usr/local/lib/causeway/dist/cloud/src/main.js'", "'-p'"), { mode: 0o755 });
      const env = { ...process.env };
      delete env['NODE_OPTIONS'];
      const options = (extra: Record<string, string>): string => spawnSync(probe, ['JSON.stringify(process.env.NODE_OPTIONS)'], { encoding: 'utf8', env: { ...env, ...extra } }).stdout.trim();
      assert.equal(options({}), JSON.stringify(unitOptions[0]));
      assert.equal(options({ NODE_OPTIONS: '' }), '""', 'an empty NODE_OPTIONS is kept');
      assert.equal(options({ NODE_OPTIONS: '--max-old-space-size=512' }), '"--max-old-space-size=512"');
      assert.doesNotMatch(readFileSync(join(dest, 'usr/local/bin/causeway-edge'), 'utf8'), /NODE_OPTIONS/, 'the edge unit runs the launcher, which sets its own');
      // no dev dependencies shipped to the gateway
      assert.ok(!existsSync(join(dest, 'usr/local/lib/causeway/node_modules/typescript')));
      assert.ok(!existsSync(join(dest, 'usr/local/lib/causeway/node_modules/mocha')));
      // Self-update (issue 17): the launcher, its drop-in, and release 0.x as `current` on a fresh install.
      const version = JSON.parse(readFileSync('package.json', 'utf8')).version as string;
      for (const [p, mode] of [
        ['usr/local/lib/causeway/libexec/causeway-edge-launcher', '0755'],
        ['etc/systemd/system/causeway-edge.service.d/self-update.conf', '0644'],
        [`opt/causeway-edge/releases/${version}/causeway-edge`, '0755'],
      ] as const) assert.equal(modeOf(join(dest, p)), mode, p);
      assert.equal(readFileSync(join(dest, 'usr/local/lib/causeway/libexec/causeway-edge-launcher'), 'utf8'), readFileSync(join(ROOT, 'systemd/causeway-edge-launcher'), 'utf8'));
      assert.equal(readlinkSync(join(dest, 'opt/causeway-edge/current')), `releases/${version}`);
      assert.match(readFileSync(join(dest, `opt/causeway-edge/releases/${version}/causeway-edge`), 'utf8'), /^exec '.*node' '\/usr\/local\/lib\/causeway\/dist\/edge\/src\/main\.js' "\$@"$/m);
      const dropIn = readFileSync(join(dest, 'etc/systemd/system/causeway-edge.service.d/self-update.conf'), 'utf8');
      assert.deepEqual(directives(dropIn, 'ExecStart'), ['', '/usr/local/lib/causeway/libexec/causeway-edge-launcher --config /etc/causeway/edge.json']);
      assert.deepEqual(directives(dropIn, 'ReadWritePaths'), ['/opt/causeway-edge']);
      // still hardened: the drop-in changes what starts and one writable path, nothing of the sandbox
      assert.deepEqual(dropIn.split('\n').filter((l) => /^[A-Z]/.test(l)).map((l) => l.split('=')[0]).sort(), ['Environment', 'Environment', 'Environment', 'ExecStart', 'ExecStart', 'ReadWritePaths', 'RestartSec']);
      first = snapshot(dest);
    });

    it('the installed app runs and its production dependencies load (native better-sqlite3 included)', () => {
      const app = join(dest, 'usr/local/lib/causeway');
      assert.equal(run(process.execPath, [join(app, 'dist/edge/src/main.js'), '--version']).stdout.trim(), JSON.parse(readFileSync('package.json', 'utf8')).version);
      const probe = `const D = (await import('better-sqlite3')).default; const db = new D(':memory:'); console.log(db.prepare('select 7 as x').get().x);
        await import('mqtt'); await import('prom-client'); await import('convict'); await import('cborg'); await import('serialport');`;
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', probe], { cwd: app, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stdout.trim(), '7');
    });

    it('a second run is idempotent and keeps an edited config', () => {
      writeFileSync(join(dest, 'etc/causeway/edge.json'), '{"operator":"edited"}\n', { mode: 0o640 });
      const edited = snapshot(dest);
      const r = run(join(ROOT, 'systemd/install.sh'), [], { DESTDIR: dest });
      assert.equal(r.status, 0, r.stderr);
      assert.match(r.stdout, /kept existing \/etc\/causeway\/edge\.json/);
      assert.deepEqual(snapshot(dest), edited, 'second install changed the tree');
      assert.equal(first.size, edited.size);
      assert.equal(readFileSync(join(dest, 'etc/causeway/edge.json'), 'utf8'), '{"operator":"edited"}\n');
    });

    it('--prefix and --component rewrite the unit paths and install only what was asked', () => {
      const other = join(tmp, 'dest-opt');
      const r = run(join(ROOT, 'systemd/install.sh'), ['--prefix', '/opt/causeway', '--component', 'edge'], { DESTDIR: other });
      assert.equal(r.status, 0, r.stderr);
      const unit = readFileSync(join(other, 'etc/systemd/system/causeway-edge.service'), 'utf8');
      assert.deepEqual(directives(unit, 'ExecStart'), ['/opt/causeway/bin/causeway-edge --config /etc/causeway/edge.json']);
      assert.ok(!existsSync(join(other, 'etc/systemd/system/causeway-cloud.service')));
      assert.ok(!existsSync(join(other, 'etc/causeway/cloud.json')));
      assert.ok(existsSync(join(other, 'opt/causeway/lib/causeway/dist/edge/src/main.js')));
      assert.deepEqual(directives(readFileSync(join(other, 'etc/systemd/system/causeway-edge.service.d/self-update.conf'), 'utf8'), 'ExecStart'), ['', '/opt/causeway/lib/causeway/libexec/causeway-edge-launcher --config /etc/causeway/edge.json']);
      const none = join(tmp, 'dest-no-update');
      assert.equal(run(join(ROOT, 'systemd/install.sh'), ['--component', 'edge', '--no-self-update'], { DESTDIR: none }).status, 0);
      assert.ok(!existsSync(join(none, 'etc/systemd/system/causeway-edge.service.d')));
      assert.ok(!existsSync(join(none, 'opt/causeway-edge')));
    });

    it('refuses clearly when not root (live install) and on bad options', function () {
      const r = run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', join(ROOT, 'systemd/install.sh')], { DESTDIR: '' });
      if (r.error || (process.getuid?.() ?? 0) !== 0) this.skip(); // needs setpriv and root to drop to nobody
      assert.equal(r.status, 77);
      assert.match(r.stderr, /must run as root.*sudo.*DESTDIR/);
      const u = run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', join(ROOT, 'systemd/uninstall.sh')], { DESTDIR: '' });
      assert.equal(u.status, 77);
      const bad = run(join(ROOT, 'systemd/install.sh'), ['--component', 'fridge'], { DESTDIR: dest });
      assert.equal(bad.status, 64);
      assert.match(bad.stderr, /--component must be edge, cloud or all/);
    });

    it('a live (root) install in a private mount namespace: creates the user, config root:causeway 0640, twice is fine, --purge removes the user', function () {
      // The live path (useradd, chown, no DESTDIR) without touching this machine: /etc is a copy and
      // /srv an empty dir, both bind-mounted in a namespace that disappears with the shell.
      const root = join(tmp, 'live');
      run('mkdir', ['-p', join(root, 'srv')]);
      const script = `
        set -eu
        cp -a /etc ${root}/etc && mount --bind ${root}/etc /etc && mount --bind ${root}/srv /srv
        getent passwd causeway >/dev/null && { echo "user causeway already exists"; exit 3; }
        ${ROOT}/systemd/install.sh --prefix /srv/causeway --component edge --update-root /srv/causeway-edge
        echo "update=$(stat -c '%U:%G' /srv/causeway-edge /srv/causeway-edge/releases | tr '\n' ' ')"
        echo "user=$(getent passwd causeway | cut -d: -f1,7)"
        echo "config=$(stat -c '%U:%G %a' /etc/causeway/edge.json)"
        echo "app=$(stat -c '%U:%G' /srv/causeway/lib/causeway/dist/edge/src/main.js)"
        echo "exec=$(grep ^ExecStart= /etc/systemd/system/causeway-edge.service)"
        ${ROOT}/systemd/install.sh --prefix /srv/causeway --component edge --update-root /srv/causeway-edge
        ${ROOT}/systemd/uninstall.sh --prefix /srv/causeway --update-root /srv/causeway-edge --purge
        [ -e /srv/causeway-edge ] && echo "releases=kept" || echo "releases=gone"
        getent passwd causeway >/dev/null && echo "purged=no" || echo "purged=yes"
        [ -e /etc/causeway ] && echo "etc=kept" || echo "etc=gone"
      `;
      const r = spawnSync('unshare', ['--mount', '--propagation', 'private', 'bash', '-c', script], { encoding: 'utf8', timeout: 120_000 });
      if (r.error || /unshare failed|Operation not permitted/.test(r.stderr)) this.skip(); // needs root with CAP_SYS_ADMIN for a mount namespace
      assert.equal(r.status, 0, r.stdout + r.stderr);
      assert.match(r.stdout, /created user causeway/);
      assert.match(r.stdout, /^user=causeway:\/usr\/sbin\/nologin$/m);
      assert.match(r.stdout, /^config=root:causeway 640$/m);
      assert.match(r.stdout, /^app=root:root$/m, 'code the service runs must not be writable by the checkout owner');
      assert.match(r.stdout, /^exec=ExecStart=\/srv\/causeway\/bin\/causeway-edge --config \/etc\/causeway\/edge.json$/m);
      assert.equal(r.stdout.match(/created user causeway/g)?.length, 1, 'the second run created the user again');
      assert.match(r.stdout, /kept existing \/etc\/causeway\/edge\.json/);
      assert.match(r.stdout, /^update=causeway:causeway causeway:causeway $/m, 'the agent swaps current and adds releases');
      assert.match(r.stdout, /^releases=gone$/m);
      assert.match(r.stdout, /^purged=yes$/m);
      assert.match(r.stdout, /^etc=gone$/m);
      assert.ok(!existsSync('/srv/causeway'), 'the install leaked out of the namespace');
    });

    it('uninstall.sh removes programs and units, keeps config and data; twice is fine; --purge removes config', () => {
      const r = run(join(ROOT, 'systemd/uninstall.sh'), [], { DESTDIR: dest });
      assert.equal(r.status, 0, r.stderr);
      for (const p of ['usr/local/lib/causeway', 'usr/local/bin/causeway-edge', 'etc/systemd/system/causeway-edge.service', 'etc/systemd/system/causeway-edge.service.d', 'opt/causeway-edge', 'usr/local/share/doc/causeway']) {
        assert.ok(!existsSync(join(dest, p)), p);
      }
      assert.ok(existsSync(join(dest, 'etc/causeway/edge.json')));
      assert.equal(run(join(ROOT, 'systemd/uninstall.sh'), [], { DESTDIR: dest }).status, 0);
      const p = run(join(ROOT, 'systemd/uninstall.sh'), ['--purge'], { DESTDIR: dest });
      assert.equal(p.status, 0, p.stderr);
      assert.ok(!existsSync(join(dest, 'etc/causeway')));
    });
  });
});
