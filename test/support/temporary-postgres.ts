import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

/**
 * A throw-away PostgreSQL server for tests and benchmarks: finds the server binaries (installing Debian's
 * postgresql package when running as root on a machine without them) and runs a private cluster on a
 * free loopback port. Never skips: if no server can be had, it throws with the reason.
 */

function findBinDir(): string | undefined {
  const candidates: string[] = [];
  if (existsSync("/usr/lib/postgresql")) {
    for (const version of readdirSync("/usr/lib/postgresql").sort((a, b) => Number(b) - Number(a)))
      candidates.push(`/usr/lib/postgresql/${version}/bin`);
  }
  for (const dir of (process.env.PATH ?? "").split(":")) candidates.push(dir);
  return candidates.find((dir) => existsSync(path.join(dir, "initdb")) && existsSync(path.join(dir, "postgres")));
}

function installPostgres(): void {
  if (process.getuid?.() !== 0 || !existsSync("/usr/bin/apt-get"))
    throw new Error("PostgreSQL server binaries not found: install the postgresql package or set NIGHTSHIFT_TEST_DATABASE_URL");
  console.error("[tests] installing PostgreSQL (apt-get install postgresql)…");
  const env = { ...process.env, DEBIAN_FRONTEND: "noninteractive" };
  execFileSync("apt-get", ["update", "-qq"], { stdio: "inherit", env });
  execFileSync("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "postgresql"], { stdio: "inherit", env });
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      probe.close(() => (typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port"))));
    });
  });
}

/**
 * A short-lived admin connection. The server may end it (a fast shutdown, DROP DATABASE … WITH (FORCE) from
 * another one): the error then fails the awaited query instead of escaping as an uncaught 'error' event.
 */
function adminClient(url: string): pg.Client {
  const client = new pg.Client({ connectionString: url });
  client.on("error", () => undefined);
  return client;
}

async function waitReady(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 30_000;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`postgres exited with code ${child.exitCode}`);
    const client = adminClient(url);
    try {
      await client.connect();
      await client.end();
      return;
    } catch (error) {
      lastError = error;
      await client.end().catch(() => {});
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`postgres did not become ready: ${String(lastError)}`);
}


export interface TemporaryPostgres {
  url: string;
  stop(): Promise<void>;
}

export async function startTemporaryPostgres(): Promise<TemporaryPostgres> {
  let binDir = findBinDir();
  if (!binDir) {
    installPostgres();
    binDir = findBinDir();
    if (!binDir) throw new Error("PostgreSQL was installed but initdb/postgres are still not found");
  }
  // PostgreSQL refuses to run as root: run it as the postgres system user the package creates.
  const asRoot = process.getuid?.() === 0;
  const runAs = (cmd: string, args: string[]): [string, string[]] =>
    asRoot ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
  const dataDir = mkdtempSync(path.join(tmpdir(), "nightshift-pg-"));
  chmodSync(dataDir, 0o777);
  if (asRoot) execFileSync("chown", ["postgres", dataDir]);
  const cluster = path.join(dataDir, "cluster");
  const [initCmd, initArgs] = runAs(path.join(binDir, "initdb"), ["-D", cluster, "-U", "nightshift", "-A", "trust", "-E", "UTF8", "--no-sync"]);
  execFileSync(initCmd, initArgs, { stdio: "ignore" });
  const port = await freePort();
  const [cmd, args] = runAs(path.join(binDir, "postgres"), [
    "-D", cluster, "-p", String(port), "-k", dataDir, "-c", "listen_addresses=127.0.0.1",
    "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=300",
  ]);
  const server: ChildProcess = spawn(cmd, args, { stdio: "ignore" });
  const url = `postgres://nightshift@127.0.0.1:${port}/postgres`;
  await waitReady(url, server);
  return {
    url,
    async stop() {
      if (server.exitCode === null) {
        const exited = new Promise((r) => server.once("exit", r));
        // Signal the postmaster itself (runuser does not forward signals): SIGINT is a fast shutdown.
        const pidFile = path.join(cluster, "postmaster.pid");
        const pid = existsSync(pidFile) ? Number(readFileSync(pidFile, "utf8").split("\n")[0]) : server.pid;
        if (pid) process.kill(pid, "SIGINT");
        await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Creates a fresh database on the server and returns its URL. */
export async function createDatabase(adminUrl: string, name: string): Promise<string> {
  const admin = adminClient(adminUrl);
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE ${name}`);
  } finally {
    await admin.end();
  }
  return adminUrl.replace(/\/[^/]*$/, `/${name}`);
}

export async function dropDatabase(adminUrl: string, name: string): Promise<void> {
  const client = adminClient(adminUrl);
  await client.connect();
  try {
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}
