import { describe, expect, it } from 'vitest';
import { createSnsSimulator, SNS_SIMULATOR_ACCOUNTS } from '../src/simulator.js';
import { publishResponse } from '../src/sns-simulator-xml.js';
import { makeProvider, providerError, send, simulatorForFile, sms } from './sns-helpers.js';

const account = SNS_SIMULATOR_ACCOUNTS[0]!;
const { simulator, options } = simulatorForFile();

function lastRequest() {
  const request = simulator.requests.at(-1);
  if (!request) throw new Error('no request reached the simulator');
  return request;
}

describe('the Publish request the SDK sends', () => {
  it('is a SigV4-signed awsQuery POST to / scoped to the region and sns', async () => {
    const provider = await makeProvider({ ...options, senderId: 'ACME' });
    await send(provider);
    const request = lastRequest();
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/');
    expect(request.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(request.headers.authorization).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIASIMULATOR0000001\/\d{8}\/eu-west-1\/sns\/aws4_request, SignedHeaders=[a-z0-9;-]*host[a-z0-9;-]*, Signature=[0-9a-f]{64}$/,
    );
    expect(request.headers['x-amz-date']).toMatch(/^\d{8}T\d{6}Z$/);
    expect(request.credential).toBe(account.accessKeyId);
    await provider.close();
  });

  it('carries Action, Version, PhoneNumber, Message and the SMS attributes, in the SDK order', async () => {
    const provider = await makeProvider({ ...options, senderId: 'ACME', maxPrice: 0.5 });
    await send(provider, sms({ text: 'Hi & bye' }));
    expect(lastRequest().body.toString('utf8')).toBe(
      [
        'Action=Publish',
        'Version=2010-03-31',
        'Message=Hi%20%26%20bye',
        'PhoneNumber=%2B260971234567',
        'MessageAttributes.entry.1.Name=AWS.SNS.SMS.SMSType',
        'MessageAttributes.entry.1.Value.DataType=String',
        'MessageAttributes.entry.1.Value.StringValue=Transactional',
        'MessageAttributes.entry.2.Name=AWS.SNS.SMS.SenderID',
        'MessageAttributes.entry.2.Value.DataType=String',
        'MessageAttributes.entry.2.Value.StringValue=ACME',
        'MessageAttributes.entry.3.Name=AWS.SNS.SMS.MaxPrice',
        'MessageAttributes.entry.3.Value.DataType=Number',
        'MessageAttributes.entry.3.Value.StringValue=0.5',
      ].join('&'),
    );
    expect(simulator.published.at(-1)).toMatchObject({
      phoneNumber: '+260971234567',
      message: 'Hi & bye',
      attributes: { 'AWS.SNS.SMS.SMSType': 'Transactional', 'AWS.SNS.SMS.SenderID': 'ACME' },
    });
    await provider.close();
  });

  it("uses the message's own sender id over the configured one, and Promotional when configured", async () => {
    const provider = await makeProvider({ ...options, senderId: 'ACME', smsType: 'Promotional' });
    await send(provider, sms({ from: 'SHOP' }));
    expect(simulator.published.at(-1)?.attributes).toEqual({
      'AWS.SNS.SMS.SMSType': 'Promotional',
      'AWS.SNS.SMS.SenderID': 'SHOP',
    });
    await provider.close();
  });

  it('sends an E.164 sender as the origination number, not as a sender id', async () => {
    const provider = await makeProvider({ ...options, senderId: 'ACME' });
    await send(provider, sms({ from: '+15555550100' }));
    expect(simulator.published.at(-1)?.attributes).toEqual({
      'AWS.SNS.SMS.SMSType': 'Transactional',
      'AWS.MM.SMS.OriginationNumber': '+15555550100',
    });
    await provider.close();
  });

  it('returns the MessageId SNS assigned, the request id and the SMS parts', async () => {
    const provider = await makeProvider(options);
    const result = await send(provider, sms({ text: 'x'.repeat(161) }));
    const published = simulator.published.at(-1);
    expect(result.providerMessageId).toBe(published?.messageId);
    expect(result.providerMessageId).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/,
    );
    expect(result.status).toBe('queued');
    expect(result.segments).toBe(2);
    expect(result.details?.requestId).toMatch(/^[0-9a-f-]{36}$/);
    await provider.close();
  });

  it('sends with a session token when given temporary credentials', async () => {
    const temporary = {
      accessKeyId: 'ASIATEMPORARY0000001',
      secretAccessKey: 'temp-secret',
      sessionToken: 'token-1',
    };
    const sts = createSnsSimulator({ region: 'eu-west-1', accounts: [temporary] });
    const baseUrl = await sts.start();
    const provider = await makeProvider({ region: 'eu-west-1', baseUrl, ...temporary });
    await send(provider);
    expect(sts.requests.at(-1)?.headers['x-amz-security-token']).toBe('token-1');
    expect(sts.requests.at(-1)?.headers.authorization).toContain('x-amz-security-token');
    expect(sts.requests.at(-1)?.credential).toBe(temporary.accessKeyId);
    await provider.close();
    await sts.stop();
  });

  it('reports itself healthy when SNS answers GetSMSAttributes', async () => {
    const provider = await makeProvider(options);
    await expect(provider.health?.({ signal: new AbortController().signal })).resolves.toEqual({ ok: true });
    expect(lastRequest().body.toString('utf8')).toBe(
      'Action=GetSMSAttributes&Version=2010-03-31&attributes.member.1=DefaultSMSType',
    );
    await provider.close();
  });
});

describe('cancelling', () => {
  it('aborts only the send whose signal fired, though the SDK reuses one middleware chain', async () => {
    const provider = await makeProvider(options);
    simulator.faultNext({ hang: true }, 2);
    const first = new AbortController();
    const second = new AbortController();
    let firstSettled = false;
    const firstSend = providerError(send(provider, sms(), first.signal)).finally(() => {
      firstSettled = true;
    });
    const secondSend = providerError(send(provider, sms(), second.signal));
    await new Promise((resolve) => setTimeout(resolve, 50));
    second.abort(new Error('second deadline'));
    expect(await secondSend).toMatchObject({ kind: 'ambiguous', providerCode: 'MSG_ABORTED' });
    expect(firstSettled).toBe(false);
    first.abort(new Error('first deadline'));
    expect((await firstSend).message).toContain('first deadline');
    await provider.close();
  });
});

describe('the simulator', () => {
  it('keeps a CloudWatch-shaped delivery log, FAILURE for a recipient set to fail', async () => {
    const provider = await makeProvider(options);
    simulator.outcomes.set('+260977000001', 'failed');
    const delivered = await send(provider);
    const failed = await send(provider, sms({ to: '+260977000001' }));
    const logs = simulator.deliveryLogs.slice(-2);
    expect(logs[0]).toMatchObject({
      notification: { messageId: delivered.providerMessageId },
      status: 'SUCCESS',
    });
    expect(logs[1]).toMatchObject({
      notification: { messageId: failed.providerMessageId },
      delivery: { destination: '+260977000001', smsType: 'Transactional' },
      status: 'FAILURE',
    });
    await provider.close();
  });

  it('answers Publish with the PublishResponse XML SNS sends', () => {
    const response = publishResponse(
      '6b8f0f5e-2f0b-5a3c-9d3e-0e6b1f6f2c11',
      'f187a3c1-376f-11df-8963-01868b7c937a',
    );
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({
      'content-type': 'text/xml',
      'x-amzn-requestid': 'f187a3c1-376f-11df-8963-01868b7c937a',
    });
    expect(String(response.body).replace(/>\s+</g, '><').trim()).toBe(
      '<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult>' +
        '<MessageId>6b8f0f5e-2f0b-5a3c-9d3e-0e6b1f6f2c11</MessageId></PublishResult><ResponseMetadata>' +
        '<RequestId>f187a3c1-376f-11df-8963-01868b7c937a</RequestId></ResponseMetadata></PublishResponse>',
    );
  });

  it('answers the real XML shapes', async () => {
    const response = await fetch(simulator.url, { method: 'POST', body: 'Action=Publish' });
    const text = await response.text();
    expect(response.status).toBe(403);
    expect(response.headers.get('content-type')).toBe('text/xml');
    expect(text).toMatch(
      /^<ErrorResponse xmlns="http:\/\/sns\.amazonaws\.com\/doc\/2010-03-31\/">\s*<Error>\s*<Type>Sender<\/Type>\s*<Code>MissingAuthenticationToken<\/Code>\s*<Message>[^<]+<\/Message>\s*<\/Error>\s*<RequestId>[0-9a-f-]{36}<\/RequestId>\s*<\/ErrorResponse>\s*$/,
    );
  });
});
