import { isIP, Socket } from 'node:net';

/**
 * Sandbox mode's last line of defence: while installed, every TCP connection this process opens
 * must go to a loopback address. http, https, tls and undici all connect through
 * `net.Socket#connect`, so one guard there covers every plugin, SDK and the callback worker,
 * whatever options a plugin was given. A refused connection fails like a refused port
 * (`ECONNREFUSED`): nothing was sent.
 */

type Connect = Socket['connect'];
type Target = { host: string; port: unknown } | undefined;

let installs = 0;
let original: Connect | undefined;
let report: ((message: string) => void) | undefined;

/** Whether `host` is loopback: `localhost`, 127.0.0.0/8, ::1 or an IPv4-mapped 127 address. */
export function isLoopbackHost(host: string): boolean {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  if (bare === 'localhost') return true;
  const version = isIP(bare);
  if (version === 4) return bare.startsWith('127.');
  if (version === 6) {
    const lower = bare.toLowerCase();
    return lower === '::1' || lower.startsWith('::ffff:127.') || lower === '0:0:0:0:0:0:0:1';
  }
  return false;
}

/** The TCP host a `connect(...)` call aims at; undefined for an IPC path. */
function targetOf(args: unknown[]): Target {
  // net.connect() hands Socket#connect its already-normalised [options, callback] array.
  const first = Array.isArray(args[0]) ? args[0][0] : args[0];
  if (typeof first === 'object' && first !== null) {
    const options = first as { host?: unknown; port?: unknown; path?: unknown };
    if (typeof options.path === 'string') return undefined;
    return { host: typeof options.host === 'string' ? options.host : 'localhost', port: options.port };
  }
  if (typeof first === 'number' || (typeof first === 'string' && /^\d+$/.test(first))) {
    return { host: typeof args[1] === 'string' ? args[1] : 'localhost', port: first };
  }
  return undefined;
}

/**
 * Installs the guard (counted: each install needs its uninstall). `onRefused` hears every refused
 * connection, so the gateway can log it loudly.
 */
export function installLoopbackGuard(onRefused: (message: string) => void): () => void {
  if (installs++ === 0) {
    const connect = Socket.prototype.connect;
    original = connect;
    Socket.prototype.connect = function guardedConnect(this: Socket, ...args: unknown[]) {
      const target = targetOf(args);
      if (target && !isLoopbackHost(target.host)) {
        const message = `[msg] sandbox: refused a connection to ${target.host}:${String(target.port)}; nothing in sandbox mode may leave the loopback interface`;
        report?.(message);
        const error = Object.assign(new Error(message), { code: 'ECONNREFUSED' });
        process.nextTick(() => this.destroy(error));
        return this;
      }
      return (connect as (...rest: unknown[]) => Socket).apply(this, args);
    } as Connect;
  }
  report = onRefused;
  let removed = false;
  return () => {
    if (removed) return;
    removed = true;
    if (--installs === 0 && original) {
      Socket.prototype.connect = original;
      original = undefined;
      report = undefined;
    }
  };
}
