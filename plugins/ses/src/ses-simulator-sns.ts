import { createSign, type KeyObject, randomUUID } from 'node:crypto';
import { certificateFileName, type SnsMessage, snsStringToSign } from './ses-sns.js';

export interface SnsSigner {
  privateKey: KeyObject;
  signingCertUrl: string;
  /** '1' = SHA1withRSA (the SNS default), '2' = SHA256withRSA. */
  signatureVersion: '1' | '2';
}

export interface SnsDelivery {
  message: SnsMessage;
  /** The headers SNS sends with an HTTP(S) delivery. */
  headers: Record<string, string>;
  body: string;
}

/** The SigningCertURL SNS would use for a certificate: a regional host, a name from its hash. */
export function signingCertificateUrl(region: string, certificatePem: string): string {
  return `https://sns.${region}.amazonaws.com/${certificateFileName(certificatePem)}`;
}

/** Signs the message fields as SNS does and returns the JSON body and headers it would post. */
export function signSnsMessage(
  fields: Omit<SnsMessage, 'Signature' | 'SignatureVersion' | 'SigningCertURL' | 'MessageId'> & {
    MessageId?: string;
  },
  signer: SnsSigner,
  subscriptionArn?: string,
): SnsDelivery {
  const unsigned = {
    ...fields,
    MessageId: fields.MessageId ?? randomUUID(),
    SignatureVersion: signer.signatureVersion,
    SigningCertURL: signer.signingCertUrl,
  };
  const sign = createSign(signer.signatureVersion === '2' ? 'RSA-SHA256' : 'RSA-SHA1');
  sign.update(snsStringToSign({ ...unsigned, Signature: '' }), 'utf8');
  // SNS orders the body fields like this; the order does not matter to the signature.
  const message: SnsMessage = {
    Type: unsigned.Type,
    MessageId: unsigned.MessageId,
    ...(unsigned.Token === undefined ? {} : { Token: unsigned.Token }),
    TopicArn: unsigned.TopicArn,
    ...(unsigned.Subject === undefined ? {} : { Subject: unsigned.Subject }),
    Message: unsigned.Message,
    ...(unsigned.SubscribeURL === undefined ? {} : { SubscribeURL: unsigned.SubscribeURL }),
    Timestamp: unsigned.Timestamp,
    SignatureVersion: unsigned.SignatureVersion,
    Signature: sign.sign(signer.privateKey, 'base64'),
    SigningCertURL: unsigned.SigningCertURL,
    ...(unsigned.UnsubscribeURL === undefined ? {} : { UnsubscribeURL: unsigned.UnsubscribeURL }),
  };
  const headers: Record<string, string> = {
    'content-type': 'text/plain; charset=UTF-8',
    'user-agent': 'Amazon Simple Notification Service Agent',
    'x-amz-sns-message-type': message.Type,
    'x-amz-sns-message-id': message.MessageId,
    'x-amz-sns-topic-arn': message.TopicArn,
  };
  if (subscriptionArn && message.Type === 'Notification')
    headers['x-amz-sns-subscription-arn'] = subscriptionArn;
  return { message, headers, body: JSON.stringify(message, null, 2) };
}
