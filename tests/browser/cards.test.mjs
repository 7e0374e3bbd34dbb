// The Installed and Catalog pages and their cards in a real headless
// Chromium: what a card says (identity, missing secrets, status message,
// last check, last change), "Test connection", Activate's refusal in words,
// the filters, the Delete dialog, focus after actions, toasts, the member's
// read-only view, HTML error pages, the sign-in hint, the phone header and
// the tenant switcher. Every state is checked at 1280 px and 390 px with
// axe, and no page may log a console error (CSP violations included).
import { test, describe, before, after } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import {
  MEMBER_PASSWORD,
  PASSWORD,
  axeCheck,
  expectToast,
  launch,
  providerStandin,
  screenshots,
  signIn,
  startServer,
} from "./harness.mjs";

const WIDTHS = [1280, 390];

// A provider stand-in on 127.0.0.2 that refuses every check with 401, as
// Medium does for a revoked integration token.
function refusingStandin() {
  return new Promise((resolve, reject) => {
    const srv = http.createServer((req, res) => {
      res.writeHead(401, { "content-type": "application/json" });
      res.end(JSON.stringify({ errors: [{ message: "Token was invalid.", code: 6003 }] }));
    });
    srv.listen(0, "127.0.0.2", () => {
      srv.unref();
      resolve(`http://127.0.0.2:${srv.address().port}`);
    });
    srv.on("error", reject);
  });
}

// Collects console errors and page errors; `check()` asserts there were none.
function watchConsole(page) {
  const errors = [];
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  page.on("pageerror", (e) => errors.push(String(e)));
  return {
    // `expected` matches the errors a step causes on purpose (the browser
    // logs every page answered 403 or 404); they are dropped.
    check(label, expected = null) {
      const left = expected ? errors.filter((e) => !expected.test(e)) : errors;
      assert.deepEqual(left, [], `${label}: console errors`);
      errors.length = 0;
    },
  };
}

async function atWidths(page, label, fn) {
  for (const width of WIDTHS) {
    await page.setViewportSize({ width, height: width === 390 ? 844 : 860 });
    await fn(width);
    await axeCheck(page, `${label} at ${width}px`);
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 0, `${label} at ${width}px: no sideways scrolling (${overflow}px)`);
  }
  await page.setViewportSize({ width: 1280, height: 860 });
}

describe("cards and pages (SQLite)", () => {
  let server;
  let browser;
  let owner;
  let member;
  let ownerConsole;
  let memberConsole;
  let token;
  const ids = {};

  async function api(method, path, body) {
    const r = await fetch(`${server.base}/features/connectors/api${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await r.text();
    assert.ok(r.ok, `${method} ${path}: ${r.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  const card = (page, id) => page.locator(`.installed-card[data-id="${id}"]`);
  const installed = async (page, query = "") => {
    await page.goto(`${server.base}/features/connectors/installed${query}`);
    await page.locator("#installed-grid").waitFor();
  };

  before(async () => {
    const ok = await providerStandin();
    const refusing = await refusingStandin();
    server = await startServer("sqlite", {
      CONNECTORS_PROVIDER_URLS: `wordpress=${ok},twitter=${ok},linkedin=${ok},medium=${refusing}`,
    });
    server.cli(["user", "create", "--tenant", "default", "--email", "member@localhost", "--role", "member", "--password-stdin"], `${MEMBER_PASSWORD}\n`);
    token = server.cli(["token", "create", "--tenant", "default", "--email", "admin@localhost"]);
    ids.blog = (await api("POST", "/connectors", {
      catalog_key: "wordpress",
      name: "Company blog",
      tags: ["news"],
      config: { site_url: "https://blog.example.com", username: "editor" },
      auth: { application_password: "abcd EFGH ijkl MNOP qrst UVWX" },
    })).id;
    ids.stories = (await api("POST", "/connectors", { catalog_key: "medium", name: "Stories", config: {} })).id;
    ids.x = (await api("POST", "/connectors", {
      catalog_key: "twitter",
      name: "Twitter / X",
      tags: ["social"],
      config: { username: "acme_news" },
      auth: {
        api_key: "AAAAAAAAAAAAAAAAAAAAAAAAA",
        api_secret: "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
        access_token: "1234567890-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC",
        access_token_secret: "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD",
      },
    })).id;
    ids.page = (await api("POST", "/connectors", {
      catalog_key: "linkedin",
      name: "Company page",
      config: { author: { type: "organization", urn: "urn:li:organization:2414183" } },
      auth: { access_token: "AQX-linkedin-access-token-0123456789" },
    })).id;
    const v = await api("GET", `/connectors/${ids.page}`);
    await api("PATCH", `/connectors/${ids.page}`, { status: "error", status_message: "LinkedIn revoked the token on 1 December." });
    assert.equal(v.status, "inactive");
    browser = await launch();
    owner = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    ownerConsole = watchConsole(owner);
    await signIn(owner, server.base, "admin@localhost", PASSWORD);
    member = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    memberConsole = watchConsole(member);
    await signIn(member, server.base, "member@localhost", MEMBER_PASSWORD);
    mkdirSync(screenshots, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("cards say what they are connected to, what is missing, why they fail and when they changed", async () => {
    await installed(owner);
    const blog = card(owner, ids.blog);
    assert.equal((await blog.locator(".identity").textContent()).replace(/\s+/g, " ").trim(), "Site URL: https://blog.example.com");
    assert.equal((await card(owner, ids.x).locator(".identity").textContent()).replace(/\s+/g, " ").trim(), "Account handle: acme_news");
    assert.match(await card(owner, ids.page).locator(".identity").textContent(), /Organization URN: urn:li:organization:2414183/);
    // The name equals the catalog name: said once.
    assert.equal(await card(owner, ids.x).locator(".category").count(), 0);
    assert.equal(await card(owner, ids.x).getByText("Twitter / X").count(), 1);
    assert.equal(await blog.locator(".category").textContent(), "WordPress");
    // Missing secrets and the way to finish.
    const stories = card(owner, ids.stories);
    assert.equal((await stories.locator(".needs-setup").textContent()).replace(/\s+/g, " ").trim(), "Needs setup: Integration token missing");
    assert.equal(await stories.getByRole("button", { name: "Finish setup of Stories" }).count(), 1);
    assert.equal(await blog.locator(".needs-setup").count(), 0);
    assert.equal(await blog.getByRole("button", { name: /Finish setup/ }).count(), 0);
    // The error's message.
    assert.equal(await card(owner, ids.page).locator(".status-message").textContent(), "LinkedIn revoked the token on 1 December.");
    // When and by whom, in words, the exact time on hover.
    const changed = blog.locator(".changed time");
    assert.equal(await changed.textContent(), "just now");
    assert.match(await changed.getAttribute("datetime"), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    assert.match(await changed.getAttribute("title"), /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    assert.match(await blog.locator(".changed").textContent(), /Changed\s+just now\s+by admin/);
    assert.equal(await blog.locator(".last-check").textContent(), "Not checked yet");
    await atWidths(owner, "installed cards", async (width) => {
      if (width === 1280) {
        await stories.screenshot({ path: join(screenshots, "card-needs-setup.png") });
        await card(owner, ids.page).screenshot({ path: join(screenshots, "card-error.png") });
      }
    });
    ownerConsole.check("installed");
  });

  test("Finish setup opens Configure for the connector", async () => {
    await installed(owner);
    await card(owner, ids.stories).getByRole("button", { name: "Finish setup of Stories" }).click();
    const dialog = owner.locator("dialog#modal");
    await dialog.waitFor({ state: "visible" });
    assert.equal(await owner.locator('[name="auth.integration_token"]').count(), 1);
    await owner.keyboard.press("Escape");
    await dialog.waitFor({ state: "hidden" });
  });

  test("Activate's refusal is on the card, in words, and focus stays on the card", async () => {
    await installed(owner);
    const stories = card(owner, ids.stories);
    await stories.getByRole("button", { name: "Activate Stories" }).click();
    const refusal = card(owner, ids.stories).locator(".refusal");
    await refusal.waitFor();
    assert.equal(await refusal.textContent(), "Add the integration token to activate.");
    assert.equal(await refusal.getAttribute("role"), "alert");
    assert.ok(await owner.evaluate(() => document.activeElement?.getAttribute("aria-label") === "Activate Stories"), "focus on Activate again");
    await atWidths(owner, "card with a refusal", async () => {});
    ownerConsole.check("refusal");
  });

  test("Test connection shows the last check on the card: success, and the error in words", async () => {
    await installed(owner);
    await card(owner, ids.blog).getByRole("button", { name: "Test connection of Company blog" }).click();
    await owner.waitForFunction((id) => document.querySelector(`.installed-card[data-id="${id}"] .last-check.check-ok`), ids.blog);
    const line = card(owner, ids.blog).locator(".last-check");
    assert.equal((await line.textContent()).replace(/\s+/g, " ").trim(), "Checked just now · Connected as Acme.");
    assert.match(await line.locator("time").getAttribute("title"), /UTC$/);
    assert.ok(await owner.evaluate(() => document.activeElement?.getAttribute("aria-label") === "Test connection of Company blog"), "focus stays on Test connection");

    // Missing token: said in words, nothing sent.
    await card(owner, ids.stories).getByRole("button", { name: "Test connection of Stories" }).click();
    await card(owner, ids.stories).locator(".refusal", { hasText: "Add the integration token to test the connection." }).waitFor();

    // With the token, the provider refuses it: its words on the card.
    await api("PATCH", `/connectors/${ids.stories}`, { auth: { integration_token: "abcdefghijklmnopqrstuvwxyz0123456789" } });
    await installed(owner);
    assert.equal(await card(owner, ids.stories).locator(".needs-setup").count(), 0, "no longer needs setup");
    await card(owner, ids.stories).getByRole("button", { name: "Test connection of Stories" }).click();
    await owner.waitForFunction((id) => document.querySelector(`.installed-card[data-id="${id}"] .last-check.check-failed`), ids.stories);
    assert.equal(
      (await card(owner, ids.stories).locator(".last-check").textContent()).replace(/\s+/g, " ").trim(),
      "Checked just now · Medium rejected the integration token: it is wrong or was revoked.",
    );
    // Activation runs the check first: its refusal in words too.
    await card(owner, ids.stories).getByRole("button", { name: "Activate Stories" }).click();
    await card(owner, ids.stories).locator(".refusal", { hasText: "Medium rejected the integration token" }).waitFor();
    await atWidths(owner, "cards with check results", async (width) => {
      if (width === 1280) await card(owner, ids.stories).screenshot({ path: join(screenshots, "card-check-failed.png") });
    });
    ownerConsole.check("checks");
  });

  test("the Installed page filters by search, status, type and tag without a reload, in the address", async () => {
    await installed(owner);
    assert.equal(await owner.getByRole("link", { name: "Add connector" }).getAttribute("href"), "/features/connectors/catalog");
    await owner.evaluate(() => (window.__marker = "same page"));
    const count = () => owner.locator(".installed-card").count();
    assert.equal(await count(), 4);
    await owner.getByLabel("Search installed connectors").fill("blog");
    await owner.waitForFunction(() => document.querySelectorAll(".installed-card").length === 1);
    await owner.waitForURL(/\?q=blog$/);
    await owner.getByLabel("Search installed connectors").fill("");
    await owner.waitForFunction(() => document.querySelectorAll(".installed-card").length === 4);
    await owner.getByLabel("Status").selectOption("error");
    await owner.waitForFunction(() => document.querySelectorAll(".installed-card").length === 1);
    assert.equal(await card(owner, ids.page).count(), 1);
    await owner.waitForURL(/status=error/);
    await owner.getByLabel("Status").selectOption("");
    await owner.getByLabel("Tag").selectOption("social");
    await owner.waitForFunction((id) => document.querySelectorAll(".installed-card").length === 1 && document.querySelector(`.installed-card[data-id="${id}"]`), ids.x);
    await owner.getByLabel("Type").selectOption("wordpress");
    await owner.locator(".empty", { hasText: "No connector matches these filters." }).waitFor();
    assert.equal(await owner.evaluate(() => window.__marker), "same page", "no reload");
    await atWidths(owner, "installed, nothing matches", async () => {});
    await owner.getByRole("link", { name: "Clear filters" }).click();
    await owner.waitForFunction(() => document.querySelectorAll(".installed-card").length === 4);
    await owner.waitForURL(`${server.base}/features/connectors/installed`);
    assert.equal(await owner.evaluate(() => window.__marker), "same page", "no reload");
    // A filtered address opens filtered.
    await installed(owner, "?tag=news");
    assert.equal(await count(), 1);
    assert.equal(await owner.getByLabel("Tag").inputValue(), "news");
    ownerConsole.check("filters");
  });

  test("catalog cards say how many are installed; search matches categories; empty results offer Clear filters", async () => {
    await owner.goto(`${server.base}/features/connectors/catalog`);
    const wp = owner.locator('.catalog-card[data-key="wordpress"]');
    assert.equal(await wp.locator(".installed-count").textContent(), "Installed (1)");
    assert.equal(await wp.locator(".installed-count").getAttribute("href"), "/features/connectors/installed?catalog_key=wordpress");
    assert.equal(await wp.locator(".category").textContent(), "Blogging");
    assert.deepEqual(await owner.locator("#catalog-category option").allTextContents(), ["All categories", "Blogging", "Social"]);
    await owner.evaluate(() => (window.__marker = "same page"));
    await owner.getByLabel("Search the catalog").fill("blog");
    await owner.waitForFunction(() => document.querySelectorAll(".catalog-card").length === 2);
    assert.deepEqual((await owner.locator(".catalog-card").evaluateAll((els) => els.map((e) => e.dataset.key))).sort(), ["medium", "wordpress"]);
    await owner.getByLabel("Search the catalog").fill("no such thing");
    await owner.locator("#catalog-grid .empty").waitFor();
    await atWidths(owner, "catalog, nothing matches", async () => {});
    await owner.getByRole("link", { name: "Clear filters" }).click();
    await owner.waitForFunction(() => document.querySelectorAll(".catalog-card").length === 4);
    assert.equal(await owner.getByLabel("Search the catalog").inputValue(), "");
    assert.equal(await owner.evaluate(() => window.__marker), "same page", "no reload");
    await atWidths(owner, "catalog", async () => {});
    ownerConsole.check("catalog");
  });

  test("Delete asks in a dialog that names the connector, warns when active, and keeps focus near", async () => {
    const extra = (await api("POST", "/connectors", {
      catalog_key: "wordpress",
      name: "Old blog",
      config: { site_url: "https://old.example.com", username: "editor" },
      auth: { application_password: "abcd EFGH ijkl MNOP qrst UVWX" },
    })).id;
    await api("PATCH", `/connectors/${extra}`, { status: "active" });
    await installed(owner);
    const del = card(owner, extra).getByRole("button", { name: "Delete Old blog" });
    await del.focus();
    await owner.keyboard.press("Enter");
    const confirm = owner.locator("dialog#confirm-delete");
    await confirm.waitFor({ state: "visible" });
    assert.equal(await confirm.locator("h2").textContent(), "Delete “Old blog”?");
    assert.ok(await confirm.locator("#confirm-delete-active").isVisible(), "an active connector gets the stronger warning");
    assert.equal(await confirm.getByRole("button", { name: "Delete active connector" }).count(), 1);
    await atWidths(owner, "delete dialog", async () => {});
    // Escape keeps it, and focus goes back to Delete.
    await owner.keyboard.press("Escape");
    await confirm.waitFor({ state: "hidden" });
    assert.ok(await del.evaluate((el) => el === document.activeElement), "focus back on Delete");
    assert.equal(await card(owner, extra).count(), 1);
    // Cancel from the keyboard keeps it too (Cancel has focus first).
    await owner.keyboard.press("Enter");
    await confirm.waitFor({ state: "visible" });
    assert.ok(await owner.evaluate(() => document.activeElement?.textContent === "Cancel"), "Cancel is focused first");
    await owner.keyboard.press("Enter");
    await confirm.waitFor({ state: "hidden" });
    assert.equal(await card(owner, extra).count(), 1);
    // An inactive connector's dialog has no warning.
    await card(owner, ids.blog).getByRole("button", { name: "Delete Company blog" }).click();
    await confirm.waitFor({ state: "visible" });
    assert.ok(await confirm.locator("#confirm-delete-active").isHidden());
    await owner.keyboard.press("Escape");
    // Delete: the neighbour takes focus.
    const next = await card(owner, extra).evaluate((el) => {
      let s = el.nextElementSibling || el.previousElementSibling;
      return s ? s.dataset.id : null;
    });
    await del.click();
    await confirm.getByRole("button", { name: "Delete active connector" }).click();
    await expectToast(owner, "Deleted “Old blog”.");
    await owner.waitForFunction((id) => !document.querySelector(`.installed-card[data-id="${id}"]`), extra);
    await owner.waitForFunction((id) => document.activeElement?.dataset?.id === id, next);
    ownerConsole.check("delete");
  });

  test("toasts: at most two, newest first, dismissible, and not over the cards on a phone", async () => {
    await installed(owner);
    const x = () => card(owner, ids.x);
    for (const label of ["Activate Twitter / X", "Deactivate Twitter / X", "Activate Twitter / X"]) {
      await x().getByRole("button", { name: label }).click();
      await owner.waitForFunction((l) => document.activeElement?.getAttribute("aria-label") !== l, label);
    }
    await expectToast(owner, "Activated");
    const toasts = owner.locator("#toasts .toast");
    assert.equal(await toasts.count(), 2);
    assert.match(await toasts.first().textContent(), /Activated/);
    assert.match(await toasts.nth(1).textContent(), /Deactivated/);
    assert.ok(await owner.evaluate(() => document.activeElement?.getAttribute("aria-label") === "Deactivate Twitter / X"), "focus on the card's status button");
    await axeCheck(owner, "toasts");
    await toasts.first().getByRole("button", { name: "Dismiss" }).click();
    assert.equal(await toasts.count(), 1);
    await owner.setViewportSize({ width: 390, height: 844 });
    await x().getByRole("button", { name: "Deactivate Twitter / X" }).click();
    await expectToast(owner, "Deactivated");
    const box = await toasts.first().boundingBox();
    const overlaps = await owner.locator(".installed-card").evaluateAll((els, t) =>
      els.filter((el) => {
        const r = el.getBoundingClientRect();
        return !(r.bottom <= t.y || r.top >= t.y + t.height || r.right <= t.x || r.left >= t.x + t.width);
      }).length, box);
    assert.equal(overlaps, 0, "no toast over a card at 390px");
    await axeCheck(owner, "toast at 390px");
    await owner.setViewportSize({ width: 1280, height: 860 });
    ownerConsole.check("toasts");
  });

  test("a member sees read-only settings, may test connections, and changes nothing", async () => {
    await installed(member);
    assert.equal(await member.getByRole("link", { name: "Add connector" }).count(), 0);
    for (const name of [/Configure/, /^Activate/, /^Deactivate/, /^Delete/, /Finish setup/]) {
      assert.equal(await member.getByRole("button", { name }).count(), 0, String(name));
    }
    const blog = card(member, ids.blog);
    await blog.locator("details.readonly summary").click();
    assert.match(await blog.locator(".readonly-note").textContent(), /Read-only/);
    assert.ok(await blog.locator(".readonly-note").isVisible());
    const settings = await blog.locator("dl.settings div").evaluateAll((rows) => rows.map((r) => [r.querySelector("dt").textContent, r.querySelector("dd").textContent]));
    assert.deepEqual(settings.slice(0, 2), [["Site URL", "https://blog.example.com"], ["Username", "editor"]]);
    assert.ok(!(await blog.textContent()).includes("abcd EFGH"), "no secret on the card");
    await card(member, ids.page).locator("details.readonly summary").click();
    assert.match(await card(member, ids.page).locator("dl.settings").textContent(), /Post as.*Company page/s);
    await atWidths(member, "member's installed page", async (width) => {
      if (width === 1280) await blog.screenshot({ path: join(screenshots, "card-read-only.png") });
    });
    await blog.getByRole("button", { name: "Test connection of Company blog" }).click();
    await member.waitForFunction((id) => document.querySelector(`.installed-card[data-id="${id}"] .last-check.check-ok`), ids.blog);
    memberConsole.check("member");
  });

  test("failing page routes answer an HTML page with a way back", async () => {
    const missing = await owner.goto(`${server.base}/features/connectors/forms/0190d8e6-0000-7000-8000-000000000000/edit`);
    assert.equal(missing.status(), 404);
    assert.match(missing.headers()["content-type"], /text\/html/);
    assert.equal(await owner.locator("h1").textContent(), "Not found");
    await atWidths(owner, "404 page", async () => {});
    await owner.getByRole("link", { name: "Back to the catalog" }).click();
    await owner.waitForURL(`${server.base}/features/connectors/catalog`);
    const nowhere = await owner.goto(`${server.base}/features/connectors/nowhere`);
    assert.equal(nowhere.status(), 404);
    assert.equal(await owner.locator("h1").textContent(), "Not found");
    const refused = await member.goto(`${server.base}/features/connectors/forms/new/wordpress`);
    assert.equal(refused.status(), 403);
    assert.equal(await member.locator("h1").textContent(), "Not allowed");
    assert.match(await member.locator(".error-message").textContent(), /owner or admin/);
    await atWidths(member, "403 page", async () => {});
    // The API keeps its envelope.
    const json = await member.evaluate(async () => (await fetch("/features/connectors/api/connectors/nope")).headers.get("content-type"));
    assert.match(json, /application\/json/);
    const refusals = /^Failed to load resource: the server responded with a status of 40[34] /;
    ownerConsole.check("error pages", refusals);
    memberConsole.check("error pages", refusals);
  });

  test("the phone header keeps Sign out on the account's line", async () => {
    for (const page of [owner, member]) {
      await page.setViewportSize({ width: 390, height: 844 });
      await installed(page);
      const out = await page.getByRole("button", { name: "Sign out" }).boundingBox();
      const user = await page.locator(".topbar .user").boundingBox();
      assert.ok(Math.abs(out.y + out.height / 2 - (user.y + user.height / 2)) < 6, `Sign out beside the user: ${JSON.stringify([out, user])}`);
      const bar = await page.locator(".topbar").boundingBox();
      assert.ok(bar.height < 60, `one line: ${bar.height}px`);
      await page.setViewportSize({ width: 1280, height: 860 });
    }
  });
});

describe("sign-in hint and tenant switcher (SQLite)", () => {
  let server;
  let browser;

  before(async () => {
    server = await startServer("sqlite");
    server.cli(["tenant", "create", "other", "--name", "Other team"]);
    server.cli(["user", "create", "--tenant", "other", "--email", "admin@localhost", "--role", "owner"]);
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  test("the tenant switcher switches on change", async () => {
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 860 } })).newPage();
    const seen = watchConsole(page);
    await signIn(page, server.base, "admin@localhost", PASSWORD);
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 844 });
      assert.ok(await page.getByRole("button", { name: "Switch" }).isHidden(), "no Switch button needed");
      const target = (await page.getByLabel("Tenant").inputValue()) === "other" ? "default" : "other";
      await page.evaluate(() => (window.__marker = "before the switch"));
      await page.getByLabel("Tenant").selectOption(target);
      await page.waitForFunction(() => window.__marker === undefined && document.readyState === "complete");
      await page.waitForURL(`${server.base}/features/connectors/catalog`);
      assert.equal(await page.getByLabel("Tenant").inputValue(), target);
      const out = await page.getByRole("button", { name: "Sign out" }).boundingBox();
      const select = await page.getByLabel("Tenant").boundingBox();
      assert.ok(Math.abs(out.y + out.height / 2 - (select.y + select.height / 2)) < 6, `Sign out beside the tenant at ${width}px`);
      await axeCheck(page, `tenant switcher at ${width}px`);
    }
    seen.check("tenant switch");
  });

  test("the sign-in page shows the admin@localhost hint only while the bootstrap password is unchanged", async () => {
    const page = await (await browser.newContext()).newPage();
    const seen = watchConsole(page);
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 844 });
      await page.goto(`${server.base}/login`);
      assert.match(await page.locator(".hint").textContent(), /admin@localhost/);
      await axeCheck(page, `sign-in with hint at ${width}px`);
    }
    server.cli(["user", "create", "--tenant", "default", "--email", "admin@localhost", "--role", "owner", "--password-stdin"], "a brand new password\n");
    for (const width of WIDTHS) {
      await page.setViewportSize({ width, height: 844 });
      await page.goto(`${server.base}/login`);
      assert.equal(await page.locator(".hint").count(), 0);
      assert.equal(await page.getByText("admin@localhost").count(), 0);
      await axeCheck(page, `sign-in without hint at ${width}px`);
    }
    seen.check("sign-in");
  });
});
