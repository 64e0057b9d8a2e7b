/** Facts of the SNS Query API (version 2010-03-31) shared by the provider and the simulator. */

export const SNS_API_VERSION = '2010-03-31';
/** The namespace SNS puts on every response; the SDK's own `xmlNamespace` for the service. */
export const SNS_XML_NAMESPACE = 'http://sns.amazonaws.com/doc/2010-03-31/';
/** SNS refuses an SMS `Message` longer than this. */
export const SNS_SMS_MAX_LENGTH = 1600;

/** The reserved message attributes SNS reads for SMS. */
export const SMS_ATTRIBUTE = {
  smsType: 'AWS.SNS.SMS.SMSType',
  senderId: 'AWS.SNS.SMS.SenderID',
  maxPrice: 'AWS.SNS.SMS.MaxPrice',
  originationNumber: 'AWS.MM.SMS.OriginationNumber',
} as const;

export type SnsSmsType = 'Transactional' | 'Promotional';

/** A SNS sender id: 1-11 letters and digits with at least one letter (no spaces). */
export const SENDER_ID_PATTERN = /^(?=.*[A-Za-z])[A-Za-z0-9-]{1,11}$/;
/** An E.164 number, used as `AWS.MM.SMS.OriginationNumber`. */
export const E164_PATTERN = /^\+[1-9]\d{1,14}$/;
