// The event store's functions, by concern: `write.ts` (insert), `search.ts` (by id, query, counts, around a
// time), `process-tree.ts`, `retention.ts` (purge), `detection-state.ts`; `rows.ts` and `conditions.ts` are
// what they share.

export { eventKey, toNewEvent, type EventOrigin, type NewEvent, type StoredEvent } from "./extract.js";
export { EventQuery, EventFilter, FieldName, CountBy, EventsAround, ProcessTreeQuery } from "./query.js";
export { insertEvents } from "./write.js";
export { getEvents, searchEvents, countEvents, eventsAround } from "./search.js";
export { processTree, type ProcessNode } from "./process-tree.js";
export { purgeEvents } from "./retention.js";
export { loadDetectionState, saveDetectionState } from "./detection-state.js";
