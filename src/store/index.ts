export * from "./database.js";
export * from "./open.js";
export { AuditKey, MIN_AUDIT_KEY_LENGTH, auditKeyOf, loadAuditKey } from "./audit-key.js";
export * from "./json.js";
export * from "./counters.js";
export * from "./queue.js";
export * from "./worker.js";
export { withSqliteHandle } from "./dialect/sqlite/sqlite-driver.js";
export { backupSqlite, checkRestorable, restoreSqlite, type BackupResult } from "./backup.js";
