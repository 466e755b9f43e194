import { existsSync, readdirSync, readFileSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The operator console's static files (issue 18), built by `npm run build` (.ci/build-console.mjs) into
 * `dist/console/` and read into memory once: three small files, served on the API port at `/`.
 *
 * The Content-Security-Policy allows only this origin's script, style and API: no inline script or style
 * attribute, no external resource, no framing, no form posts. The console sends the operator token as a
 * bearer header, never a cookie, so a cross-site request carries nothing (no CSRF).
 */
export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
};

export interface ConsoleAssets {
  /** Answers a GET for a console path; false when the path is not one of its files. */
  serve(path: string, res: ServerResponse): boolean;
  readonly available: boolean;
}

/**
 * From the compiled tree (`dist/cloud/src/api/`) the console is `dist/console/`; from the sources run with
 * tsx (`cloud/src/api/`) it is the build's output, `dist/console/` under the repository root.
 */
export function defaultConsoleDir(): string {
  const here = fileURLToPath(new URL('../../../', import.meta.url));
  const candidates = [join(here, 'console'), join(here, 'dist', 'console')];
  return candidates.find((d) => existsSync(join(d, 'index.html'))) ?? candidates[0]!;
}

export function loadConsoleAssets(dir: string = defaultConsoleDir()): ConsoleAssets {
  const files = new Map<string, { type: string; body: Buffer }>();
  if (existsSync(join(dir, 'index.html'))) {
    for (const name of readdirSync(dir)) {
      const ext = name.slice(name.lastIndexOf('.'));
      const type = TYPES[ext];
      if (type !== undefined) files.set(`/${name}`, { type, body: readFileSync(join(dir, name)) });
    }
    files.set('/', files.get('/index.html')!);
  }
  return {
    available: files.size > 0,
    serve(path, res) {
      const f = files.get(path);
      if (f === undefined) return false;
      res.writeHead(200, {
        'content-type': f.type,
        'content-length': f.body.length,
        'content-security-policy': CONSOLE_CSP,
        'x-content-type-options': 'nosniff',
        'referrer-policy': 'no-referrer',
        'x-frame-options': 'DENY',
        'cache-control': 'no-cache',
      });
      res.end(f.body);
      return true;
    },
  };
}
