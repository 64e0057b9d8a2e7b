/** The error body Resend answers with (`ErrorResponse` in the SDK), as the SDK hands it back. */
export interface ResendErrorBody {
  name: string;
  message?: string | undefined;
  /** `null` when no HTTP answer came (network error, abort, or a 2xx body that is not JSON). */
  statusCode: number | null;
}

/** One email of `POST /emails` and `POST /emails/batch` (the SDK's camelCase input). */
export interface ResendEmailInput {
  from: string;
  to: string[];
  cc?: string[];
  bcc?: string[];
  replyTo?: string[];
  subject: string;
  text?: string;
  html?: string;
  headers?: Record<string, string>;
  attachments?: Array<{ content: Buffer; filename: string; contentType: string; contentId?: string }>;
  tags?: Array<{ name: string; value: string }>;
}

/** The wire body of one email (snake_case), as the simulator reads it. */
export interface ResendEmailBody {
  from?: unknown;
  to?: unknown;
  cc?: unknown;
  bcc?: unknown;
  reply_to?: unknown;
  subject?: unknown;
  text?: unknown;
  html?: unknown;
  template?: unknown;
  headers?: unknown;
  attachments?: unknown;
  tags?: unknown;
  scheduled_at?: unknown;
}

/** A webhook event as Resend (through Svix) posts it. */
export interface ResendWebhookEvent {
  type: string;
  created_at?: string;
  data?: {
    email_id?: string;
    message_id?: string;
    created_at?: string;
    from?: string;
    to?: string[];
    subject?: string;
    tags?: Record<string, string>;
    bounce?: { type?: string; subType?: string; message?: string };
    click?: { ipAddress?: string; link?: string; timestamp?: string; userAgent?: string };
    failed?: { reason?: string };
    suppressed?: { type?: string; message?: string };
  };
}
