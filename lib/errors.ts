/**
 * Every failure stampede reports is one of these classes, each with a stable `code` that
 * scripts and tests can match on, and the process exit code the CLI contract assigns:
 * 2 for bad input, 1 for a failed run or gate.
 */
export class StampedeError extends Error {
  readonly code: string;
  readonly exitCode: 1 | 2;
  constructor(code: string, message: string, exitCode: 1 | 2 = 1, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.code = code;
    this.exitCode = exitCode;
  }
}

/** Bad input: always names the field, the expected form and the value received. */
export class InputError extends StampedeError {
  readonly field: string;
  readonly expected: string;
  readonly received: unknown;
  constructor(field: string, expected: string, received: unknown, code = 'BAD_INPUT') {
    super(code, `${field}: expected ${expected}, received ${describe(received)}`, 2);
    this.field = field;
    this.expected = expected;
    this.received = received;
  }
}

/** A run (simulation, lab, k6) that started but could not finish. */
export class RunError extends StampedeError {
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(code, message, 1, options);
  }
}

export function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (typeof value === 'string')
    return JSON.stringify(value.length > 80 ? `${value.slice(0, 77)}...` : value);
  try {
    const s = JSON.stringify(value);
    return s.length > 80 ? `${s.slice(0, 77)}...` : s;
  } catch {
    return String(value);
  }
}
