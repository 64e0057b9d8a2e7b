import type { ValidationIssue } from '@msg/core';

export interface ErrorBody {
  error: { code: string; message: string; issues?: ValidationIssue[] };
}

/** An error the API answers with its own status and a stable `code`. */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly issues?: ValidationIssue[],
    readonly headers: Record<string, string> = {},
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
      },
    };
  }
}

export function invalidRequest(issues: ValidationIssue[]): HttpError {
  const summary = issues.map((issue) => (issue.path ? `${issue.path}: ${issue.message}` : issue.message));
  return new HttpError(400, 'invalid_request', summary.join('; '), issues);
}
