/**
 * Run-level problems. A bad record is not one of these: it is a skip, counted and reported,
 * and the scan goes on. Only the CLI's single catch turns these into exit codes.
 */
export const EXIT = {
  clean: 0,
  findings: 1,
  usage: 2,
  input: 3,
} as const;

export class ApiguardError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** Bad flags or arguments: exit 2. */
export class UsageError extends ApiguardError {
  constructor(message: string) {
    super(message, EXIT.usage);
  }
}

export interface PolicyProblem {
  line: number;
  message: string;
}

/** The policy file cannot be used: exit 2, with every problem found, each at file:line. */
export class PolicyError extends ApiguardError {
  constructor(
    readonly file: string,
    readonly problems: PolicyProblem[],
  ) {
    super(problems.map((p) => (p.line > 0 ? `${file}:${p.line}: ${p.message}` : `${file}: ${p.message}`)).join('\n'), EXIT.usage);
  }
}

/** The input cannot be read or yields nothing: exit 3. */
export class InputError extends ApiguardError {
  constructor(message: string) {
    super(message, EXIT.input);
  }
}
