/** Where in the SMTP transaction a scripted reply is given. */
export type SmtpPhase = 'auth' | 'mail' | 'rcpt' | 'data';

export interface ScriptedReply {
  phase: SmtpPhase;
  code: number;
  /** The reply text after the code, enhanced status code first (Gmail's wording). */
  text: string;
}

/**
 * The replies the simulator can be told to give (`failNext(name)`, `recipientReplies`), worded as
 * Gmail words them (support.google.com/a/answer/3726730). A 421 closes the connection, as it must.
 */
export const SMTP_SIMULATOR_REPLIES = {
  'no-such-user': {
    phase: 'rcpt',
    code: 550,
    text: "5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. - gsmtp",
  },
  'bad-address-syntax': {
    phase: 'rcpt',
    code: 553,
    text: "5.1.2 We weren't able to find the recipient domain. Please check for any spelling errors. - gsmtp",
  },
  'mailbox-full': {
    phase: 'rcpt',
    code: 552,
    text: '5.2.2 The email account that you tried to reach is over quota. - gsmtp',
  },
  'mailbox-over-quota': {
    phase: 'rcpt',
    code: 452,
    text: '4.2.2 The email account that you tried to reach is over quota. Please direct the recipient to https://support.google.com/mail/?p=OverQuotaTemp - gsmtp',
  },
  'recipient-rate-limited': {
    phase: 'rcpt',
    code: 450,
    text: '4.2.1 The user you are trying to contact is receiving mail at a rate that prevents additional messages from being delivered. - gsmtp',
  },
  'too-many-recipients': {
    phase: 'rcpt',
    code: 452,
    text: '4.5.3 Your message has too many recipients. - gsmtp',
  },
  'unusual-rate': {
    phase: 'data',
    code: 421,
    text: '4.7.0 Our system has detected an unusual rate of unsolicited mail originating from your IP address. To protect our users from spam, mail sent from your IP address has been temporarily blocked. - gsmtp',
  },
  'system-busy': {
    phase: 'data',
    code: 421,
    text: '4.3.0 Temporary System Problem. Try again later. - gsmtp',
  },
  // At MAIL FROM, then the connection closes. On a connection that sent mail before, nodemailer
  // drops this reply and reports the closed connection (see the README).
  'try-again-later': {
    phase: 'mail',
    code: 421,
    text: '4.7.0 Try again later, closing connection. (MAIL) - gsmtp',
  },
  'bad-sequence': {
    phase: 'mail',
    code: 503,
    text: '5.5.1 Bad sequence of commands. - gsmtp',
  },
  'daily-quota': {
    phase: 'mail',
    code: 550,
    text: '5.4.5 Daily user sending limit exceeded. For more information on Gmail sending limits go to https://support.google.com/a/answer/166852 - gsmtp',
  },
  'auth-required': {
    phase: 'mail',
    code: 530,
    text: '5.7.0 Authentication Required. For more information, go to https://support.google.com/mail/?p=WantAuthError - gsmtp',
  },
  'local-error': {
    phase: 'data',
    code: 451,
    text: '4.3.0 Mail server temporarily rejected message. - gsmtp',
  },
  'message-too-big': {
    phase: 'data',
    code: 552,
    text: "5.3.4 Your message exceeded Google's message size limits. - gsmtp",
  },
  'policy-rejected': {
    phase: 'data',
    code: 550,
    text: '5.7.1 Our system has detected that this message is likely unsolicited mail. To reduce the amount of spam sent to Gmail, this message has been blocked. - gsmtp',
  },
  'unauthenticated-sender': {
    phase: 'data',
    code: 550,
    text: '5.7.26 This mail has been blocked because the sender is unauthenticated. Gmail requires all senders to authenticate with either SPF or DKIM. - gsmtp',
  },
  'bad-credentials': {
    phase: 'auth',
    code: 535,
    text: '5.7.8 Username and Password not accepted. For more information, go to https://support.google.com/mail/?p=BadCredentials - gsmtp',
  },
  'too-many-logins': {
    phase: 'auth',
    code: 454,
    text: '4.7.0 Too many login attempts, please try again later. - gsmtp',
  },
} as const satisfies Record<string, ScriptedReply>;

export type SmtpReplyName = keyof typeof SMTP_SIMULATOR_REPLIES;

export function isReplyName(name: string): name is SmtpReplyName {
  return name in SMTP_SIMULATOR_REPLIES;
}

/** The error smtp-server turns into the reply. */
export function replyError(name: SmtpReplyName): Error & { responseCode: number } {
  const reply = SMTP_SIMULATOR_REPLIES[name];
  return Object.assign(new Error(reply.text), { responseCode: reply.code });
}
