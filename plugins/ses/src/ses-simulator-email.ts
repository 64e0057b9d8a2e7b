import type { SimulatorResponse } from '@msg/testing';
import { awsError } from './ses-simulator-errors.js';
import {
  decodeEncodedWords,
  leafParts,
  type MimePart,
  mimeProblems,
  parseMime,
} from './ses-simulator-mime.js';

export interface ReceivedAttachment {
  filename: string | undefined;
  contentType: string;
  disposition: string | undefined;
  contentId: string | undefined;
  content: Buffer;
}

/** An email SES accepted, with Raw content read back from its MIME. */
export interface ReceivedEmail {
  messageId: string;
  credential: string | undefined;
  contentKind: 'Simple' | 'Raw' | 'Template';
  fromEmailAddress: string | undefined;
  to: string[];
  cc: string[];
  bcc: string[];
  replyTo: string[];
  subject: string | undefined;
  text: string | undefined;
  html: string | undefined;
  attachments: ReceivedAttachment[];
  tags: Record<string, string>;
  configurationSetName: string | undefined;
  raw: Buffer | undefined;
  mime: MimePart | undefined;
  /** RFC 5322 rules the raw message breaks; empty when it is well formed. */
  problems: string[];
}

export interface SendEmailBody {
  FromEmailAddress?: string;
  Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
  ReplyToAddresses?: string[];
  Content?: {
    Simple?: { Subject?: { Data?: string }; Body?: { Text?: { Data?: string }; Html?: { Data?: string } } };
    Raw?: { Data?: string };
    Template?: Record<string, unknown>;
  };
  EmailTags?: Array<{ Name?: string; Value?: string }>;
  ConfigurationSetName?: string;
}

/** `Name <a@b>` or `a@b` to `a@b`. */
export function bareAddress(address: string): string {
  return (/<([^<>]+)>\s*$/.exec(address)?.[1] ?? address).trim();
}

/** What a SendEmail request holds, with Raw content read back from its MIME. */
export function readEmail(
  kind: ReceivedEmail['contentKind'],
  body: SendEmailBody,
  credential: string | undefined,
): Omit<ReceivedEmail, 'messageId'> | SimulatorResponse {
  const email: Omit<ReceivedEmail, 'messageId'> = {
    credential,
    contentKind: kind,
    fromEmailAddress: body.FromEmailAddress,
    to: body.Destination?.ToAddresses ?? [],
    cc: body.Destination?.CcAddresses ?? [],
    bcc: body.Destination?.BccAddresses ?? [],
    replyTo: body.ReplyToAddresses ?? [],
    subject: undefined,
    text: undefined,
    html: undefined,
    attachments: [],
    tags: Object.fromEntries((body.EmailTags ?? []).map((tag) => [tag.Name ?? '', tag.Value ?? ''])),
    configurationSetName: body.ConfigurationSetName,
    raw: undefined,
    mime: undefined,
    problems: [],
  };
  if (kind === 'Simple') {
    const simple = body.Content?.Simple ?? {};
    if (simple.Subject?.Data === undefined)
      return awsError('BadRequestException', 400, 'Missing required field Subject.');
    if (!simple.Body?.Text && !simple.Body?.Html)
      return awsError('BadRequestException', 400, 'Missing required field Body.');
    return {
      ...email,
      subject: simple.Subject.Data,
      text: simple.Body.Text?.Data,
      html: simple.Body.Html?.Data,
    };
  }
  if (kind === 'Template') return email;
  const data = body.Content?.Raw?.Data;
  if (typeof data !== 'string' || data === '')
    return awsError('BadRequestException', 400, 'Missing required field Data.');
  const raw = Buffer.from(data, 'base64');
  const mime = parseMime(raw);
  const header = (name: string) => mime.headers.find(([key]) => key === name)?.[1];
  const list = (name: string) => (header(name) ? (header(name) as string).split(/,\s*/) : []);
  const leaves = leafParts(mime);
  const textOf = (type: string) =>
    leaves.find((part) => part.contentType === type && !part.disposition)?.body.toString('utf8');
  return {
    ...email,
    fromEmailAddress: email.fromEmailAddress ?? header('from'),
    to: email.to.length + email.cc.length + email.bcc.length > 0 ? email.to : list('to'),
    cc: email.to.length + email.cc.length + email.bcc.length > 0 ? email.cc : list('cc'),
    subject: header('subject') === undefined ? undefined : decodeEncodedWords(header('subject') as string),
    text: textOf('text/plain'),
    html: textOf('text/html'),
    attachments: leaves
      .filter((part) => part.disposition !== undefined || part.contentId !== undefined)
      .map((part) => ({
        filename: part.filename,
        contentType: part.contentType,
        disposition: part.disposition,
        contentId: part.contentId,
        content: part.body,
      })),
    raw,
    mime,
    problems: mimeProblems(raw),
  };
}
