import type { Migration, MigrationProvider } from "kysely";
import { initial } from "./0001-initial.js";
import { events } from "./0002-events.js";
import { connectors } from "./0003-connectors.js";
import { assets } from "./0004-assets.js";
import { intelState } from "./0005-intel-state.js";
import { crewRuns } from "./0006-crew-runs.js";
import { historyIndex } from "./0007-history-index.js";
import { feedback } from "./0008-feedback.js";
import { grouping } from "./0009-grouping.js";
import { auditKeys } from "./0010-audit-keys.js";
import { ingest } from "./0011-ingest.js";
import { similarCasesIndex } from "./0013_similar_cases_index.js";
import { respond } from "./0016_respond.js";
import { nova } from "./0017_nova.js";

/** Migrations live in code (not read from a folder) so the built CLI carries them. Append only. */
const migrations: Record<string, Migration> = {
  "0001-initial": initial,
  "0002-events": events,
  "0003-connectors": connectors,
  "0004-assets": assets,
  "0005-intel-state": intelState,
  "0006-crew-runs": crewRuns,
  "0007-history-index": historyIndex,
  "0008-feedback": feedback,
  "0009-grouping": grouping,
  "0010-audit-keys": auditKeys,
  "0011-ingest": ingest,
  "0013-similar-cases-index": similarCasesIndex,
  "0016-respond": respond,
  "0017-nova": nova,
};

export const migrationProvider: MigrationProvider = {
  async getMigrations() {
    return migrations;
  },
};
