import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { describe, expect, it } from "vitest";
import { ENVIRONMENT_VARIABLES, loadConfig } from "../src/config/index.js";

/*
 * Docker cannot run here: these tests check the deployment files' structure, and that everything they
 * name is real — commands of the CLI, settings' environment variables, health endpoints, the default port.
 */

const root = path.resolve(import.meta.dirname, "..");
const read = (file: string) => readFileSync(path.join(root, file), "utf8");
const KNOWN = new Set(ENVIRONMENT_VARIABLES.map((v) => v.name));

/** The CLI's top-level commands and `shift`'s subcommands, from the command modules' sources. */
function cliCommands(): Set<string> {
  const names = new Set<string>();
  for (const file of readdirSync(path.join(root, "src/cli/commands")).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts"))) {
    for (const [, name] of read(`src/cli/commands/${file}`).matchAll(/\.command\("([a-z-]+)/g)) names.add(name!);
  }
  return names;
}

/** Compose's `${VAR:?message}` and `${VAR:-default}` with sample values, as compose would interpolate them. */
function interpolate(value: string): string {
  const samples: Record<string, string> = { POSTGRES_PASSWORD: "pw", NIGHTSHIFT_AUDIT_KEY: "k".repeat(40) };
  return value.replace(/\$\{([A-Z_]+)(?::([?-])([^}]*))?\}/g, (_, name: string, kind?: string, rest?: string) => samples[name] ?? (kind === "-" ? (rest ?? "") : ""));
}

interface Service {
  build?: string;
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  healthcheck?: { test: string[] | string; disable?: boolean };
  depends_on?: Record<string, { condition: string }>;
  volumes?: string[];
  deploy?: { replicas?: number };
}

describe("docker-compose.yml", () => {
  const compose = parseYaml(read("docker-compose.yml"), { merge: true }) as { services: Record<string, Service>; volumes: Record<string, unknown> };

  it("starts the server, workers, PostgreSQL and OpenSearch, each with a health check", () => {
    expect(Object.keys(compose.services).sort()).toEqual(["opensearch", "postgres", "server", "worker"]);
    for (const [name, service] of Object.entries(compose.services)) {
      expect(service.healthcheck?.test, name).toBeDefined();
      expect(service.healthcheck?.disable, name).not.toBe(true);
    }
    expect(compose.services.worker!.deploy?.replicas).toBeGreaterThanOrEqual(2);
    expect(compose.services.server!.depends_on?.postgres?.condition).toBe("service_healthy");
    expect(compose.services.worker!.depends_on?.server?.condition).toBe("service_healthy");
    // The server's health check asks the readiness probe the server really has.
    expect(JSON.stringify(compose.services.server!.healthcheck!.test)).toContain("/readyz");
    expect(read("src/server/routes/health.ts")).toContain('path: "/readyz"');
  });

  it("runs commands the CLI has, from the image the Dockerfile builds", () => {
    const commands = cliCommands();
    for (const name of ["server", "worker"]) {
      const service = compose.services[name]!;
      expect(service.build, name).toBe(".");
      expect(commands, `${name}: ${service.command![0]}`).toContain(service.command![0]);
    }
    expect(compose.services.server!.command).toEqual(["serve", "--no-worker"]);
    expect(compose.services.worker!.command).toEqual(["shift", "run"]);
    const workerHealth = compose.services.worker!.healthcheck!.test as string[];
    expect(commands).toContain(workerHealth[3]);
  });

  it("sets only real settings, which the configuration accepts, and shares the audit key and the home volume", () => {
    for (const name of ["server", "worker"]) {
      const env = compose.services[name]!.environment!;
      for (const key of Object.keys(env)) expect(KNOWN, `${name}: ${key} is not an environment variable Nightshift reads`).toContain(key);
      const interpolated = Object.fromEntries(Object.entries(env).map(([k, v]) => [k, interpolate(String(v))]));
      const config = loadConfig({ ...interpolated, NIGHTSHIFT_HOME: "/var/lib/nightshift" });
      expect(config.database_url).toBe("postgres://nightshift:pw@postgres:5432/nightshift");
      expect(config.audit_key).toHaveLength(40);
      expect(compose.services[name]!.volumes).toContain("nightshift-home:/var/lib/nightshift");
    }
    expect(compose.services.server!.environment!.NIGHTSHIFT_PORT).toBe(String(loadConfig({ NIGHTSHIFT_HOME: "/tmp" }).port));
    expect(Object.keys(compose.volumes)).toEqual(expect.arrayContaining(["nightshift-home", "postgres-data", "opensearch-data"]));
  });
});

describe("Dockerfile", () => {
  const dockerfile = read("Dockerfile");
  const instructions = dockerfile
    .replace(/\\\n/g, " ")
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("#"));
  const stages = instructions.map((l, i) => [l, i] as const).filter(([l]) => /^FROM /i.test(l));
  const final = instructions.slice(stages.at(-1)![1]);

  it("is multi-stage, and the runtime stage copies only the build's output", () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(final.filter((l) => /^COPY /.test(l)).every((l) => l.includes("--from=build"))).toBe(true);
    expect(final.some((l) => /npm (ci|install)/.test(l))).toBe(false);
  });

  it("runs as a non-root user, with a health check on /healthz, on the default port, the built CLI as entry point", () => {
    const user = final.filter((l) => /^USER /.test(l)).at(-1);
    expect(user).toBeDefined();
    expect(user!.split(/\s+/)[1]).not.toMatch(/^(root|0)(:|$)/);
    const health = final.find((l) => /^HEALTHCHECK /.test(l));
    expect(health).toContain("/healthz");
    expect(final).toContain(`EXPOSE ${loadConfig({ NIGHTSHIFT_HOME: "/tmp" }).port}`);
    const pkg = JSON.parse(read("package.json")) as { bin: Record<string, string> };
    expect(final.find((l) => /^ENTRYPOINT /.test(l))).toContain(pkg.bin.nightshift);
    for (const line of final.filter((l) => /^ENV /.test(l))) for (const [, name] of line.matchAll(/(NIGHTSHIFT_[A-Z_]+)=/g)) expect(KNOWN).toContain(name);
  });
});

describe("deploy/nightshift.service", () => {
  const unit = read("deploy/nightshift.service");
  const service = unit.slice(unit.indexOf("[Service]"), unit.indexOf("[Install]"));
  const values = (key: string) => [...service.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => m[1]!);

  it("runs `serve` as an unprivileged user, sandboxed, with real settings", () => {
    expect(values("User")).toHaveLength(1);
    expect(values("User")[0]).not.toBe("root");
    expect(values("ExecStart")[0]).toMatch(/dist\/cli\/main\.js serve$/);
    expect(cliCommands()).toContain("serve");
    for (const hardening of ["NoNewPrivileges=true", "ProtectSystem=strict", "PrivateTmp=true"]) expect(service).toContain(hardening);
    for (const env of values("Environment")) {
      const name = env.split("=")[0]!;
      if (name.startsWith("NIGHTSHIFT_")) expect(KNOWN, name).toContain(name);
    }
    expect(unit).toMatch(/\[Install\]\nWantedBy=multi-user\.target/);
  });
});
