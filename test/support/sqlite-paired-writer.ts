// A separate process writing pairs that must stay together: each transaction bumps counter `w` to v and
// inserts row `row-v`, so any consistent snapshot has exactly `w` rows named row-*. Prints "started" once
// the first pair is committed, then "done <n>".
import { nextCounter, openStore } from "../../src/store/index.js";

const [home, count] = process.argv.slice(2);
const store = await openStore({ home: home! });
for (let i = 0; i < Number(count); i++) {
  await store.db.transaction().execute(async (trx) => {
    const v = await nextCounter(trx, "w");
    await new Promise((r) => setTimeout(r, 1));
    await trx.insertInto("counters").values({ name: `row-${v}`, value: v }).execute();
  });
  if (i === 0) process.stdout.write("started\n");
}
await store.close();
process.stdout.write(`done ${count}\n`);
