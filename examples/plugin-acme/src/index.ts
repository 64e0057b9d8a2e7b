import { definePlugin } from '@msg/core';
import { z } from 'zod';
import { createAcmeProvider } from './acme-provider.js';

export const acmeOptionsSchema = z
  .object({
    apiKey: z.string().min(1),
    baseUrl: z.url().default('https://api.acme-sms.example'),
    from: z.string().optional(),
    webhookSecret: z.string().min(16).optional(),
    webhookToleranceSeconds: z.number().int().positive().default(300),
  })
  .strict();

export default definePlugin({
  name: '@msg/example-plugin-acme',
  version: '0.1.0',
  specificationVersion: 'v1',
  channels: ['sms'],
  optionsSchema: acmeOptionsSchema,
  create: (options, context) => createAcmeProvider(options, context),
});

export { acmeStatuses, signAcme } from './acme-webhook.js';
