/** Events each outcome word (`outcomes`) produces, in order. */
export const OUTCOME_EVENTS: Record<string, Array<{ type: string; extra?: Record<string, unknown> }>> = {
  delivered: [{ type: 'email.sent' }, { type: 'email.delivered' }],
  bounce: [
    { type: 'email.sent' },
    {
      type: 'email.bounced',
      extra: {
        bounce: {
          type: 'Permanent',
          subType: 'General',
          message: "The recipient's email provider sent a hard bounce.",
        },
      },
    },
  ],
  'soft-bounce': [
    { type: 'email.sent' },
    {
      type: 'email.bounced',
      extra: {
        bounce: { type: 'Transient', subType: 'MailboxFull', message: "The recipient's inbox is full." },
      },
    },
  ],
  undetermined: [
    { type: 'email.sent' },
    {
      type: 'email.bounced',
      extra: {
        bounce: {
          type: 'Undetermined',
          subType: 'Undetermined',
          message: 'The bounce could not be classified.',
        },
      },
    },
  ],
  delayed: [{ type: 'email.sent' }, { type: 'email.delivery_delayed' }],
  complained: [{ type: 'email.sent' }, { type: 'email.delivered' }, { type: 'email.complained' }],
  opened: [{ type: 'email.sent' }, { type: 'email.delivered' }, { type: 'email.opened' }],
  clicked: [
    { type: 'email.sent' },
    { type: 'email.delivered' },
    { type: 'email.opened' },
    {
      type: 'email.clicked',
      extra: { click: { ipAddress: '198.51.100.7', link: 'https://example.com/', userAgent: 'Mozilla/5.0' } },
    },
  ],
  failed: [{ type: 'email.failed', extra: { failed: { reason: 'reached_daily_quota' } } }],
  suppressed: [
    {
      type: 'email.suppressed',
      extra: {
        suppressed: { type: 'OnAccountSuppressionList', message: 'The address is on the suppression list.' },
      },
    },
  ],
  silent: [],
};
