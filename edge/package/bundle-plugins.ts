import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import type { Plugin } from 'esbuild';
import ts from 'typescript';

/**
 * esbuild plugins that make the edge agent's code run as the main script of a Node single executable
 * application (SEA). Inside a SEA the main script is CommonJS and its `require` sees only built-in
 * modules (Node docs, "Single executable applications › require(id) in the injected main script"),
 * so three things the sources rely on have to be rewritten at bundle time; none of them touches a
 * source file on disk.
 */

/** Where the shipped native addons live, relative to the directory of the executable. */
export const NATIVE_DIR = 'native';
export const SQLITE_ADDON = 'better_sqlite3.node';
export const SERIALPORT_ADDON = 'serialport_bindings.node';

/**
 * Code (CJS) that loads `<dir of the executable>/native/<file>` with a real `require`:
 * `module.createRequire(process.execPath)` is the loader the Node docs recommend for files on disk.
 */
function loadShippedAddon(file: string): string {
  return (
    `require('node:module').createRequire(process.execPath)(` +
    `require('node:path').join(require('node:path').dirname(process.execPath), ${JSON.stringify(NATIVE_DIR)}, ${JSON.stringify(file)}))`
  );
}

/**
 * better-sqlite3 finds its addon with `require('bindings')('better_sqlite3.node')`, which walks
 * node_modules from the module's own directory: nothing of that exists beside a single binary.
 * The call is replaced by a load of the shipped file. Fails the build if the line is not found
 * (a better-sqlite3 upgrade moved it), instead of producing a binary that dies at the first open.
 */
export function betterSqliteAddonPlugin(): Plugin {
  return {
    name: 'causeway-better-sqlite3-addon',
    setup(build) {
      build.onLoad({ filter: /[\\/]better-sqlite3[\\/]lib[\\/]database\.js$/ }, async (args) => {
        const src = await readFile(args.path, 'utf8');
        const needle = "require('bindings')('better_sqlite3.node')";
        if (!src.includes(needle)) {
          return { errors: [{ text: `better-sqlite3: expected ${needle} in ${args.path}; the addon loader changed, update ${import.meta.url}` }] };
        }
        return { contents: src.replace(needle, loadShippedAddon(SQLITE_ADDON)), loader: 'js' };
      });
    },
  };
}

/**
 * @serialport/bindings-cpp finds its addon with `node-gyp-build(join(__dirname, '../'))`, which
 * scans `prebuilds/<platform>-<arch>/` on disk. The module is replaced by one that exports the
 * shipped prebuild as `binding`, the only name the rest of the package imports.
 */
export function serialportAddonPlugin(): Plugin {
  return {
    name: 'causeway-serialport-addon',
    setup(build) {
      build.onLoad({ filter: /[\\/]@serialport[\\/]bindings-cpp[\\/]dist[\\/]serialport-bindings\.js$/ }, async (args) => {
        const src = await readFile(args.path, 'utf8');
        if (!/exports\.binding\s*=/.test(src) || !src.includes('node-gyp-build')) {
          return { errors: [{ text: `@serialport/bindings-cpp: ${args.path} no longer loads its addon through node-gyp-build; update ${import.meta.url}` }] };
        }
        return { contents: `"use strict";\nObject.defineProperty(exports, "__esModule", { value: true });\nexports.binding = ${loadShippedAddon(SERIALPORT_ADDON)};\n`, loader: 'js' };
      });
    },
  };
}

/** Optional native speed-ups that ws tries inside `try` and does without. */
export const ABSENT_OPTIONAL_MODULES: readonly string[] = ['bufferutil', 'utf-8-validate'];

/**
 * Resolves ws's optional addons to a module that throws MODULE_NOT_FOUND, as a `node_modules` without
 * them would. Left as a bare `require('bufferutil')`, the SEA's built-ins-only require would print a
 * "only supports loading built-in modules" warning on every start before ws falls back.
 */
export function absentOptionalModulesPlugin(): Plugin {
  const filter = new RegExp(`^(${ABSENT_OPTIONAL_MODULES.map((m) => m.replace(/[-/]/g, '\\$&')).join('|')})$`);
  return {
    name: 'causeway-absent-optional-modules',
    setup(build) {
      build.onResolve({ filter }, (args) => ({ path: args.path, namespace: 'causeway-absent' }));
      build.onLoad({ filter: /.*/, namespace: 'causeway-absent' }, (args) => ({
        contents: `throw Object.assign(new Error(${JSON.stringify(`Cannot find module '${args.path}' (optional, not shipped in the single executable)`)}), { code: 'MODULE_NOT_FOUND' });\n`,
        loader: 'js',
      }));
    },
  };
}

/**
 * Rewrites the project's own TypeScript (never a file on disk, only what esbuild sees):
 *
 * - `import.meta.url` becomes the file URL the module would have if the repository's layout were
 *   unpacked beside the executable (`<dir>/shared/src/cli/program.js`). CJS has no `import.meta`;
 *   esbuild would leave `{}` and `new URL(rel, undefined)` would throw. With this,
 *   `packageVersion()` finds the `package.json` shipped beside the binary, unchanged.
 * - the entry gets its top level wrapped ({@link wrapTopLevel}): the CJS output format has no
 *   top-level `await` (esbuild refuses it) and main.ts awaits `runProgram(...)` at the top level.
 */
export function projectSourcePlugin(opts: { repoRoot: string; entry: string }): Plugin {
  return {
    name: 'causeway-project-source',
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, async (args) => {
        if (/[\\/]node_modules[\\/]/.test(args.path)) return undefined;
        let src = await readFile(args.path, 'utf8');
        const isEntry = args.path === opts.entry;
        if (!isEntry && !src.includes('import.meta.url')) return undefined;
        src = rewriteImportMetaUrl(src, relative(opts.repoRoot, args.path));
        if (isEntry) {
          const out = wrapTopLevel(src, args.path);
          if (typeof out !== 'string') return { errors: [{ text: out.error }] };
          src = out;
        }
        return { contents: src, loader: 'ts' };
      });
    },
  };
}

/** Pure: `import.meta.url` → an expression for `<dir of the executable>/<rel with .js>` as a file URL. */
export function rewriteImportMetaUrl(src: string, relFromRepoRoot: string): string {
  const rel = relFromRepoRoot.split(/[\\/]/).join('/').replace(/\.ts$/, '.js');
  const url = `require('node:url').pathToFileURL(require('node:path').join(require('node:path').dirname(process.execPath), ${JSON.stringify(rel)})).href`;
  return src.split('import.meta.url').join(`(${url})`);
}

/**
 * Pure: keeps the entry's `import` declarations where they are and moves every other top-level
 * statement into an async function that is called at once; a rejection that escapes it is printed
 * and exits 70 (EX_SOFTWARE), as runProgram would. The TypeScript parser finds the statements, so
 * a reformatted main.ts still works. An entry that exports cannot be wrapped: returns why.
 */
export function wrapTopLevel(src: string, fileName = 'entry.ts'): string | { error: string } {
  const sf = ts.createSourceFile(fileName, src, ts.ScriptTarget.ES2022, true, ts.ScriptKind.TS);
  const imports: string[] = [];
  const body: string[] = [];
  for (const st of sf.statements) {
    const text = src.slice(st.getFullStart(), st.getEnd());
    const exported = ts.canHaveModifiers(st) && ts.getModifiers(st)?.some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
    if (ts.isExportDeclaration(st) || ts.isExportAssignment(st) || exported) {
      return { error: `${fileName}: the SEA entry must not export (line ${sf.getLineAndCharacterOfPosition(st.getStart()).line + 1}); its top level is wrapped in an async function` };
    }
    if (ts.isImportDeclaration(st) || ts.isImportEqualsDeclaration(st)) imports.push(text.replace(/^#!.*\n/, ''));
    else body.push(text.replace(/^#!.*\n/, ''));
  }
  return (
    `${imports.join('')}\n` +
    `(async () => {${body.join('')}\n})().catch((err: unknown) => {\n` +
    `  process.stderr.write(\`\${(err as Error)?.stack ?? String(err)}\\n\`);\n` +
    `  process.exitCode = 70;\n});\n`
  );
}
