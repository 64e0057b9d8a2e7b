import { createProvider, silentLogger } from '@msg/core';
import { runConformanceSuite } from '@msg/testing/conformance';
import { describe, expect, it } from 'vitest';
import consolePlugin, { createConsoleProvider } from '../src/index.js';

runConformanceSuite({
  plugin: consolePlugin,
  setup: async () => ({
    options: { silent: true },
    secrets: [],
    message: (id) => ({ id, channel: 'sms', to: '+260971234567', text: 'conformance' }),
  }),
});

describe('@msg/plugin-console', () => {
  it('prints the message with its segments and never calls out', async () => {
    const lines: string[] = [];
    const provider = createConsoleProvider('dev', {
      channel: 'sms',
      format: 'pretty',
      status: 'delivered',
      write: (line) => lines.push(line),
    });
    const result = await provider.send(
      { id: 'm1', channel: 'sms', to: '+260971234567', from: 'ACME', text: 'x'.repeat(161) },
      { signal: new AbortController().signal },
    );
    expect(result).toMatchObject({ status: 'delivered', segments: 2 });
    expect(lines[0]).toContain('SMS ACME -> +260971234567 [2 GSM-7 parts]');
    expect(lines[0]).toContain(result.providerMessageId);
  });

  it('prints email as JSON when asked', async () => {
    const lines: string[] = [];
    const provider = createConsoleProvider('dev-mail', {
      channel: 'email',
      format: 'json',
      status: 'queued',
      write: (line) => lines.push(line),
    });
    await provider.send(
      {
        id: 'e1',
        channel: 'email',
        from: { email: 'a@example.com' },
        to: [{ email: 'b@example.com' }],
        subject: 'Hi',
        text: 'hello',
      },
      { signal: new AbortController().signal },
    );
    expect(JSON.parse(lines[0] as string)).toMatchObject({ provider: 'dev-mail', subject: 'Hi', id: 'e1' });
  });

  it('prints a WhatsApp text or template message', async () => {
    const lines: string[] = [];
    const provider = createConsoleProvider('dev-whatsapp', {
      channel: 'whatsapp',
      format: 'pretty',
      status: 'delivered',
      write: (line) => lines.push(line),
    });
    const signal = new AbortController().signal;
    await provider.send(
      { id: 'w1', channel: 'whatsapp', to: '+260971234567', text: 'Muli bwanji' },
      { signal },
    );
    await provider.send(
      {
        id: 'w2',
        channel: 'whatsapp',
        to: '+260971234567',
        template: { name: 'order_ready', language: 'en_US' },
      },
      { signal },
    );
    expect(provider.channel).toBe('whatsapp');
    expect(lines[0]).toContain('WHATSAPP -> +260971234567\n  Muli bwanji');
    expect(lines[1]).toContain('template order_ready (en_US)');
  });

  it('refuses unknown options', async () => {
    await expect(
      createProvider(
        consolePlugin,
        { colour: 'red' },
        { instanceId: 'c', logger: silentLogger, now: Date.now },
      ),
    ).rejects.toThrow(/options: Unrecognized key: "colour"|colour/);
  });

  it('validates locally without printing anything', async () => {
    const lines: string[] = [];
    const provider = createConsoleProvider('dev', {
      channel: 'sms',
      format: 'pretty',
      status: 'delivered',
      write: (line) => lines.push(line),
    });
    const signal = new AbortController().signal;
    await expect(
      provider.validate!({ id: 'm1', channel: 'sms', to: '+260971234567', text: 'hi' }, { signal }),
    ).resolves.toEqual({ method: 'local', segments: 1 });
    await expect(
      provider.validate!({ id: 'm2', channel: 'sms', to: '+1', text: 'hi' }, { signal }),
    ).rejects.toMatchObject({ kind: 'permanent', providerCode: 'MSG_INVALID_TO' });
    expect(lines).toEqual([]);
  });
});
