import type { TemplateSpec } from "./template.js";

/**
 * Templates shipped with Nightshift, by name (`webhooks.senders[].template: alertmanager`). Each payload
 * shape was checked against the vendor's documentation (cited per template) and is exercised by a test
 * on the documented example.
 */

/**
 * Prometheus Alertmanager `webhook_config` (payload version "4"): {version, groupKey, truncatedAlerts,
 * status, receiver, groupLabels, commonLabels, commonAnnotations, externalURL, alerts: [{status, labels,
 * annotations, startsAt, endsAt, generatorURL, fingerprint}]}.
 * Source: https://prometheus.io/docs/alerting/latest/configuration/#webhook_config (and the sample v4
 * payload shipped with docs.rs `alertmanager-webhook-types`).
 * Resolved alerts are skipped: Nightshift works cases from firing alerts, and a resolution is not a new
 * detection (closing a case on resolution is the analyst's or TORA's call, not the sender's).
 * One alert instance fires once per `startsAt`, so fingerprint@startsAt is its id across re-notifications.
 */
const alertmanager: TemplateSpec = {
  description: "Prometheus Alertmanager webhook (version 4); resolved alerts are skipped",
  items: "alerts",
  skip: { status: ["resolved"] },
  fields: {
    title: ["annotations.summary", "annotations.title", "labels.alertname"],
    description: ["annotations.description", "annotations.message"],
    "rule.id": "labels.alertname",
    "rule.title": "labels.alertname",
    "host.name": ["labels.host", "labels.hostname", "labels.nodename", "labels.instance"],
    labels: "labels",
    annotations: "annotations",
    generator_url: "generatorURL",
    fingerprint: "fingerprint",
    ends_at: "endsAt",
    receiver: "$.receiver",
    group_key: "$.groupKey",
    external_url: "$.externalURL",
    raw: "@",
  },
  severity: {
    from: "labels.severity",
    map: { critical: "critical", page: "critical", error: "high", high: "high", warning: "medium", warn: "medium", info: "informational", none: "informational", low: "low" },
    default: "medium",
  },
  source_id: ["{{fingerprint}}@{{startsAt}}", "{{labels.alertname}}@{{startsAt}}"],
  time: "startsAt",
};

/**
 * Grafana unified alerting webhook contact point: the Alertmanager shape plus orgId, title, state, message
 * at the top and, per alert, silenceURL, dashboardURL, panelURL, values (valueString before Grafana 10).
 * Source: https://grafana.com/docs/grafana/latest/alerting/configure-notifications/manage-contact-points/integrations/webhook-notifier/
 * Empty URLs ("" in Grafana's example) count as missing.
 */
const grafana: TemplateSpec = {
  description: "Grafana unified alerting webhook; resolved alerts are skipped",
  items: "alerts",
  skip: { status: ["resolved"] },
  fields: {
    ...alertmanager.fields,
    title: ["annotations.summary", "annotations.title", "labels.alertname", "$.title"],
    description: ["annotations.description", "annotations.message", "$.message"],
    values: ["values", "valueString"],
    dashboard_url: "dashboardURL",
    panel_url: "panelURL",
    silence_url: "silenceURL",
    org_id: "$.orgId",
    grafana_state: "$.state",
    grafana_title: "$.title",
    raw: "@",
  },
  severity: alertmanager.severity,
  source_id: alertmanager.source_id,
  time: "startsAt",
};

/**
 * Splunk webhook alert action: {result: {first result row}, sid, results_link, search_name, owner, app}.
 * Source: https://help.splunk.com/splunk-enterprise/alert-and-respond/alerting-manual/10.0/configure-alert-actions/use-a-webhook-alert-action
 * Only the first result row is sent, with field names from the search (CIM names are tried: dest, src,
 * user, severity/urgency, signature). No source_id: with "trigger for each result" Splunk sends several
 * rows under one sid, so the record hash (sid + row) is the id. The time is the row's `_time` when it reads
 * as ISO-8601 or epoch seconds (what Splunk sends unless the search reformats it); a `_time` rendered in
 * another format keeps the reception time (`time_unreadable: received`). `_time` stays in `splunk_time`.
 */
const splunk: TemplateSpec = {
  description: "Splunk webhook alert action (first result row)",
  fields: {
    title: ["search_name", "result.signature", "{{app}} alert {{sid}}", "sid"],
    description: ["result.description", "result.signature"],
    "rule.id": ["search_name", "result.signature_id"],
    "rule.title": ["search_name", "result.signature"],
    host: ["result.dest_host", "result.dest", "result.host", "result.dvc"],
    user: ["result.user", "result.src_user"],
    src: ["result.src_ip", "result.src"],
    dst: ["result.dest_ip"],
    result: "result",
    splunk_time: "result._time",
    sid: "sid",
    results_link: "results_link",
    owner: "owner",
    app: "app",
  },
  severity: {
    from: ["result.severity", "result.urgency"],
    map: { critical: "critical", high: "high", medium: "medium", low: "low", informational: "informational", info: "informational" },
    default: "medium",
  },
  time: "result._time",
  time_unreadable: "received",
};

/**
 * Graylog HTTP notification (3.1+ events system): {event_definition_id, event_definition_type,
 * event_definition_title, event_definition_description, job_definition_id, job_trigger_id, event: {id,
 * event_definition_id, event_definition_type, origin_context, timestamp, timestamp_processing,
 * timerange_start, timerange_end, streams, source_streams, message, source, key_tuple, key, priority,
 * alert, fields}, backlog: [messages]}.
 * Source: https://go2docs.graylog.org/5-0/interacting_with_your_log_data/notifications.html ("Data Available
 * to Notifications"). `event.source` is the Graylog node that created the event, not the affected host, so
 * it is kept as `graylog_node`. Priorities: 1 low, 2 normal, 3 high (4 critical in recent versions).
 */
const graylog: TemplateSpec = {
  description: "Graylog HTTP notification (event definitions)",
  fields: {
    title: ["event_definition_title", "event.message"],
    description: ["event.message", "event_definition_description"],
    "rule.id": ["event_definition_id", "event.event_definition_id"],
    "rule.title": ["event_definition_title", "event.event_definition_id"],
    graylog_fields: "event.fields",
    graylog_key: "event.key",
    graylog_alert: "event.alert",
    graylog_node: "event.source",
    event_definition_type: "event_definition_type",
    backlog: "backlog",
  },
  severity: { from: "event.priority", map: { "1": "low", "2": "medium", "3": "high", "4": "critical" }, default: "medium" },
  source_id: ["event.id", "{{event_definition_id}}@{{event.timestamp}}"],
  time: "event.timestamp",
};

/**
 * Suricata EVE JSON alerts posted over HTTP (one event or an array, e.g. by a Logstash, Fluent Bit or Vector
 * http output); events other than `event_type: alert` are skipped. Shape: {timestamp, flow_id, event_type,
 * src_ip, src_port, dest_ip, dest_port, proto, app_proto, alert: {action, gid, signature_id, rev, signature,
 * category, severity 1–3}, dns?, http?}.
 * Source: https://docs.suricata.io/en/latest/output/eve/eve-json-format.html
 * Suricata's severity 1 is the most severe. One flow can raise the same signature more than once, so the
 * id is flow_id + gid:sid + timestamp.
 */
const suricata: TemplateSpec = {
  description: "Suricata EVE alerts over HTTP; other event types are skipped",
  only: { event_type: ["alert"] },
  fields: {
    title: ["alert.signature", "{{alert.gid}}:{{alert.signature_id}}"],
    description: "alert.category",
    "rule.id": ["{{alert.gid}}:{{alert.signature_id}}:{{alert.rev}}", "alert.signature_id"],
    "rule.title": "alert.signature",
    "src.ip": "src_ip",
    "src.port": "src_port",
    "dst.ip": "dest_ip",
    "dst.port": "dest_port",
    "dst.domain": ["dns.rrname", "dns.query[0].rrname", "http.hostname", "tls.sni"],
    "dst.url": "http.url",
    "network.transport": "proto",
    "network.protocol": "app_proto",
    "network.query_type": ["dns.rrtype", "dns.query[0].rrtype"],
    suricata_action: "alert.action",
    flow_id: "flow_id",
    sensor: ["host", "in_iface"],
    raw: "@",
  },
  severity: { from: "alert.severity", map: { "1": "high", "2": "medium", "3": "low", "4": "informational" }, default: "medium" },
  source_id: ["{{flow_id}}:{{alert.gid}}:{{alert.signature_id}}@{{timestamp}}", "{{alert.signature_id}}@{{timestamp}}"],
  time: "timestamp",
};

/** The generic JSON alert itself (one object or an array): only the source defaults to the sender's name. */
const generic: TemplateSpec = { description: "the generic JSON alert (identity)", passthrough: true };

export const BUILTIN_TEMPLATES: Readonly<Record<string, TemplateSpec>> = { alertmanager, grafana, splunk, graylog, suricata, generic };
export const BUILTIN_TEMPLATE_NAMES = Object.keys(BUILTIN_TEMPLATES);
