import { validatePluginOptions } from '@msg/core';
import { describe, expect, it } from 'vitest';
import snsPlugin from '../src/index.js';
import { makeProvider } from './sns-helpers.js';

const base = {
  region: 'eu-west-1',
  accessKeyId: 'AKIAEXAMPLE000000001',
  secretAccessKey: 'example-secret',
};

describe('options', () => {
  it('fills in the defaults: Transactional, 64 connections, regional endpoint', async () => {
    await expect(validatePluginOptions(snsPlugin, base, 'sns-main')).resolves.toEqual({
      ...base,
      smsType: 'Transactional',
      connections: 64,
    });
  });

  it('turns a numeric maxPrice into the decimal string SNS takes', async () => {
    const options = await validatePluginOptions(snsPlugin, { ...base, maxPrice: 0.25 }, 'sns-main');
    expect(options.maxPrice).toBe('0.25');
  });

  it.each([
    ['an unknown option', { ...base, colour: 'red' }, 'colour'],
    ['a region that is not one', { ...base, region: 'Ireland' }, 'options.region'],
    ['a sender id with spaces', { ...base, senderId: 'MY SHOP' }, 'options.senderId'],
    ['a sender id of 12 characters', { ...base, senderId: 'ABCDEFGHIJKL' }, 'options.senderId'],
    ['an SMS type SNS does not know', { ...base, smsType: 'Urgent' }, 'options.smsType'],
    ['a missing secret', { region: 'eu-west-1', accessKeyId: base.accessKeyId }, 'options.secretAccessKey'],
    ['a base URL that is not http(s)', { ...base, baseUrl: 'ftp://example.com' }, 'options.baseUrl'],
  ])('refuses %s, naming the option', async (_label, options, path) => {
    await expect(validatePluginOptions(snsPlugin, options, 'sns-main')).rejects.toThrow(path);
  });

  it('never puts the secret in a validation error', async () => {
    const error = await validatePluginOptions(snsPlugin, { ...base, region: 'nowhere' }, 'sns-main').catch(
      (caught: unknown) => caught as Error,
    );
    expect(String(error)).not.toContain('example-secret');
  });
});

describe('the provider', () => {
  it('describes SNS honestly: SMS only, one number per call, no delivery receipts, no webhook', async () => {
    const provider = await makeProvider({ ...base, baseUrl: 'http://127.0.0.1:9' }, 'sns-main');
    expect(provider).toMatchObject({ id: 'sns-main', plugin: '@msg/plugin-sns', channel: 'sms' });
    expect(provider.capabilities).toEqual({
      maxBatchSize: 1,
      unicode: true,
      deliveryReceipts: false,
      senderTypes: ['alphanumeric', 'numeric', 'short-code'],
      validation: 'local',
    });
    expect(provider.parseWebhook).toBeUndefined();
    expect(provider.sendBatch).toBeUndefined();
    await provider.close();
    await provider.close();
  });
});
