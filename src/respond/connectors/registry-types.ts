import type { z } from "zod";
import type { ActionConnector } from "./types.js";

/** A connector kind: its settings schema and how to build it (each folder's index.ts exports one). */
export interface ConnectorKind<S extends z.ZodType> {
  settings: S;
  create(settings: z.output<S>, deps: { redact: (text: string) => string; send?: typeof fetch }): ActionConnector;
}
