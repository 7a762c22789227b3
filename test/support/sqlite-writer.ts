// A separate process writing to a shared SQLite home: opens the store, runs read-then-write transactions.
import { nextCounter, openStore } from "../../src/store/index.js";

const [home, count] = process.argv.slice(2);
const store = await openStore({ home: home! });
const values: number[] = [];
for (let i = 0; i < Number(count); i++) {
  values.push(
    await store.db.transaction().execute(async (trx) => {
      await trx.selectFrom("counters").selectAll().execute();
      await new Promise((r) => setTimeout(r, 2));
      return nextCounter(trx, "shared");
    }),
  );
}
await store.close();
process.stdout.write(JSON.stringify(values));
