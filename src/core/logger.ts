import pino from "pino";

/*
 * The one logger of the long-running processes (server, worker, connectors): JSON lines on stderr with
 * `time` (ISO-8601), `level` (trace … fatal), `msg` and fields; request ids come from the access log
 * (server/access-log.ts). CLI results stay on stdout and CLI messages stay plain text: this is for logs.
 *
 * Secrets never reach a log line: known secret values (registered by the app at start from the
 * configuration and environment, `registerSecrets`), bearer tokens (`ns_…`), passwords in URLs and
 * Authorization/Cookie values are replaced by `[redacted]` in the final line itself, whatever field or
 * message carried them.
 */

export type Logger = pino.Logger;
export const LOG_LEVELS = ["trace", "debug", "info", "warn", "error", "fatal", "silent"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

const REDACTED = "[redacted]";
const secrets = new Set<string>();
/** Shorter values would redact ordinary words; secrets are longer than this (the webhook secret needs 16). */
const MIN_SECRET_LENGTH = 6;

/** Values to scrub from every log line from now on (API keys, passwords, webhook secrets…). */
export function registerSecrets(values: Iterable<string | undefined | null>): void {
  for (const value of values) if (value && value.length >= MIN_SECRET_LENGTH) secrets.add(value);
}

const PATTERNS: [RegExp, string][] = [
  // Nightshift bearer tokens.
  [/ns_[A-Za-z0-9_-]{20,}/g, REDACTED],
  // user:password@ in any URL (postgres://, https://).
  [/([a-z][a-z0-9+.-]*:\/\/[^:@/\s"]*):[^@\s"]*@/gi, `$1:${REDACTED}@`],
  // Authorization header values, however quoted.
  [/(bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, `$1 ${REDACTED}`],
];

function escapeJsonString(value: string): string {
  return JSON.stringify(value).slice(1, -1);
}

/** A log line with every registered secret and secret-shaped value replaced. */
export function scrub(line: string): string {
  let out = line;
  for (const secret of secrets) {
    // The line is JSON: a secret appears escaped as JSON would write it.
    for (const form of new Set([secret, escapeJsonString(secret)])) if (out.includes(form)) out = out.split(form).join(REDACTED);
  }
  for (const [pattern, replacement] of PATTERNS) out = out.replace(pattern, replacement);
  return out;
}

export interface LoggerOptions {
  level?: LogLevel;
  /** Where lines go; default stderr. Tests pass a stream to capture them. */
  destination?: pino.DestinationStream;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  return pino(
    {
      level: options.level ?? "info",
      base: { service: "nightshift" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Structured fields that are secrets by name, before the line-level scrub.
      redact: {
        paths: ["authorization", "cookie", "password", "api_key", "token", "secret", "*.authorization", "*.cookie", "*.password", "*.api_key", "*.token", "*.secret", "headers.*"],
        censor: REDACTED,
      },
      serializers: { err: pino.stdSerializers.err, error: pino.stdSerializers.err },
      hooks: { streamWrite: scrub },
    },
    options.destination ?? pino.destination({ fd: 2, sync: true }),
  );
}

let current: Logger | undefined;

/** The process's logger (created on first use at NIGHTSHIFT_LOG_LEVEL, default info). */
export function logger(): Logger {
  current ??= createLogger({ level: levelFromEnv(process.env.NIGHTSHIFT_LOG_LEVEL) });
  return current;
}

/** Replaces the process's logger (the app at start with the configured level; tests to capture lines). */
export function setLogger(next: Logger): Logger {
  const previous = logger();
  current = next;
  return previous;
}

function levelFromEnv(value: string | undefined): LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value ?? "") ? (value as LogLevel) : "info";
}
