import twilio from 'twilio';
import { describe, expect, it } from 'vitest';
import { twilioSignature, verifyTwilioBodySignature, verifyTwilioSignature } from '../src/index.js';
import { signTwilioCallback } from '../src/simulator.js';

// Public test vectors from twilio-node's spec/validation.spec.js (constants only).
const token = '12345';
const requestUrl = 'https://mycompany.com/myapp.php?foo=1&bar=2';
const defaultParams = {
  CallSid: 'CA1234567890ABCDE',
  Caller: '+14158675309',
  Digits: '1234',
  From: '+14158675309',
  To: '+18005551212',
};
const defaultSignature = 'RSOYDt4T1cUTdK1PDd93/VVr8B8=';
const body = '{"property": "value", "boolean": true}';
const bodySignature = '0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620';
const requestUrlWithHash = `${requestUrl}&bodySHA256=${bodySignature}`;
const requestUrlWithHashSignature = 'a9nBmqA0ju/hNViExpshrM61xv4=';
const bodySignatureEmpty = '44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a';
const requestUrlWithHashEmpty = `${requestUrl}&bodySHA256=${bodySignatureEmpty}`;
const requestUrlWithHashSignatureEmptyBody = 'Ldidvp12m26NI7eqEvxnEpkd9Hc=';

/** Each vector: the URL and params Twilio called with, and the signature it sent. */
const formVectors: Array<[string, string, Record<string, string | string[]>, string]> = [
  ['the default request', requestUrl, defaultParams, defaultSignature],
  [
    'an https URL with a port (stripped)',
    requestUrl.replace('.com', '.com:1234'),
    defaultParams,
    defaultSignature,
  ],
  [
    'an http URL with a port',
    requestUrl.replace('.com', '.com:1234').replace('https', 'http'),
    defaultParams,
    'Zmvh+3yNM1Phv2jhDCwEM3q5ebU=',
  ],
  ['an https URL signed with :443 added', requestUrl, defaultParams, 'kvajT1Ptam85bY51eRf/AJRuM3w='],
  [
    'an http URL signed with :80 added',
    requestUrl.replace('https', 'http'),
    defaultParams,
    '0ZXoZLH/DfblKGATFgpif+LLRf4=',
  ],
  [
    'a URL with credentials',
    'https://user:pass@mycompany.com/myapp.php?foo=1&bar=2',
    defaultParams,
    'CukzLTc1tT5dXEDIHm/tKBanW10=',
  ],
  [
    'a URL with only a username',
    'https://user@mycompany.com/myapp.php?foo=1&bar=2',
    defaultParams,
    '2YRLlVAflCqxaNicjMpJcSTgzSs=',
  ],
  [
    'a URL with credentials signed with the port added',
    'https://user:pass@mycompany.com/myapp.php?foo=1&bar=2',
    defaultParams,
    'ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=',
  ],
  [
    'a URL with special characters',
    `${requestUrl}&Body=It's+amazing`,
    defaultParams,
    'dsq4Ehbj6cs+KdTkpF5sSSplOWw=',
  ],
  [
    'an array parameter',
    requestUrl,
    { 'MessagingBinding.Address': ['+1325xxxxxxx', '+1415xxxxxxx'] },
    '83O6e2vORAoJHUNzJjDWN1jz+BA=',
  ],
  [
    'an array parameter in another order',
    requestUrl,
    { 'MessagingBinding.Address': ['+1415xxxxxxx', '+1325xxxxxxx'] },
    '83O6e2vORAoJHUNzJjDWN1jz+BA=',
  ],
  [
    'several parameters with repeated values',
    requestUrl,
    { Sid: 'CA123', SidAccount: 'AC123', Digits: ['5678', '1234', '1234'] },
    'IK+Dwps556ElfBT0I3Rgjkr1wJU=',
  ],
];

/** The same text with one character changed (never to itself). */
function changeOne(text: string, index = text.length - 2): string {
  const at = ((index % text.length) + text.length) % text.length;
  const replacement = text[at] === 'A' ? 'B' : 'A';
  return text.slice(0, at) + replacement + text.slice(at + 1);
}

describe("twilio-node's public signature vectors", () => {
  it.each(formVectors)('accepts %s', (_label, url, params, signature) => {
    expect(verifyTwilioSignature({ authToken: token, signature, url, params })).toBe(true);
    // Cross-check: the SDK's own validator agrees on the vector.
    expect(twilio.validateRequest(token, signature, url, params)).toBe(true);
  });

  it.each(formVectors)('refuses %s when one character changes', (_label, url, params, signature) => {
    expect(verifyTwilioSignature({ authToken: token, signature: changeOne(signature), url, params })).toBe(
      false,
    );
    expect(verifyTwilioSignature({ authToken: token, signature, url: changeOne(url, 20), params })).toBe(
      false,
    );
    const [firstKey] = Object.keys(params) as [string];
    const value = params[firstKey] as string | string[];
    const changedValue =
      typeof value === 'string' ? changeOne(value) : [changeOne(value[0] as string), ...value.slice(1)];
    expect(
      verifyTwilioSignature({
        authToken: token,
        signature,
        url,
        params: { ...params, [firstKey]: changedValue },
      }),
    ).toBe(false);
    expect(verifyTwilioSignature({ authToken: changeOne(token), signature, url, params })).toBe(false);
  });

  it('refuses a wrong or missing signature', () => {
    expect(
      verifyTwilioSignature({
        authToken: token,
        signature: 'WRONG_SIGNATURE',
        url: requestUrl,
        params: defaultParams,
      }),
    ).toBe(false);
    expect(
      verifyTwilioSignature({
        authToken: token,
        signature: undefined,
        url: requestUrl,
        params: defaultParams,
      }),
    ).toBe(false);
    expect(
      verifyTwilioSignature({ authToken: token, signature: '', url: requestUrl, params: defaultParams }),
    ).toBe(false);
  });

  describe('JSON bodies (bodySHA256 in the URL)', () => {
    const jsonVectors: Array<[string, string, string, string]> = [
      ['a JSON body', requestUrlWithHash, body, requestUrlWithHashSignature],
      ['an empty JSON body', requestUrlWithHashEmpty, '{}', requestUrlWithHashSignatureEmptyBody],
      [
        'a URL whose only parameter is bodySHA256',
        `https://mycompany.com/myapp.php?bodySHA256=${bodySignature}`,
        body,
        'y77kIzt2vzLz71DgmJGsen2scGs=',
      ],
    ];

    it.each(jsonVectors)('accepts %s', (_label, url, json, signature) => {
      expect(verifyTwilioBodySignature({ authToken: token, signature, url, body: json })).toBe(true);
      expect(
        verifyTwilioBodySignature({ authToken: token, signature, url, body: new TextEncoder().encode(json) }),
      ).toBe(true);
      expect(twilio.validateRequestWithBody(token, signature, url, json)).toBe(true);
    });

    it.each(jsonVectors)('refuses %s when one character changes', (_label, url, json, signature) => {
      expect(
        verifyTwilioBodySignature({ authToken: token, signature: changeOne(signature), url, body: json }),
      ).toBe(false);
      expect(verifyTwilioBodySignature({ authToken: token, signature, url, body: changeOne(json, 3) })).toBe(
        false,
      );
      // The last character of the URL is part of the body hash.
      expect(
        verifyTwilioBodySignature({ authToken: token, signature, url: changeOne(url, -1), body: json }),
      ).toBe(false);
    });

    it('refuses a body when the URL carries no bodySHA256', () => {
      expect(
        verifyTwilioBodySignature({ authToken: token, signature: defaultSignature, url: requestUrl, body }),
      ).toBe(false);
    });
  });
});

describe('signing', () => {
  it("produces the vector's signature and agrees with the simulator's signer and the SDK", () => {
    expect(twilioSignature(token, requestUrl, defaultParams)).toBe(defaultSignature);
    const params = new URLSearchParams({
      MessageSid: `SM${'0'.repeat(32)}`,
      MessageStatus: 'delivered',
      To: '+260971234567',
      Body: "It's 100% ünïcode & more",
    });
    const url = 'https://gateway.example.com/webhooks/twilio?messageId=m%201';
    const signature = signTwilioCallback('some-token', url, params);
    expect(signature).toBe(twilioSignature('some-token', url, Object.fromEntries(params)));
    expect(twilio.validateRequest('some-token', signature, url, Object.fromEntries(params))).toBe(true);
  });
});
