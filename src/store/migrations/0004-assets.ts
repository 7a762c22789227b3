import type { Kysely, Migration } from "kysely";

/**
 * Device inventories, IP sightings, DHCP leases and subnets (src/context/assets): what answers "which
 * host had this address at the alert's time", kept apart from the CMDB records in `assets`.
 */
export const assets: Migration = {
  async up(db: Kysely<unknown>) {
    await db.schema
      .createTable("asset_inventory")
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("device_key", "text", (c) => c.notNull())
      .addColumn("hostname", "text", (c) => c.notNull())
      .addColumn("doc", "text", (c) => c.notNull())
      .addColumn("last_seen", "text")
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("asset_inventory_pk", ["source", "device_key"])
      .execute();
    await db.schema.createIndex("asset_inventory_hostname").on("asset_inventory").column("hostname").execute();

    await db.schema
      .createTable("ip_observations")
      .addColumn("ip", "text", (c) => c.notNull())
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("first_seen", "text", (c) => c.notNull())
      .addColumn("hostname", "text", (c) => c.notNull())
      .addColumn("last_seen", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("ip_observations_pk", ["ip", "source", "first_seen", "hostname"])
      .execute();

    await db.schema
      .createTable("dhcp_leases")
      .addColumn("source", "text", (c) => c.notNull())
      .addColumn("ip", "text", (c) => c.notNull())
      .addColumn("starts", "text", (c) => c.notNull())
      .addColumn("ends", "text")
      .addColumn("hostname", "text")
      .addColumn("mac", "text")
      .addColumn("imported_at", "text", (c) => c.notNull())
      .addPrimaryKeyConstraint("dhcp_leases_pk", ["ip", "starts", "source"])
      .execute();

    await db.schema
      .createTable("subnets")
      .addColumn("cidr", "text", (c) => c.primaryKey())
      .addColumn("doc", "text", (c) => c.notNull())
      .addColumn("updated_at", "text", (c) => c.notNull())
      .addColumn("source", "text", (c) => c.notNull())
      .execute();
  },
};
