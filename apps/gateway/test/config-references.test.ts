import { describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config/load-config.js';

const base = {
  // biome-ignore lint/suspicious/noTemplateCurlyInString: environment references, as a config file writes them.
  apiKeys: [{ id: 'client', key: '${NUMERIC_KEY}' }],
  plugins: [
    { resolve: '@msg/plugin-console', id: 'old' },
    { resolve: '@msg/plugin-console', id: 'new' },
  ],
};

describe('environment references in config', () => {
  it('yield the type the field expects: a percentage, a port and a flag from the environment', () => {
    const loaded = parseConfig(
      {
        ...base,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: environment references, as a config file writes them.
        server: { port: '${PORT}' },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: environment references, as a config file writes them.
        sandbox: '${SANDBOX}',
        routing: {
          routes: [
            {
              id: 'sms',
              providers: ['old', 'new'],
              // biome-ignore lint/suspicious/noTemplateCurlyInString: environment references, as a config file writes them.
              migration: { id: 'old-to-new', from: ['old'], to: ['new'], percentage: '${AT_PCT}' },
            },
          ],
        },
      },
      { env: { AT_PCT: '25', PORT: '9090', SANDBOX: 'true', NUMERIC_KEY: '12345678901234567890' } },
    );
    const routes = loaded.config.routing.routes as Array<{ migration: { percentage: unknown } }>;
    expect(routes[0]?.migration.percentage).toBe(25);
    expect(loaded.config.server.port).toBe(9090);
    expect(loaded.config.sandbox).toBe(true);
    // A field that takes a string keeps the string, digits or not.
    expect(loaded.config.apiKeys[0]?.key).toBe('12345678901234567890');
  });

  it('still refuses a value of the wrong type, naming the field', () => {
    expect(() =>
      parseConfig(
        {
          ...base,
          routing: {
            routes: [
              {
                id: 'sms',
                providers: ['old', 'new'],
                // biome-ignore lint/suspicious/noTemplateCurlyInString: environment references, as a config file writes them.
                migration: { id: 'm', from: ['old'], to: ['new'], percentage: '${AT_PCT}' },
              },
            ],
          },
          // biome-ignore lint/suspicious/noTemplateCurlyInString: environment references, as a config file writes them.
          server: { port: '${PORT}' },
        },
        { env: { AT_PCT: '25', PORT: 'eighty', NUMERIC_KEY: '12345678901234567890' } },
      ),
    ).toThrow(/server\.port/);
  });
});
