// A worker process that executes one approved response action through a Defender connector; the test kills it (kill -9) mid-call.
import { systemClock } from "../../src/core/index.js";
import { DefenderActionSettings, createDefenderConnector, executeAction } from "../../src/respond/index.js";
import { defenderSettings } from "../../src/respond/connectors/defender/testing.js";
import { openStore } from "../../src/store/index.js";

const [home, databaseUrl, actionId, apiUrl] = process.argv.slice(2);
const store = await openStore({ home: home!, database_url: databaseUrl || undefined });
const connector = createDefenderConnector(DefenderActionSettings.parse(defenderSettings(apiUrl!)), { redact: (t) => t });
process.stdout.write("started\n");
await executeAction(store.db, actionId!, { connectors: [connector], clock: systemClock, sleep: async () => {} });
process.stdout.write("finished\n");
await store.close();
