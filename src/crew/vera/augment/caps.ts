// How far around each trigger VERA looks, and how much of each part it keeps (the context budget).

export const AUGMENT_WINDOW = { before_minutes: 30, after_minutes: 240, auth_before_minutes: 360, dns_history_hours: 24 } as const;
export const AUGMENT_CAPS = {
  anchors: 6,
  eventsPerAnchor: 40,
  trees: 3,
  nodesPerTree: 60,
  persistence: 40,
  connections: 200,
  destinations: 20,
  auth: 120,
  dnsLookups: 120,
  relatedAlerts: 25,
  profiles: 5,
  relatedIndicators: 10,
  /** Event data is attacker-controlled: bounded in keys and characters before it enters any context. */
  dataKeys: 40,
  valueChars: 400,
} as const;
