import {
  countSmsSegments,
  isEmailAddress,
  normalizePhoneNumber,
  SMS_MAX_TEXT_LENGTH,
  ValidationError,
} from '@msg/core';
import type {
  CampaignDefinition,
  CampaignRecipient,
  InvalidLine,
  ValidationReport,
} from '../store/campaign-store.js';
import { renderTemplate, templateVariables } from './template.js';

/** One recipient as an upload gives it: the line, the address and the other columns. */
export interface RecipientInput {
  line: number;
  to: unknown;
  variables: Record<string, unknown>;
}

export interface RecipientValidatorOptions {
  definition: CampaignDefinition;
  /** Micro-units one recipient's message may cost (its billable units through the dearest provider). */
  estimate: (recipient: string, units: number) => number;
  maxRecipients: number;
  maxReportedInvalid: number;
  currency: string;
}

const MAX_VARIABLE_LENGTH = 1000;

/** An upload that cannot be read on (a broken line, a missing column, too many recipients): refused whole. */
export class UploadError extends ValidationError {
  constructor(line: number | undefined, message: string) {
    super([{ path: line === undefined ? 'recipients' : `recipients.line ${line}`, message }], {
      subject: 'invalid recipients',
    });
  }
}

interface Checked {
  recipient: CampaignRecipient;
  units: number;
  micros: number;
}

/**
 * Validates a campaign's recipients one by one as they stream in, and sums the report: invalid
 * numbers and addresses with their line, the segments and the estimated cost of the valid ones.
 * Duplicates are found by the store (one recipient per campaign): `stored` is told which were.
 */
export class RecipientValidator {
  readonly variables: string[];
  private readonly channel;
  private lines = 0;
  private valid = 0;
  private invalid = 0;
  private duplicates = 0;
  private segments = 0;
  private micros = 0;
  private readonly invalidLines: InvalidLine[] = [];
  private pending: Checked[] = [];

  constructor(private readonly options: RecipientValidatorOptions) {
    const { template } = options.definition;
    this.channel = template.channel;
    this.variables = templateVariables(template.text, template.subject, template.html);
  }

  /** Refuses a CSV whose header lacks `to` or a variable the template uses. */
  checkColumns(columns: readonly string[]): void {
    if (!columns.includes('to')) {
      throw new UploadError(1, `the header has no "to" column (columns: ${columns.join(', ') || 'none'})`);
    }
    const missing = this.variables.filter((name) => !columns.includes(name));
    if (missing.length > 0) {
      throw new UploadError(
        1,
        `the template uses ${missing.map((name) => `{{${name}}}`).join(', ')}, which ${missing.length === 1 ? 'is not a column' : 'are not columns'} of the upload (columns: ${columns.join(', ')})`,
      );
    }
  }

  /** Checks one recipient; a valid one waits in `take()`'s next chunk. */
  add(input: RecipientInput): void {
    this.lines++;
    const problem = this.check(input);
    if (typeof problem === 'string') {
      this.invalid++;
      if (this.invalidLines.length < this.options.maxReportedInvalid) {
        const value = typeof input.to === 'string' ? input.to.slice(0, 100) : undefined;
        this.invalidLines.push({ line: input.line, value, reason: problem });
      }
      return;
    }
    if (this.valid + this.pending.length >= this.options.maxRecipients) {
      throw new UploadError(
        input.line,
        `more than ${this.options.maxRecipients} recipients (campaigns.maxRecipients)`,
      );
    }
    this.pending.push(problem);
  }

  /** The valid recipients checked since the last call. */
  take(): CampaignRecipient[] {
    return this.pending.map((checked) => checked.recipient);
  }

  /** The store kept all of the last chunk but the `duplicates` (by sequence): they leave the totals. */
  stored(duplicates: ReadonlySet<number>): void {
    for (const checked of this.pending) {
      if (duplicates.has(checked.recipient.sequence)) {
        this.duplicates++;
        continue;
      }
      this.valid++;
      this.segments += checked.units;
      this.micros += checked.micros;
    }
    this.pending = [];
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  report(): ValidationReport {
    return {
      lines: this.lines,
      recipients: this.valid,
      invalid: this.invalid,
      duplicates: this.duplicates,
      segments: this.segments,
      estimatedMicros: this.micros,
      currency: this.options.currency,
      invalidLines: this.invalidLines,
    };
  }

  private check(input: RecipientInput): Checked | string {
    const variables: Record<string, string> = {};
    for (const [name, value] of Object.entries(input.variables)) {
      if (value === undefined || value === null || value === '') continue;
      if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
        return `variable "${name}" must be a string, number or boolean`;
      }
      const text = String(value);
      if (text.length > MAX_VARIABLE_LENGTH)
        return `variable "${name}" is longer than ${MAX_VARIABLE_LENGTH} characters`;
      variables[name] = text;
    }
    for (const name of this.variables) {
      if (variables[name] === undefined) return `no value for the template's {{${name}}}`;
    }
    if (typeof input.to !== 'string' || input.to.trim() === '') return 'no recipient ("to" is empty)';
    let recipient: string;
    if (this.channel === 'sms') {
      try {
        recipient = normalizePhoneNumber(input.to);
      } catch (error) {
        return ValidationError.isInstance(error)
          ? (error.issues[0]?.message ?? error.message)
          : String(error);
      }
    } else {
      recipient = input.to.trim().toLowerCase();
      if (!isEmailAddress(recipient))
        return `${JSON.stringify(input.to.slice(0, 100))} is not an email address`;
    }
    let units = 1;
    const { template } = this.options.definition;
    if (this.channel === 'sms') {
      const text = renderTemplate(template.text ?? '', variables);
      if (text.length > SMS_MAX_TEXT_LENGTH) {
        return `the text is ${text.length} characters with this recipient's variables (at most ${SMS_MAX_TEXT_LENGTH})`;
      }
      units = countSmsSegments(text).segments;
    }
    // Only what the template uses is kept: the rest of a wide CSV would only fill the store.
    const used: Record<string, string> = {};
    for (const name of this.variables) used[name] = variables[name] as string;
    return {
      recipient: { sequence: input.line, recipient, variables: used },
      units,
      micros: this.options.estimate(recipient, units),
    };
  }
}
