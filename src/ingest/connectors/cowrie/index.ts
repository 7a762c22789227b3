import type { ConnectorKind } from "../registry.js";
import { CowrieSettings, createCowrieConnector } from "./client.js";

export { CowrieSettings, createCowrieConnector } from "./client.js";
export { DEFAULT_COWRIE_SEVERITIES, decodeCowrie, decodeCowrieLine, initialCowrieState, type CowrieState } from "./mapping.js";

/** The `cowrie` connector kind: tails the honeypot's cowrie.json (rotation-safe). */
export const kind: ConnectorKind<typeof CowrieSettings> = {
  settings: CowrieSettings,
  create: (settings) => createCowrieConnector(settings),
};
