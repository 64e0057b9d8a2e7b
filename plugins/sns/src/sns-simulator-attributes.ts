import { E164_PATTERN, SENDER_ID_PATTERN, SMS_ATTRIBUTE } from './sns-api-types.js';

export type QueryAttributes = Record<string, { dataType: string; value: string }>;

/** `MessageAttributes.entry.N.Name` / `.Value.StringValue` pairs of an awsQuery form. */
export function messageAttributes(form: URLSearchParams): QueryAttributes {
  const attributes: QueryAttributes = {};
  for (let index = 1; form.has(`MessageAttributes.entry.${index}.Name`); index++) {
    const prefix = `MessageAttributes.entry.${index}`;
    attributes[form.get(`${prefix}.Name`) as string] = {
      dataType: form.get(`${prefix}.Value.DataType`) ?? '',
      value: form.get(`${prefix}.Value.StringValue`) ?? '',
    };
  }
  return attributes;
}

/** Why SNS would refuse these SMS attributes, or `undefined` when it takes them. */
export function invalidAttribute(attributes: QueryAttributes): string | undefined {
  for (const [name, { dataType, value }] of Object.entries(attributes)) {
    if (
      dataType !== 'String' &&
      dataType !== 'Number' &&
      !dataType.startsWith('String.') &&
      !dataType.startsWith('Number.')
    ) {
      return `The message attribute '${name}' has an invalid message attribute type, the set of supported type prefixes is Binary, Number, and String.`;
    }
    if (dataType.startsWith('Number') && !/^-?\d+(\.\d+)?$/.test(value)) {
      return `The message attribute '${name}' with type 'Number' must contain a valid numeric value`;
    }
  }
  const smsType = attributes[SMS_ATTRIBUTE.smsType]?.value;
  if (smsType !== undefined && smsType !== 'Transactional' && smsType !== 'Promotional') {
    return `The value of the message attribute ${SMS_ATTRIBUTE.smsType} is invalid: ${smsType}`;
  }
  const senderId = attributes[SMS_ATTRIBUTE.senderId]?.value;
  if (senderId !== undefined && !SENDER_ID_PATTERN.test(senderId)) {
    return `The value of the message attribute ${SMS_ATTRIBUTE.senderId} is invalid: ${senderId}`;
  }
  const origination = attributes[SMS_ATTRIBUTE.originationNumber]?.value;
  if (origination !== undefined && !E164_PATTERN.test(origination)) {
    return `The value of the message attribute ${SMS_ATTRIBUTE.originationNumber} is invalid: ${origination}`;
  }
  return undefined;
}
