import { randomUUID } from 'node:crypto';
import type { SimulatorResponse } from '@msg/testing';
import { SNS_XML_NAMESPACE } from './sns-api-types.js';

/** The XML bodies SNS answers with, byte for byte in shape (no declaration, `text/xml`). */

function escapeXml(value: string): string {
  return value.replace(/[<>&'"]/g, (c) => `&#${c.charCodeAt(0)};`);
}

function xmlResponse(status: number, body: string, requestId: string): SimulatorResponse {
  return {
    status,
    headers: {
      'content-type': 'text/xml',
      'x-amzn-requestid': requestId,
      date: new Date().toUTCString(),
    },
    body,
  };
}

export function publishResponse(messageId: string, requestId = randomUUID()): SimulatorResponse {
  return xmlResponse(
    200,
    `<PublishResponse xmlns="${SNS_XML_NAMESPACE}">\n  <PublishResult>\n    <MessageId>${escapeXml(messageId)}</MessageId>\n  </PublishResult>\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</PublishResponse>\n`,
    requestId,
  );
}

export function smsAttributesResponse(
  attributes: Record<string, string>,
  requestId = randomUUID(),
): SimulatorResponse {
  const entries = Object.entries(attributes)
    .map(
      ([key, value]) =>
        `      <entry>\n        <key>${escapeXml(key)}</key>\n        <value>${escapeXml(value)}</value>\n      </entry>\n`,
    )
    .join('');
  return xmlResponse(
    200,
    `<GetSMSAttributesResponse xmlns="${SNS_XML_NAMESPACE}">\n  <GetSMSAttributesResult>\n    <attributes>\n${entries}    </attributes>\n  </GetSMSAttributesResult>\n  <ResponseMetadata>\n    <RequestId>${requestId}</RequestId>\n  </ResponseMetadata>\n</GetSMSAttributesResponse>\n`,
    requestId,
  );
}

/** `<ErrorResponse>`: `Sender` faults for 4xx, `Receiver` for 5xx, as SNS labels them. */
export function errorResponse(
  status: number,
  code: string,
  message: string,
  requestId = randomUUID(),
): SimulatorResponse {
  const type = status >= 500 ? 'Receiver' : 'Sender';
  return xmlResponse(
    status,
    `<ErrorResponse xmlns="${SNS_XML_NAMESPACE}">\n  <Error>\n    <Type>${type}</Type>\n    <Code>${escapeXml(code)}</Code>\n    <Message>${escapeXml(message)}</Message>\n  </Error>\n  <RequestId>${requestId}</RequestId>\n</ErrorResponse>\n`,
    requestId,
  );
}
