import type { Kysely, Migration } from "kysely";

/**
 * Other names of a host (src/context/assets/aliases.ts): the short name of a CMDB or inventory host keyed
 * by its FQDN (`kind = short_name`) and the aliases the CMDB or an inventory declares (`kind = alias`), so
 * that an alert naming `ws-042` finds `ws-042.corp.example` and the reverse through one indexed lookup.
 * Written with the records they come from (`source` = `cmdb` or the inventory's source). Rows of records
 * loaded before this migration are filled in by the next load of the CMDB or inventory (and by the
 * backfill below for FQDN host names already stored).
 */
export const ingest: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("host_aliases")
      .addColumn("alias", "text", (c) => c.notNull())
      .addColumn("hostname", "text", (c) => c.notNull())
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("kind", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("host_aliases_pk", ["alias", "hostname", "source"])
      .execute();
    await db.schema.createIndex("host_aliases_owner").on("host_aliases").columns(["hostname", "source"]).execute();
    const typed = db as Kysely<{
      assets: { hostname: string };
      asset_inventory: { hostname: string; source: string };
      host_aliases: { alias: string; hostname: string; source: string; kind: string };
    }>;
    const rows: { alias: string; hostname: string; source: string; kind: string }[] = [];
    const add = (hostname: string, source: string) => {
      const short = hostname.split(".")[0]!;
      if (short && short !== hostname && !/^\d+$/.test(short)) rows.push({ alias: short, hostname, source, kind: "short_name" });
    };
    for (const { hostname } of await typed.selectFrom("assets").select("hostname").execute()) add(hostname, "cmdb");
    for (const { hostname, source } of await typed.selectFrom("asset_inventory").select(["hostname", "source"]).distinct().execute()) add(hostname, source);
    for (let i = 0; i < rows.length; i += 500) await typed.insertInto("host_aliases").values(rows.slice(i, i + 500)).onConflict((oc) => oc.doNothing()).execute();
  },
  async down(db: Kysely<unknown>) {
    await db.schema.dropTable("host_aliases").execute();
  },
};
