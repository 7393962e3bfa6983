// The HTTP plumbing of `cyclegan serve`: responses with the security headers, file streaming, the request guards
// every route relies on, and binding with one-line errors. No route knows about models or runs here.
import * as http from 'node:http';
import { createReadStream, promises as fsp } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { CycleGANError, describeSystemError } from '../core/errors.js';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);

const SECURITY_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Resource-Policy': 'same-origin',
  // 'wasm-unsafe-eval' lets the wasm backend compile its module; nothing is loaded from other origins.
  'Content-Security-Policy': "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; " +
    "img-src 'self' blob: data:; connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
};

export function send(res: http.ServerResponse, status: number, type: string, body: string | Buffer, extra: Record<string, string> = {}): void {
  res.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(Buffer.byteLength(body)), ...extra });
  res.end(res.req.method === 'HEAD' ? undefined : body);
}

export const notFound = (res: http.ServerResponse) => send(res, 404, 'text/plain; charset=utf-8', 'not found\n');

export const json = (res: http.ServerResponse, value: unknown) =>
  send(res, 200, 'application/json; charset=utf-8', JSON.stringify(value), { 'Cache-Control': 'no-store' });

/** Streams a regular file (404 when it is not one). */
export async function sendFile(res: http.ServerResponse, file: string, type: string, cache = 'no-cache'): Promise<void> {
  const st = await fsp.stat(file).catch(() => null);
  if (!st?.isFile()) return notFound(res);
  res.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': type, 'Content-Length': String(st.size), 'Cache-Control': cache });
  if (res.req.method === 'HEAD') return void res.end();
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/**
 * The checks before any routing: GET/HEAD only, no bodies, the DNS-rebinding guard on a loopback server, and a
 * plain path. Answers the request itself and returns null when it fails one; else the path and the query.
 */
export function acceptRequest(req: http.IncomingMessage, res: http.ServerResponse, host: string): { pathname: string; query: URLSearchParams } | null {
  const method = req.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    // Nothing is uploaded: images are read by the page itself and never leave the browser.
    req.resume();
    send(res, 405, 'text/plain; charset=utf-8', 'method not allowed\n', { Allow: 'GET, HEAD' });
    return null;
  }
  if (Number(req.headers['content-length'] ?? 0) > 0) {
    send(res, 413, 'text/plain; charset=utf-8', 'no request bodies\n');
    return null;
  }
  // DNS-rebinding guard: a page on another site must not reach a loopback server through its own name.
  if (LOOPBACK_HOSTS.has(host)) {
    const hostHeader = (req.headers.host ?? '').replace(/:\d+$/, '');
    if (!LOOPBACK_HOSTS.has(hostHeader)) {
      send(res, 403, 'text/plain; charset=utf-8', 'forbidden host\n');
      return null;
    }
  }
  const raw = req.url ?? '/';
  const q = raw.indexOf('?');
  const pathname = q >= 0 ? raw.slice(0, q) : raw;
  const query = new URLSearchParams(q >= 0 ? raw.slice(q + 1) : '');
  // Our routes never need escapes, dot segments or backslashes; refusing them outright closes every
  // encoding trick (%2e%2e, %2f, %252e, %5c, overlong UTF-8) before any routing happens.
  if (!/^\/[A-Za-z0-9_.\/-]*$/.test(pathname) || pathname.includes('..') || pathname.includes('//')) {
    notFound(res);
    return null;
  }
  return { pathname, query };
}

/**
 * An HTTP server over `handle` (a failure is logged and answered 500), listening on host:port; bind failures
 * become one-line errors naming --host or --port.
 */
export async function listen(handle: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<void>,
                             host: string, port: number | undefined, log: (line: string) => void): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log(`serve: ${req.method} ${req.url}: ${(e as Error).message}`);
      if (!res.headersSent) send(res, 500, 'text/plain; charset=utf-8', 'internal error\n');
      else res.destroy();
    });
  });
  server.headersTimeout = 20_000;
  server.requestTimeout = 60_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      // the system error table's line names the address and port (EADDRINUSE, EADDRNOTAVAIL, ENOTFOUND); its EACCES
      // advice is about folders, a listen's is about the port
      const line = e.code === 'EACCES' ? `no permission to listen on port ${port} of ${host}; use a --port above 1023` : describeSystemError(e);
      reject(line ? new CycleGANError(line) : e);
    });
    server.listen(port ?? 8080, host, () => resolve());
  });
  return server;
}

/** The address to print for a bound server (a wildcard bind is reached through loopback). */
export function serverUrl(server: http.Server, host: string): { url: string; port: number } {
  const port = (server.address() as AddressInfo).port;
  const shownHost = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host;
  return { url: `http://${shownHost}:${port}/`, port };
}
