import { describe, expect, it } from "vitest";
import { compileExpression, evaluate, parsePath, type Scope } from "./expression.js";
import { TemplateError, applyTemplate, compileTemplate, recordHash } from "./template.js";
import type { Issue } from "../issues.js";

function expr(spec: unknown) {
  const issues: Issue[] = [];
  const compiled = compileExpression(spec, "x", issues);
  if (!compiled) throw new Error(issues.map((i) => i.message).join("; "));
  return compiled;
}

const record = {
  labels: { alertname: "HighCPU", instance: "web-01:9100", "kubernetes.io/name": "api" },
  alert: { signature_id: 2013028, list: ["a", "b", { deep: "c" }] },
  empty: "",
  nothing: null,
};
const scope: Scope = { root: { receiver: "ops", alerts: [record] }, record };

describe("template paths", () => {
  it("reads dotted keys, indexes, quoted keys, the record and the payload", () => {
    expect(evaluate(expr("labels.alertname"), scope)).toBe("HighCPU");
    expect(evaluate(expr("alert.signature_id"), scope)).toBe(2013028);
    expect(evaluate(expr("alert.list[1]"), scope)).toBe("b");
    expect(evaluate(expr("alert.list[2].deep"), scope)).toBe("c");
    expect(evaluate(expr('labels["kubernetes.io/name"]'), scope)).toBe("api");
    expect(evaluate(expr("$.receiver"), scope)).toBe("ops");
    expect(evaluate(expr("$.alerts[0].labels.instance"), scope)).toBe("web-01:9100");
    expect(evaluate(expr("@"), scope)).toBe(record);
  });

  it("treats absent keys, wrong shapes, null and empty strings as missing", () => {
    for (const path of ["labels.nope", "alert.list[9]", "labels[0]", "alert.list.deep", "empty", "nothing", "$.missing.deeper"])
      expect(evaluate(expr(path), scope), path).toBeUndefined();
  });

  it("refuses malformed paths and prototype keys at compile time", () => {
    for (const bad of ["a..b", "a.", "a[x]", "a[0", "a b", "__proto__.x", "a.constructor", ""]) {
      const issues: Issue[] = [];
      expect(compileExpression(bad, "fields.title", issues), bad).toBeNull();
      expect(issues[0]?.path).toBe("fields.title");
    }
    expect(parsePath("$").from).toBe("root");
    expect(parsePath("a[0][1].b").segments).toEqual(["a", 0, 1, "b"]);
  });
});

describe("template expressions", () => {
  it("interpolates paths and is missing when any placeholder is", () => {
    expect(evaluate(expr("{{labels.alertname}} on {{labels.instance}}"), scope)).toBe("HighCPU on web-01:9100");
    expect(evaluate(expr("sid {{alert.signature_id}} / {{alert.list}}"), scope)).toBe('sid 2013028 / ["a","b",{"deep":"c"}]');
    expect(evaluate(expr("{{labels.alertname}} on {{labels.host}}"), scope)).toBeUndefined();
  });

  it("takes the first present value of a first-of list, and literals as given", () => {
    expect(evaluate(expr(["labels.host", "empty", "{{labels.alertname}}!"]), scope)).toBe("HighCPU!");
    expect(evaluate(expr(["labels.host", { const: "fallback" }]), scope)).toBe("fallback");
    expect(evaluate(expr([["nothing"], "labels.instance"]), scope)).toBe("web-01:9100");
    expect(evaluate(expr({ const: { a: 1 } }), scope)).toEqual({ a: 1 });
    expect(evaluate(expr(["labels.host", "labels.nodename"]), scope)).toBeUndefined();
  });

  it("rejects unclosed interpolation and unknown object forms", () => {
    for (const bad of ["{{labels.alertname", "x }} y", { path: "a" }, [], 42]) {
      const issues: Issue[] = [];
      expect(compileExpression(bad, "t", issues)).toBeNull();
      expect(issues).toHaveLength(1);
    }
  });
});

describe("applyTemplate", () => {
  const template = compileTemplate({
    items: "alerts",
    skip: { status: ["resolved"] },
    fields: { title: "{{labels.alertname}} on {{labels.instance}}", "host.name": "labels.instance", receiver: "$.receiver" },
    severity: { from: "labels.severity", map: { warning: "medium", page: "critical" }, default: "low" },
    source_id: "fingerprint",
    time: "startsAt",
  });
  const payload = {
    receiver: "ops",
    alerts: [
      { status: "firing", labels: { alertname: "A", instance: "h1", severity: "PAGE" }, fingerprint: "f1", startsAt: "2026-11-24T09:00:00Z" },
      { status: "resolved", labels: { alertname: "B", instance: "h2" }, fingerprint: "f2" },
      { status: "firing", labels: { alertname: "C", instance: "h3", severity: "bizarre" } },
      { status: "firing", labels: { alertname: "D", instance: "h4" }, fingerprint: "f4" },
    ],
  };

  it("maps each record, skips by value, and maps severity case-insensitively with a default", () => {
    const out = applyTemplate(template, payload, { sender: "prom" });
    expect(out.issues).toEqual([]);
    expect(out.skipped).toEqual([1]);
    expect(out.alerts.map((a) => a.at)).toEqual(["alerts[0]", "alerts[2]", "alerts[3]"]);
    const [first, third, fourth] = out.alerts.map((a) => a.alert);
    expect(first).toMatchObject({ title: "A on h1", host: { name: "h1" }, receiver: "ops", severity: "critical", source: "prom", source_id: "f1", time: "2026-11-24T09:00:00Z" });
    expect(first!.unmapped).toEqual({ vendor_severity: "PAGE" });
    expect(third!.severity).toBe("low");
    expect(third!.source_id).toBe(recordHash(payload.alerts[2]));
    expect(fourth!.severity).toBe("low");
    expect(fourth!.unmapped).toBeUndefined();
  });

  it("hashes records independently of key order and differently for different content", () => {
    expect(recordHash({ a: 1, b: { c: 2, d: 3 } })).toBe(recordHash({ b: { d: 3, c: 2 }, a: 1 }));
    expect(recordHash({ a: 1 })).not.toBe(recordHash({ a: 2 }));
  });

  it("reports a missing items array and non-object records", () => {
    expect(applyTemplate(template, { receiver: "x" }, { sender: "s" }).issues).toEqual([{ path: "alerts", message: 'expected an array of records at "alerts"' }]);
    expect(applyTemplate(template, { alerts: [1, {}] }, { sender: "s" }).issues).toEqual([{ path: "alerts[0]", message: "expected a JSON object" }]);
  });

  it("takes an array payload as the records without items, and passes generic alerts through", () => {
    const passthrough = compileTemplate({ passthrough: true, fields: { "host.name": "device" } });
    const out = applyTemplate(passthrough, [{ title: "x", source: "edr", source_id: 7, device: "pc-1" }, { title: "y" }], { sender: "hook" });
    expect(out.alerts.map((a) => a.alert)).toEqual([
      { title: "x", source: "edr", source_id: 7, device: "pc-1", host: { name: "pc-1" } },
      { title: "y", source: "hook", source_id: recordHash({ title: "y" }) },
    ]);
  });

  it("validates the template with paths", () => {
    const issuesOf = (spec: unknown) => {
      try {
        compileTemplate(spec, "webhooks.senders[0].template");
        return [];
      } catch (error) {
        if (error instanceof TemplateError) return error.issues;
        throw error;
      }
    };
    expect(issuesOf({ fields: { title: "a..b" } })).toEqual([{ path: "webhooks.senders[0].template.fields.title", message: expect.stringContaining('"a..b"') as string }]);
    expect(issuesOf({ fields: { "bad key": "x" } })[0]?.path).toBe('webhooks.senders[0].template.fields.bad key');
    expect(issuesOf({ severity: { from: "s", map: { x: "urgent" } } })[0]?.path).toBe("webhooks.senders[0].template.severity.map.x");
    expect(issuesOf({ fields: { host: "a", "host.name": "b" } })[0]?.message).toBe("conflicts with fields.host");
    expect(issuesOf({ script: "return 1" })[0]?.path).toBe("webhooks.senders[0].template");
    expect(issuesOf({ items: "a[" })[0]?.path).toBe("webhooks.senders[0].template.items");
  });
});
