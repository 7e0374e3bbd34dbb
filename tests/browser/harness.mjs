// Shared set-up of the browser suites: the real binary on a fresh
// database (SQLite, or a PostgreSQL database made for the run), a local
// provider stand-in on 127.0.0.2 for connection checks, Debian's Chromium
// through playwright-core, sign-in, axe and toast helpers. Every suite
// file (`*.test.mjs`) imports what it needs from here.
import assert from "node:assert/strict";
import { spawn, execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import net from "node:net";
import http from "node:http";
import { chromium } from "playwright-core";

export const here = dirname(fileURLToPath(import.meta.url));
export const root = join(here, "..", "..");
export const bin = process.env.CONNECTORS_BIN || join(root, "target", "debug", "connectors");
export const chromiumPath = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
export const pgAdmin = process.env.CONNECTORS_TEST_PG_URL || "postgres://postgres@127.0.0.1:5432/postgres";
// Screenshots go to tests/browser/artifacts; with UPDATE_SCREENSHOTS=1 they
// replace the ones the README shows.
export const screenshots = process.env.UPDATE_SCREENSHOTS === "1" ? join(root, "docs", "screenshots") : join(here, "artifacts");
export const axeSource = readFileSync(join(here, "node_modules", "axe-core", "axe.min.js"), "utf8");
export const PASSWORD = "browser-test-password";
export const MEMBER_PASSWORD = "member-test-password";

export function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export function cleanEnv(extra) {
  const env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (!k.startsWith("CONNECTORS_") && k !== "RUST_LOG") env[k] = v;
  }
  return { ...env, ...extra };
}

// Every connection check the server runs goes to this stand-in on
// 127.0.0.2, which answers each built-in's check with success; nothing
// leaves the machine.
let standinBase = null;
export function providerStandin() {
  if (standinBase) return Promise.resolve(standinBase);
  return new Promise((resolve, reject) => {
    const srv = http.createServer((req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(JSON.stringify({ data: { id: "u1", username: "acme_news", name: "Acme" }, name: "Acme", capabilities: { publish_posts: true } }));
    });
    srv.listen(0, "127.0.0.2", () => {
      srv.unref();
      standinBase = `http://127.0.0.2:${srv.address().port}`;
      resolve(standinBase);
    });
    srv.on("error", reject);
  });
}

/**
 * Starts the real binary on a fresh database (`kind` is "sqlite" or
 * "postgres"); `extraEnv` adds or replaces settings. Returns `base`, `cli`
 * (the CLI on the same data) and `stop`.
 */
export async function startServer(kind, extraEnv = {}) {
  const standin = await providerStandin();
  const dir = mkdtempSync(join(tmpdir(), "connectors-ui-"));
  const port = await freePort();
  const env = {
    CONNECTORS_BIND: `127.0.0.1:${port}`,
    CONNECTORS_DATA_DIR: dir,
    CONNECTORS_BOOTSTRAP_PASSWORD: PASSWORD,
    CONNECTORS_LOG_LEVEL: "warn",
    CONNECTORS_CHECK_ALLOW_NETWORKS: "127.0.0.2/32",
    CONNECTORS_PROVIDER_URLS: ["wordpress", "medium", "twitter", "linkedin"].map((k) => `${k}=${standin}`).join(","),
    ...extraEnv,
  };
  let pgName = null;
  if (kind === "postgres") {
    pgName = `ui_${Date.now()}_${Math.floor(Math.random() * 1e6)}`;
    execFileSync("psql", [pgAdmin, "-q", "-c", `CREATE DATABASE ${pgName}`]);
    env.CONNECTORS_DATABASE_URL = pgAdmin.replace(/\/[^/]*$/, `/${pgName}`);
    env.CONNECTORS_ENCRYPTION_KEYS = execFileSync(bin, ["keys", "generate"], { env: cleanEnv({}) }).toString().trim();
  }
  const child = spawn(bin, ["serve"], { env: cleanEnv(env), stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30000;
  for (;;) {
    try {
      const r = await fetch(`${base}/readyz`);
      if (r.ok) break;
    } catch {
      /* not yet */
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      throw new Error(`server did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  const cli = (args, input) =>
    execFileSync(bin, args, { env: cleanEnv(env), input, stdio: ["pipe", "pipe", "pipe"] }).toString().trim();
  return {
    base,
    cli,
    async stop() {
      child.kill("SIGTERM");
      await new Promise((r) => child.once("exit", r));
      if (pgName) execFileSync("psql", [pgAdmin, "-q", "-c", `DROP DATABASE IF EXISTS ${pgName} WITH (FORCE)`]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: chromiumPath,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
    ],
  });
}

export async function signIn(page, base, email, password) {
  await page.goto(`${base}/login`);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL(`${base}/features/connectors/catalog`);
}

export async function axeCheck(page, label) {
  await page.evaluate(axeSource);
  const result = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const r = await axe.run(document, { resultTypes: ["violations"] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.length, help: v.help }));
  });
  const bad = result.filter((v) => v.impact === "serious" || v.impact === "critical");
  assert.deepEqual(bad, [], `${label}: serious or critical accessibility violations`);
}

export async function expectToast(page, text) {
  await page.locator("#toasts .toast", { hasText: text }).first().waitFor({ state: "visible", timeout: 10000 });
}
