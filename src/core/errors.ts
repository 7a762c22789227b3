import type { z } from "zod";

/** A problem with what the caller sent: reported field by field, and nothing was changed. */
export class ValidationError extends Error {
  constructor(
    message: string,
    readonly issues: { path: string; message: string }[],
  ) {
    super(message);
    this.name = "ValidationError";
  }
}

export class NotFoundError extends Error {
  constructor(what: string) {
    super(`${what} not found`);
    this.name = "NotFoundError";
  }
}

/** A request the domain refuses, such as an illegal case transition. */
export class ConflictError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ConflictError";
  }
}

/** The caller may not do this (a role too low, an approver deciding their own request). */
export class ForbiddenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ForbiddenError";
  }
}

export function issuesOf(error: { issues: { path: PropertyKey[]; message: string }[] }, prefix = "") {
  return error.issues.map((issue) => ({
    path: [prefix, ...issue.path.map(String)].filter(Boolean).join("."),
    message: issue.message,
  }));
}

/** Parses a boundary value with its schema, or throws `invalid <what>` with one issue per field (paths under `prefix`). */
export function parseOrThrow<S extends z.ZodType>(schema: S, value: unknown, what: string, prefix = ""): z.output<S> {
  const result = schema.safeParse(value);
  if (!result.success) throw new ValidationError(`invalid ${what}`, issuesOf(result.error, prefix));
  return result.data;
}

/** Any text with the password of every `scheme://user:password@` replaced by `***` (URLs in messages, locations). */
export function withoutPassword(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/[^:@/\s]*):[^@\s]*@/gi, "$1:***@");
}
