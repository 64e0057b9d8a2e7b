import { validatePluginOptions } from '@msg/core';
import { withAwsSharedCredentials } from '@msg/testing';
import { describe, expect, it } from 'vitest';
import snsPlugin from '../src/index.js';
import { SNS_SIMULATOR_ACCOUNTS } from '../src/simulator.js';
import { makeProvider, providerError, send, simulatorForFile } from './sns-helpers.js';

const account = SNS_SIMULATOR_ACCOUNTS[1]!;
const { simulator, options } = simulatorForFile();

describe('credentials', () => {
  it("without keys in the options, signs with the SDK's default chain (a shared-credentials profile)", async () => {
    const { baseUrl, region } = options;
    const result = await withAwsSharedCredentials(account, async () => {
      const provider = await makeProvider({ region, baseUrl });
      try {
        return await send(provider);
      } finally {
        await provider.close();
      }
    });
    expect(result.providerMessageId).toMatch(/^[0-9a-f-]{36}$/);
    const request = simulator.requests.at(-1);
    expect(request?.headers.authorization).toMatch(
      new RegExp(`^AWS4-HMAC-SHA256 Credential=${account.accessKeyId}/\\d{8}/eu-west-1/sns/aws4_request,`),
    );
    expect(request?.credential).toBe(account.accessKeyId);
  });

  it('fails as configuration, sending nothing, when the default chain finds no credentials', async () => {
    const { baseUrl, region } = options;
    const error = await withAwsSharedCredentials(undefined, async () => {
      const provider = await makeProvider({ region, baseUrl });
      try {
        return await providerError(send(provider));
      } finally {
        await provider.close();
      }
    });
    expect(error).toMatchObject({ kind: 'configuration', providerCode: 'CredentialsProviderError' });
    expect(simulator.requests).toHaveLength(0);
  });

  it.each([
    ['a key id without its secret', { accessKeyId: account.accessKeyId }, 'options.secretAccessKey'],
    ['a secret without its key id', { secretAccessKey: account.secretAccessKey }, 'options.accessKeyId'],
    ['a session token without keys', { sessionToken: 'token' }, 'options.sessionToken'],
  ])('refuses %s, naming the option', async (_label, keys, path) => {
    const error = await validatePluginOptions(snsPlugin, { region: 'eu-west-1', ...keys }, 'sns-main').catch(
      (caught: unknown) => caught as Error,
    );
    expect(String(error)).toContain(path);
    expect(String(error)).toContain('default credential chain');
  });
});
