import type { Logger } from '@msg/core';
import type { SecretRegistry } from './config/secrets.js';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };

export interface LoggerOptions {
  level?: LogLevel;
  format?: 'json' | 'pretty';
  /** Every line passes through it: a secret value never reaches the output. */
  secrets?: SecretRegistry;
  write?: (line: string) => void;
  now?: () => number;
}

function errorFields(value: unknown): unknown {
  if (value instanceof Error) {
    return { name: value.name, message: value.message, code: (value as { code?: unknown }).code };
  }
  return value;
}

/** One line per entry (JSON by default), redacted, to stderr unless told otherwise. */
export function createLogger(options: LoggerOptions = {}): Logger {
  const threshold = RANK[options.level ?? 'info'];
  const write = options.write ?? ((line: string) => process.stderr.write(`${line}\n`));
  const now = options.now ?? Date.now;
  const pretty = options.format === 'pretty';
  const log = (level: Exclude<LogLevel, 'silent'>, message: string, fields?: Record<string, unknown>) => {
    if (RANK[level] < threshold) return;
    let line: string;
    if (pretty) {
      const extra = fields && Object.keys(fields).length > 0 ? ` ${JSON.stringify(fields, replacer)}` : '';
      line = `${new Date(now()).toISOString()} ${level.toUpperCase().padEnd(5)} ${message}${extra}`;
    } else {
      line = JSON.stringify({ time: new Date(now()).toISOString(), level, message, ...fields }, replacer);
    }
    write(options.secrets ? options.secrets.redact(line) : line);
  };
  return {
    debug: (message, fields) => log('debug', message, fields),
    info: (message, fields) => log('info', message, fields),
    warn: (message, fields) => log('warn', message, fields),
    error: (message, fields) => log('error', message, fields),
  };
}

function replacer(_key: string, value: unknown): unknown {
  return errorFields(value);
}
