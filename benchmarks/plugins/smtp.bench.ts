/**
 * @msg/plugin-smtp against raw nodemailer (the anchor: SMTP has no raw-undici equivalent): the
 * same pooled transport settings (STARTTLS, AUTH, one connection per concurrent sender) sending
 * the same message to the same smtp-server simulator, at the same concurrency. The plugin also
 * asks for DSNs (ENVID, NOTIFY) and sets our Message-ID; the simulator's reports are turned off.
 * The measuring is in harness.ts.
 *
 *   cd benchmarks/plugins && node --conditions=@msg/source --import tsx smtp.bench.ts
 */
import { createProvider, type EmailMessage, type Provider, silentLogger } from '@msg/core';
import smtpPlugin from '@msg/plugin-smtp';
import { createSmtpSimulator } from '@msg/plugin-smtp/simulator';
import nodemailer from 'nodemailer';
import { emailMessages, runPluginBench, settingsFromEnvironment } from './harness.js';

const settings = settingsFromEnvironment();

const simulator = createSmtpSimulator({
  recordLimit: 1,
  bounceMailbox: false,
  dailyLimit: Number.MAX_SAFE_INTEGER,
  accounts: [
    { username: 'plugin@example.com', password: 'plugin-password' },
    { username: 'raw@example.com', password: 'raw-password' },
  ],
});
await simulator.start();
const connection = {
  host: simulator.host,
  port: simulator.port,
  maxConnections: settings.concurrency,
  maxMessagesPerConnection: 1_000_000,
};
const provider = (await createProvider(
  smtpPlugin,
  {
    ...connection,
    tls: 'starttls',
    tlsCa: simulator.ca,
    username: 'plugin@example.com',
    password: 'plugin-password',
  },
  { instanceId: 'smtp-bench', logger: silentLogger, now: Date.now },
)) as Provider<'email'>;
const raw = nodemailer.createTransport({
  pool: true,
  host: connection.host,
  port: connection.port,
  requireTLS: true,
  tls: { ca: simulator.ca },
  auth: { user: 'raw@example.com', pass: 'raw-password' },
  maxConnections: settings.concurrency,
  maxMessages: 1_000_000,
  logger: false,
});
const message = emailMessages('sender@example.com');
const rawMessage = (source: EmailMessage) => ({
  from: { name: source.from.name ?? '', address: source.from.email },
  to: source.to.map((entry) => entry.email),
  subject: source.subject,
  text: source.text,
});
// The simulator keeps every accepted message: forget them as the bench goes.
const trim = setInterval(() => {
  simulator.mailbox.length = 0;
}, 500);

await runPluginBench(
  {
    plugin: '@msg/plugin-smtp',
    pluginSend: () => provider.send(message(), { signal: new AbortController().signal }),
    rawSend: () => raw.sendMail(rawMessage(message())),
    async close() {
      clearInterval(trim);
      await provider.close();
      raw.close();
      await simulator.stop();
    },
  },
  settings,
);
