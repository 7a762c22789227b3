export {
  eventKey,
  toNewEvent,
  insertEvents,
  getEvents,
  searchEvents,
  countEvents,
  eventsAround,
  processTree,
  purgeEvents,
  loadDetectionState,
  saveDetectionState,
  EventQuery,
  EventFilter,
  FieldName,
  CountBy,
  EventsAround,
  ProcessTreeQuery,
  type EventOrigin,
  type NewEvent,
  type StoredEvent,
  type ProcessNode,
} from "./event-store.js";
export { eventField, eventText, eventNumber } from "./readers/data.js";
export { toConnection, type EventConnection } from "./readers/connection.js";
export { AUTH_EVENT_IDS, toAuthEvent, type EventAuth } from "./readers/auth.js";
export { toDnsLookup, type EventDnsLookup } from "./readers/dns.js";
