import { ValidationError } from "../core/index.js";
import { configureLogging, openApp, type App } from "../app/index.js";

/** Opens the app for one command and always closes it, so the process can exit. */
export async function withApp<T>(fn: (app: App) => Promise<T>): Promise<T> {
  const app = await openApp();
  try {
    // The worker and the server log as JSON on stderr, at the configured level, never writing a secret.
    configureLogging(app.config, app.store.db);
    return await fn(app);
  } finally {
    await app.close();
  }
}

/** Turns an error into a clear message on stderr; ValidationErrors list each field. */
export function reportError(error: unknown): number {
  if (error instanceof ValidationError) {
    process.stderr.write(`nightshift: ${error.message}\n`);
    for (const issue of error.issues) process.stderr.write(`  ${issue.path || "(root)"}: ${issue.message}\n`);
    return 2;
  }
  const message = error instanceof Error ? error.message : String(error);
  process.stderr.write(`nightshift: ${message}\n`);
  if (process.env.NIGHTSHIFT_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
  return 1;
}

/** Wraps an action so failures print cleanly and set the exit code. */
export function action<A extends unknown[]>(fn: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await fn(...args);
    } catch (error) {
      process.exitCode = reportError(error);
    }
  };
}

export function printJson(value: unknown) {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
