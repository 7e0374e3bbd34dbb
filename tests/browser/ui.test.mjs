// End-to-end tests of the web UI in a real headless Chromium (Debian's
// chromium driven by playwright-core), against the real binary on
// 127.0.0.1. The full suite runs on SQLite; a smoke pass runs on
// PostgreSQL. Screenshots of the catalog, installed and add-form screens
// are saved on every run (see `screenshots` below).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  MEMBER_PASSWORD,
  PASSWORD,
  axeCheck,
  expectToast,
  launch,
  screenshots,
  signIn,
  startServer,
} from "./harness.mjs";

describe("web UI on SQLite", () => {
  let server;
  let browser;
  let context;
  let page;

  before(async () => {
    server = await startServer("sqlite");
    server.cli(["user", "create", "--tenant", "default", "--email", "member@localhost", "--role", "member", "--password-stdin"], `${MEMBER_PASSWORD}\n`);
    browser = await launch();
    // axe is injected with page.evaluate, which the CSP does not govern.
    context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
    page = await context.newPage();
    mkdirSync(screenshots, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("a wrong password is refused like an unknown user, the right one signs in", async () => {
    await page.goto(`${server.base}/features/connectors/catalog`);
    await page.waitForURL(`${server.base}/login`);
    await page.getByLabel("Email").fill("admin@localhost");
    await page.getByLabel("Password").fill("wrong password");
    await page.getByRole("button", { name: "Sign in" }).click();
    const wrong = await page.getByRole("alert").textContent();
    await page.getByLabel("Email").fill("nobody@localhost");
    await page.getByLabel("Password").fill("wrong password");
    await page.getByRole("button", { name: "Sign in" }).click();
    assert.equal(await page.getByRole("alert").textContent(), wrong);
    await signIn(page, server.base, "admin@localhost", PASSWORD);
    const cookies = await context.cookies();
    const session = cookies.find((c) => c.name === "connectors_session");
    assert.ok(session.httpOnly);
    assert.equal(session.sameSite, "Lax");
  });

  test("the catalog shows four cards and search narrows them without a reload", async () => {
    const cards = page.locator(".catalog-card");
    await cards.first().waitFor();
    assert.equal(await cards.count(), 4);
    for (const key of ["twitter", "wordpress", "linkedin", "medium"]) {
      assert.equal(await page.locator(`.catalog-card[data-key="${key}"]`).count(), 1, key);
    }
    await axeCheck(page, "catalog");
    await page.screenshot({ path: join(screenshots, "catalog.png"), fullPage: true });
    await page.evaluate(() => (window.__marker = "same page"));
    await page.getByLabel("Search the catalog").fill("word");
    await page.waitForFunction(() => document.querySelectorAll(".catalog-card").length === 1);
    assert.equal(await page.locator('.catalog-card[data-key="wordpress"]').count(), 1);
    await page.getByLabel("Category").selectOption("social");
    await page.waitForFunction(() => document.querySelectorAll(".catalog-card").length === 0);
    await page.getByLabel("Search the catalog").fill("");
    await page.waitForFunction(() => document.querySelectorAll(".catalog-card").length === 2);
    assert.equal(await page.evaluate(() => window.__marker), "same page", "no reload");
    await page.getByLabel("Category").selectOption("");
    await page.waitForFunction(() => document.querySelectorAll(".catalog-card").length === 4);
  });

  test("add a WordPress connector: inline error, fix, toast, new card", async () => {
    await page.locator('.catalog-card[data-key="wordpress"]').getByRole("button", { name: /Add/ }).click();
    const dialog = page.locator("dialog#modal");
    await dialog.waitFor({ state: "visible" });
    await page.getByLabel("Name", { exact: false }).first().fill("Company blog");
    await page.locator('[name="config.site_url"]').fill("not a url");
    await page.locator('[name="config.username"]').fill("editor");
    await page.locator('[name="auth.application_password"]').fill("abcd EFGH ijkl MNOP qrst UVWX");
    // Every input has a label.
    const unlabeled = await page.evaluate(() =>
      [...document.querySelectorAll("dialog input:not([type=hidden]), dialog select, dialog textarea")]
        .filter((el) => !(el.labels && el.labels.length))
        .map((el) => el.name),
    );
    assert.deepEqual(unlabeled, []);
    await axeCheck(page, "add form");
    await page.locator("dialog#modal").evaluate((d) => (d.scrollTop = 0));
    await page.screenshot({ path: join(screenshots, "add-form.png") });
    await page.getByRole("button", { name: "Add connector" }).click();
    const error = page.locator("#f-config-site_url-error");
    await error.waitFor({ state: "visible" });
    assert.match(await error.textContent(), /must/);
    assert.equal(await page.locator('[name="config.site_url"]').getAttribute("aria-invalid"), "true");
    // The browser keeps the secret it holds (the server sends none back).
    assert.equal(await page.locator('[name="auth.application_password"]').inputValue(), "abcd EFGH ijkl MNOP qrst UVWX");
    await page.locator('[name="config.site_url"]').fill("https://blog.example.com");
    await page.locator('[name="auth.application_password"]').fill("abcd EFGH ijkl MNOP qrst UVWX");
    await page.getByRole("button", { name: "Add connector" }).click();
    await expectToast(page, "Added “Company blog”.");
    await dialog.waitFor({ state: "hidden" });
    await page.getByRole("link", { name: "Installed", exact: true }).click();
    await page.waitForURL(`${server.base}/features/connectors/installed`);
    const card = page.locator(".installed-card", { hasText: "Company blog" });
    await card.waitFor();
    assert.ok(await card.getAttribute("data-id"));
    await axeCheck(page, "installed");
  });

  test("configure: update one secret while another is kept", async () => {
    const admin = server.cli(["token", "create", "--tenant", "default", "--email", "admin@localhost"]);
    const reader = server.cli(["token", "create", "--tenant", "default", "--email", "admin@localhost", "--scope", "credentials:read"]);
    const created = await fetch(`${server.base}/features/connectors/api/connectors`, {
      method: "POST",
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json" },
      body: JSON.stringify({
        catalog_key: "twitter",
        name: "News account",
        config: { username: "acme_news" },
        auth: {
          api_key: "AAAAAAAAAAAAAAAAAAAAAAAAA",
          api_secret: "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
          access_token: "1234567890-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC",
          access_token_secret: "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD",
        },
      }),
    });
    assert.equal(created.status, 201);
    const { id } = await created.json();
    await page.reload();
    const card = page.locator(`.installed-card[data-id="${id}"]`);
    await card.getByRole("button", { name: /Configure/ }).click();
    await page.locator("dialog#modal").waitFor({ state: "visible" });
    const secretInput = page.locator('[name="auth.api_key"]');
    assert.ok(await secretInput.isHidden(), "a set secret is not an input until asked");
    await page.locator('[data-reveal="f-auth-api_key"]').click();
    await secretInput.fill("ZZZZZZZZZZZZZZZZZZZZZZZZZ");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await expectToast(page, "Saved");
    const creds = await (await fetch(`${server.base}/features/connectors/api/connectors/${id}/credentials`, {
      headers: { authorization: `Bearer ${reader}` },
    })).json();
    assert.equal(creds.api_key, "ZZZZZZZZZZZZZZZZZZZZZZZZZ");
    assert.equal(creds.api_secret, "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB");
    assert.equal(creds.access_token_secret, "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD");
  });

  test("activate and deactivate", async () => {
    const card = page.locator(".installed-card", { hasText: "Company blog" });
    await card.getByRole("button", { name: /^Activate/ }).click();
    await expectToast(page, "Activated");
    await page.locator(".installed-card", { hasText: "Company blog" }).locator(".badge", { hasText: "active" }).waitFor();
    await page.screenshot({ path: join(screenshots, "installed.png"), fullPage: true });
    await page.locator(".installed-card", { hasText: "Company blog" }).getByRole("button", { name: /Deactivate/ }).click();
    await expectToast(page, "Deactivated");
    await page.locator(".installed-card", { hasText: "Company blog" }).locator(".badge", { hasText: "inactive" }).waitFor();
  });

  test("delete asks for confirmation", async () => {
    const card = page.locator(".installed-card", { hasText: "Company blog" });
    const confirm = page.locator("dialog#confirm-delete");
    await card.getByRole("button", { name: /Delete/ }).click();
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await confirm.waitFor({ state: "hidden" });
    assert.equal(await page.locator(".installed-card", { hasText: "Company blog" }).count(), 1, "kept when dismissed");
    await card.getByRole("button", { name: /Delete/ }).click();
    await confirm.getByRole("button", { name: /^Delete/ }).click();
    await expectToast(page, "Deleted");
    await page.waitForFunction(() => ![...document.querySelectorAll(".installed-card")].some((c) => c.textContent.includes("Company blog")));
  });

  test("usable with the keyboard and on a phone-width screen", async () => {
    await page.goto(`${server.base}/features/connectors/catalog`);
    const add = page.locator('.catalog-card[data-key="medium"]').getByRole("button", { name: /Add/ });
    await add.focus();
    await page.keyboard.press("Enter");
    const dialog = page.locator("dialog#modal");
    await dialog.waitFor({ state: "visible" });
    assert.ok(await page.evaluate(() => document.getElementById("modal").contains(document.activeElement)), "focus moves into the dialog");
    for (let i = 0; i < 30; i++) {
      await page.keyboard.press("Tab");
      assert.ok(await page.evaluate(() => document.getElementById("modal").contains(document.activeElement)), "focus stays inside");
    }
    await page.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
    assert.ok(await add.evaluate((el) => el === document.activeElement), "focus returns to the Add button");

    await page.setViewportSize({ width: 390, height: 844 });
    for (const path of ["catalog", "installed"]) {
      await page.goto(`${server.base}/features/connectors/${path}`);
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 0, `${path}: no sideways scrolling at phone width (${overflow}px)`);
    }
    await page.setViewportSize({ width: 1280, height: 860 });
  });

  test("a form post without the CSRF token is refused", async () => {
    const status = await page.evaluate(async () => {
      const body = new URLSearchParams({ name: "Sneaky", "config.site_url": "https://x.example", "config.username": "u" });
      const r = await fetch("/features/connectors/forms/new/wordpress", { method: "POST", body });
      return r.status;
    });
    assert.equal(status, 403);
    const withToken = await page.evaluate(async () => {
      const token = document.querySelector('meta[name="csrf-token"]').content;
      const r = await fetch("/features/connectors/api/connectors", {
        method: "POST",
        headers: { "content-type": "application/json", "x-csrf-token": token },
        body: JSON.stringify({ catalog_key: "medium", name: "Via session", config: {} }),
      });
      const created = await r.json();
      const creds = await fetch(`/features/connectors/api/connectors/${created.id}/credentials`);
      return [r.status, creds.status];
    });
    assert.deepEqual(withToken, [201, 403], "sessions may use the API but never read credentials");
  });

  test("a member sees no change controls", async () => {
    const memberContext = await browser.newContext();
    const mp = await memberContext.newPage();
    await signIn(mp, server.base, "member@localhost", MEMBER_PASSWORD);
    await mp.locator(".catalog-card").first().waitFor();
    assert.equal(await mp.getByRole("button", { name: /^Add/ }).count(), 0);
    await mp.getByRole("link", { name: "Installed", exact: true }).click();
    await mp.locator(".installed-card").first().waitFor();
    for (const name of [/Configure/, /Activate/, /Deactivate/, /Delete/]) {
      assert.equal(await mp.getByRole("button", { name }).count(), 0, String(name));
    }
    await memberContext.close();
  });

  test("sign out ends the session", async () => {
    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL(`${server.base}/login`);
    await page.goto(`${server.base}/features/connectors/installed`);
    await page.waitForURL(`${server.base}/login`);
  });
});

// A connector type whose secrets sit inside `oneOf` branches of the config.
const WAREHOUSE = {
  key: "warehouse",
  name: "Warehouse",
  category: "test",
  auth_type: "oauth",
  capabilities: { publish: false },
  default_config_schema: {
    type: "object",
    required: ["host", "credentials"],
    properties: {
      host: { type: "string", title: "Host" },
      credentials: {
        type: "object",
        title: "Authentication",
        oneOf: [
          {
            type: "object",
            title: "OAuth",
            required: ["auth_type", "client_id", "client_secret", "refresh_token"],
            properties: {
              auth_type: { const: "oauth" },
              client_id: { type: "string", title: "Client ID" },
              client_secret: { type: "string", title: "Client secret", airbyte_secret: true },
              refresh_token: { type: "string", title: "Refresh token", airbyte_secret: true },
            },
          },
          {
            type: "object",
            title: "Personal token",
            required: ["auth_type", "token"],
            properties: {
              auth_type: { const: "token" },
              token: { type: "string", title: "Token", writeOnly: true },
            },
          },
        ],
      },
    },
  },
  auth_schema: { type: "object", properties: {} },
};

describe("secrets inside the config (SQLite)", () => {
  let server;
  let browser;
  let page;
  let reader;
  let id;

  before(async () => {
    server = await startServer("sqlite");
    const dir = mkdtempSync(join(tmpdir(), "connectors-manifest-"));
    const file = join(dir, "warehouse.json");
    writeFileSync(file, JSON.stringify(WAREHOUSE));
    server.cli(["catalog", "import", file]);
    rmSync(dir, { recursive: true, force: true });
    reader = server.cli(["token", "create", "--tenant", "default", "--email", "admin@localhost", "--scope", "credentials:read"]);
    browser = await launch();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    await signIn(page, server.base, "admin@localhost", PASSWORD);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  async function credentials() {
    const r = await fetch(`${server.base}/features/connectors/api/connectors/${id}/credentials`, {
      headers: { authorization: `Bearer ${reader}` },
    });
    assert.equal(r.status, 200);
    return r.json();
  }

  async function configure() {
    await page.goto(`${server.base}/features/connectors/installed`);
    await page.locator(`.installed-card[data-id="${id}"]`).getByRole("button", { name: /Configure/ }).click();
    await page.locator("dialog#modal").waitFor({ state: "visible" });
  }

  test("add with OAuth, then update one nested secret while the other is kept", async () => {
    await page.locator('.catalog-card[data-key="warehouse"]').getByRole("button", { name: /Add/ }).click();
    await page.locator("dialog#modal").waitFor({ state: "visible" });
    await page.locator('[name="name"]').fill("Data warehouse");
    await page.locator('[name="config.host"]').fill("db.example");
    await page.locator('[name="config.credentials.client_id"]').fill("cid-1");
    const secret = page.locator('[name="config.credentials.client_secret"]');
    assert.equal(await secret.getAttribute("type"), "password");
    await secret.fill("client-secret-one");
    await page.locator('[name="config.credentials.refresh_token"]').fill("refresh-token-one");
    await page.getByRole("button", { name: "Add connector" }).click();
    await expectToast(page, "Added “Data warehouse”.");
    await page.goto(`${server.base}/features/connectors/installed`);
    const card = page.locator(".installed-card", { hasText: "Data warehouse" });
    await card.waitFor();
    id = await card.getAttribute("data-id");

    await configure();
    assert.ok(await secret.isHidden(), "a set nested secret is not an input until asked");
    const field = page.locator(".field", { has: secret });
    assert.match(await field.locator(".secret-state").textContent(), /Set/);
    await axeCheck(page, "edit form with nested secrets");
    await page.locator(`[data-reveal="${await secret.getAttribute("id")}"]`).click();
    await secret.fill("client-secret-two");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await expectToast(page, "Saved");
    const creds = await credentials();
    assert.equal(creds.config.credentials.client_secret, "client-secret-two");
    assert.equal(creds.config.credentials.refresh_token, "refresh-token-one");
    assert.equal(creds.config.credentials.client_id, "cid-1");
  });

  test("switching the auth method drops the secrets of the method left", async () => {
    await configure();
    const token = page.locator('[name="config.credentials.token"]');
    assert.ok(await token.isHidden(), "the token branch is not shown");
    await page.locator('[name="config.credentials.auth_type"]').selectOption("token");
    await token.waitFor({ state: "visible" });
    assert.ok(await page.locator('[name="config.credentials.client_secret"]').isHidden());
    await token.fill("personal-token-one");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await expectToast(page, "Saved");
    const creds = await credentials();
    assert.deepEqual(creds.config.credentials, { auth_type: "token", token: "personal-token-one" });
    const view = await (await fetch(`${server.base}/features/connectors/api/connectors/${id}`, {
      headers: { authorization: `Bearer ${reader}` },
    })).json();
    assert.equal(view.secrets["config.credentials.client_secret"].set, false);
    assert.equal(view.secrets["config.credentials.token"].set, true);
    assert.ok(!JSON.stringify(view).includes("personal-token-one"));
  });
});

describe("web UI on PostgreSQL (smoke)", () => {
  let server;
  let browser;
  let page;

  before(async () => {
    server = await startServer("postgres");
    browser = await launch();
    page = await (await browser.newContext()).newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("sign in, add, delete", async () => {
    await signIn(page, server.base, "admin@localhost", PASSWORD);
    await page.locator('.catalog-card[data-key="medium"]').getByRole("button", { name: /Add/ }).click();
    await page.locator("dialog#modal").waitFor({ state: "visible" });
    await page.locator('[name="name"]').fill("Stories");
    await page.locator('[name="auth.integration_token"]').fill("abcdefghijklmnopqrstuvwxyz0123456789");
    await page.getByRole("button", { name: "Add connector" }).click();
    await expectToast(page, "Added");
    await page.getByRole("link", { name: "Installed", exact: true }).click();
    const card = page.locator(".installed-card", { hasText: "Stories" });
    await card.waitFor();
    await card.getByRole("button", { name: /Delete/ }).click();
    await page.locator("dialog#confirm-delete").getByRole("button", { name: /^Delete/ }).click();
    await expectToast(page, "Deleted");
    await page.locator(".empty").waitFor();
  });
});

const REPORTS_WAREHOUSE = {
  key: "warehouse",
  name: "Warehouse",
  category: "test",
  auth_type: "api_key",
  default_config_schema: {
    type: "object",
    required: ["host", "reports", "auth"],
    properties: {
      host: { type: "string", title: "Host", examples: ["db.example.com"], description: "See [the guide](https://example.com/guide)." },
      note: { type: "string", title: "Note", multiline: true },
      auth: {
        type: "object",
        title: "Sign in with",
        display_type: "radio",
        oneOf: [
          { type: "object", title: "Key", required: ["key_id"], properties: { method: { type: "string", enum: ["key"] }, key_id: { type: "string", title: "Key id" } } },
          { type: "object", title: "Anonymous", properties: { method: { type: "string", enum: ["anonymous"] } } },
        ],
      },
      reports: {
        type: "array",
        title: "Reports",
        minItems: 1,
        maxItems: 3,
        items: { type: "object", required: ["name"], properties: { name: { type: "string", title: "Report name" }, days: { type: "integer", title: "Days" } } },
      },
    },
  },
  auth_schema: { type: "object", properties: { api_key: { type: "string", title: "API key" } }, required: ["api_key"] },
};

describe("forms of imported specs on SQLite", () => {
  let server;
  let browser;
  let page;

  before(async () => {
    server = await startServer("sqlite");
    const dir = mkdtempSync(join(tmpdir(), "connectors-spec-"));
    const file = join(dir, "warehouse.json");
    writeFileSync(file, JSON.stringify(REPORTS_WAREHOUSE));
    server.cli(["catalog", "import", file]);
    rmSync(dir, { recursive: true, force: true });
    browser = await launch();
    page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("optional fields, a radio choice and rows added and removed without a reload", async () => {
    await signIn(page, server.base, "admin@localhost", PASSWORD);
    await page.locator('.catalog-card[data-key="warehouse"]').getByRole("button", { name: /Add/ }).click();
    await page.locator("dialog#modal").waitFor({ state: "visible" });
    await page.evaluate(() => (window.__marker = "same page"));

    // Optional fields stay collapsed until the disclosure opens.
    const note = page.locator('[name="config.note"]');
    assert.equal(await note.isVisible(), false);
    await page.locator("details.optional").filter({ has: note }).locator("summary").click();
    await note.waitFor({ state: "visible" });
    assert.equal(await page.locator('[name="config.host"]').getAttribute("placeholder"), "db.example.com");
    assert.equal(await page.locator(".help a", { hasText: "the guide" }).getAttribute("target"), "_blank");

    // The radio choice shows one branch at a time.
    const keyId = page.locator('[name="config.auth.key_id"]');
    assert.ok(await keyId.isVisible());
    await page.getByLabel("Anonymous").check();
    await keyId.waitFor({ state: "hidden" });
    await page.getByLabel("Key", { exact: true }).check();
    await keyId.waitFor({ state: "visible" });

    // Rows: one to start with (minItems), "Add" from the keyboard, "Remove".
    await page.locator('[name="config.reports.0.name"]').fill("daily");
    assert.equal(await page.getByRole("button", { name: /Remove Reports/ }).count(), 0);
    await page.getByRole("button", { name: "Add to Reports" }).focus();
    await page.keyboard.press("Enter");
    await page.locator('[name="config.reports.1.name"]').waitFor();
    await page.waitForFunction(() => document.activeElement?.name === "config.reports.1.name");
    assert.equal(await page.locator('[name="config.reports.0.name"]').inputValue(), "daily");
    await axeCheck(page, "form with rows");
    await page.getByRole("button", { name: "Remove Reports 1" }).click();
    await page.waitForFunction(() => !document.querySelector('[name="config.reports.1.name"]'));
    await page.waitForFunction(() => document.activeElement?.name === "config.reports.0.name");
    assert.equal(await page.locator('[name="config.reports.0.name"]').inputValue(), "");
    assert.equal(await page.evaluate(() => window.__marker), "same page", "no reload");

    // Saving validates the rows and stores them.
    await page.locator('[name="name"]').fill("Main warehouse");
    await page.locator('[name="config.host"]').fill("db.internal");
    await page.locator('[name="config.auth.key_id"]').fill("k1");
    await page.locator('[name="auth.api_key"]').fill("a-key-of-some-length");
    await page.getByRole("button", { name: "Add connector" }).click();
    await page.locator("#f-config-reports-0-name-error").waitFor();
    await page.locator('[name="config.reports.0.name"]').fill("weekly");
    await page.locator('[name="auth.api_key"]').fill("a-key-of-some-length");
    await page.getByRole("button", { name: "Add connector" }).click();
    await expectToast(page, "Added");
  });
});
