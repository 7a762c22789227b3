// A worker process that claims one job and then hangs in its preparation (no transaction open), until it is killed.
import { z } from "zod";
import { defineJob } from "../../src/core/index.js";
import { openStore, runUntilIdle } from "../../src/store/index.js";

const [home, databaseUrl, kind] = process.argv.slice(2);
const store = await openStore({ home: home!, database_url: databaseUrl || undefined });
await runUntilIdle(store.db, {
  handlers: {
    [kind!]: {
      job: defineJob({ kind: kind!, payload: z.unknown(), producer: "the test", consumer: "this process" }),
      prepare: () => {
        process.stdout.write("claimed\n");
        return new Promise(() => {});
      },
      handle: async () => {},
    },
  },
});
