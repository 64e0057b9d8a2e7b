import type { ValidationIssue } from '@msg/core';

export interface ErrorBody {
  error: { code: string; message: string; issues?: ValidationIssue[]; detail?: Record<string, unknown> };
}

/** An error the API answers with its own status and a stable `code`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly issues?: ValidationIssue[],
    readonly headers: Record<string, string> = {},
    /** Machine-readable facts of the error (the shortfall of a 402). */
    readonly detail?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'HttpError';
  }

  toBody(): ErrorBody {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.issues && this.issues.length > 0 ? { issues: this.issues } : {}),
        ...(this.detail ? { detail: this.detail } : {}),
      },
    };
  }
}

export function invalidRequest(issues: ValidationIssue[]): HttpError {
  const summary = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message));
  return new HttpError(400, 'invalid_request', summary.join('; '), issues);
}
