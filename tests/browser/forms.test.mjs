// The Add and Configure dialogs in a real headless Chromium: a failed save
// keeps what was typed, errors that can be seen (summary, focus, sticky
// header and footer), "needed to activate", "Test connection", labels for
// enum values, asking before a changed form is discarded, stored secrets
// that can be kept or removed, the connector's status message with
// "Save and re-activate", and a console without errors under the strict
// CSP. Owner and member, at 1280 px and 390 px.
import { test, describe, before, after, afterEach } from "node:test";
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

const KEYS = {
  "auth.api_key": "AAAAAAAAAAAAAAAAAAAAAAAAA",
  "auth.api_secret": "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB",
  "auth.access_token": "1234567890-CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC",
  "auth.access_token_secret": "DDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDDD",
};
const WIDTHS = [
  { width: 1280, height: 860 },
  { width: 390, height: 844 },
];

// A provider that rejects every token, as Medium answers a wrong one.
function rejectingStandin() {
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

// Console errors and page errors (a CSP violation is a console error).
function watch(page) {
  const problems = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console: ${m.text()}`);
  });
  page.on("pageerror", (e) => problems.push(`pageerror: ${e.message}`));
  return problems;
}

describe("connector dialogs", () => {
  let server;
  let browser;
  let context;
  let page;
  let problems;
  let admin;

  before(async () => {
    const ok = await providerStandin();
    const bad = await rejectingStandin();
    server = await startServer("sqlite", {
      CONNECTORS_PROVIDER_URLS: `wordpress=${ok},twitter=${ok},linkedin=${ok},medium=${bad}`,
    });
    server.cli(["user", "create", "--tenant", "default", "--email", "member@localhost", "--role", "member", "--password-stdin"], `${MEMBER_PASSWORD}\n`);
    admin = server.cli(["token", "create", "--tenant", "default", "--email", "admin@localhost"]);
    browser = await launch();
    context = await browser.newContext({ viewport: WIDTHS[0] });
    page = await context.newPage();
    problems = watch(page);
    mkdirSync(screenshots, { recursive: true });
    await signIn(page, server.base, "admin@localhost", PASSWORD);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  afterEach(() => {
    assert.deepEqual(problems.splice(0), [], "no console errors");
  });

  const api = (path, init = {}) =>
    fetch(`${server.base}/features/connectors/api${path}`, {
      ...init,
      headers: { authorization: `Bearer ${admin}`, "content-type": "application/json", ...(init.headers || {}) },
    });

  async function openAdd(key) {
    await page.goto(`${server.base}/features/connectors/catalog`);
    await page.locator(`.catalog-card[data-key="${key}"]`).getByRole("button", { name: /Add/ }).click();
    await page.locator("dialog#modal .connector-form").waitFor({ state: "visible" });
  }

  async function openConfigure(id) {
    await page.goto(`${server.base}/features/connectors/installed`);
    await page.locator(`.installed-card[data-id="${id}"]`).getByRole("button", { name: /Configure/ }).click();
    await page.locator("dialog#modal .connector-form").waitFor({ state: "visible" });
  }

  const focusedName = () => page.evaluate(() => document.activeElement && (document.activeElement.name || document.activeElement.id));

  // Whether an element is inside the dialog's visible area.
  const inView = (locator) =>
    locator.evaluate((el) => {
      const box = el.getBoundingClientRect();
      const d = document.getElementById("modal").getBoundingClientRect();
      return box.top >= d.top - 1 && box.bottom <= d.bottom + 1 && box.height > 0;
    });

  async function closeDialog() {
    const dirty = await page.locator("dialog#modal form[data-dirty]").count();
    if (dirty) page.once("dialog", (d) => d.accept());
    await page.locator("dialog#modal [data-close-modal].close").click();
    await page.locator("dialog#modal").waitFor({ state: "hidden" });
  }

  for (const viewport of WIDTHS) {
    test(`a failed save keeps the four typed keys, shows a summary and saves once fixed (${viewport.width} px)`, async () => {
      await page.setViewportSize(viewport);
      await openAdd("twitter");
      const name = `News ${viewport.width}`;
      await page.locator('[name="name"]').fill(name);
      await page.locator('[name="config.username"]').fill("not a handle!");
      for (const [field, value] of Object.entries(KEYS)) {
        await page.locator(`[name="${field}"]`).fill(value);
      }
      await page.getByRole("button", { name: "Add connector" }).click();
      const summary = page.locator("#form-errors");
      await summary.waitFor({ state: "visible" });
      assert.match(await summary.textContent(), /Not saved: 1 problem to fix/);
      assert.match(await summary.textContent(), /Account handle: must be 1 to 15 letters/);
      for (const [field, value] of Object.entries(KEYS)) {
        assert.equal(await page.locator(`[name="${field}"]`).inputValue(), value, `${field} kept`);
      }
      // Focus on the field in error, in view; the buttons stay in view.
      await page.waitForFunction(() => document.activeElement?.name === "config.username");
      assert.ok(await inView(page.locator('[name="config.username"]')), "the invalid field is in view");
      assert.ok(await inView(page.getByRole("button", { name: "Add connector" })), "Save stays in view");
      // One message, and the pattern's help line not repeated under it.
      assert.equal(await page.locator("#f-config-username-error").textContent(), "must be 1 to 15 letters, digits or underscores, without the leading @");
      assert.equal(await page.locator("#f-config-username-pattern").count(), 0);
      await axeCheck(page, `failed save ${viewport.width}`);
      if (viewport.width === 1280) {
        await page.locator("dialog#modal").evaluate((d) => (d.scrollTop = 0));
        await page.screenshot({ path: join(screenshots, "failed-save.png") });
      }
      await page.locator('[name="config.username"]').fill("acme_news");
      await page.getByRole("button", { name: "Add connector" }).click();
      await expectToast(page, `Added “${name}”. It is on the Installed tab, inactive: activate it there when you are ready.`);
      await page.locator("dialog#modal").waitFor({ state: "hidden" });
      const list = await (await api(`/installed?q=${encodeURIComponent(name)}`)).json();
      const saved = list.items.find((c) => c.name === name);
      assert.ok(saved, "saved");
      for (const k of ["api_key", "api_secret", "access_token", "access_token_secret"]) {
        assert.equal(saved.secrets[k].set, true, `${k} saved`);
      }
    });
  }

  test("errors you can see: the chosen branch's field, one message, rows and lists, links in the summary", async () => {
    await page.setViewportSize(WIDTHS[0]);
    await openAdd("linkedin");
    await page.locator('[name="config.author.type"]').selectOption("organization");
    const org = page.locator("#f-config-author-urn--organization");
    await org.fill("urn:li:person:nope");
    await page.getByRole("button", { name: "Add connector" }).click();
    await page.locator("#form-errors").waitFor({ state: "visible" });
    await page.waitForFunction(() => document.activeElement?.id === "f-config-author-urn--organization");
    assert.equal(await page.locator("#f-config-author-urn--person").getAttribute("aria-invalid"), null, "the hidden branch has no error");
    assert.equal(await page.locator("#f-config-author-urn--organization-error").textContent(), "must be urn:li:organization: followed by the numeric organization id");
    // The summary's link moves the focus to its field.
    await page.locator('[name="name"]').focus();
    await page.locator("#form-errors a").first().click();
    await page.waitForFunction(() => document.activeElement?.id === "f-config-author-urn--organization");
    // The dialog's header stays in view when its body scrolls.
    await page.locator("dialog#modal").evaluate((d) => (d.scrollTop = d.scrollHeight));
    assert.ok(await inView(page.locator("#modal-title")), "the header stays in view");
    await axeCheck(page, "linkedin errors");
    await closeDialog();

    // A list's item error next to the list, by line, not a raw path.
    await openAdd("twitter");
    await page.locator('[name="name"]').fill("Hashtags");
    await page.locator('[name="config.username"]').fill("acme");
    await page.locator("details.optional > summary").first().click();
    await page.locator('[name="config.append_hashtags"]').fill("fine\n#bad tag");
    await page.getByRole("button", { name: "Add connector" }).click();
    const listError = page.locator("#f-config-append_hashtags-error");
    await listError.waitFor({ state: "visible" });
    assert.match(await listError.textContent(), /^Line 2: must be a single word/);
    assert.doesNotMatch(await page.locator("#form-errors").textContent(), /append_hashtags/);
    await page.waitForFunction(() => document.activeElement?.name === "config.append_hashtags");
    await closeDialog();

    // The site URL gets one message for one mistake.
    await openAdd("wordpress");
    await page.locator('[name="config.site_url"]').fill("not a url");
    await page.locator('[name="config.username"]').fill("editor");
    await page.getByRole("button", { name: "Add connector" }).click();
    const siteError = page.locator("#f-config-site_url-error");
    await siteError.waitFor({ state: "visible" });
    assert.doesNotMatch(await siteError.textContent(), /;/);
    assert.equal(await page.locator("#form-errors li", { hasText: "Site URL" }).count(), 1);
    await closeDialog();
  });

  test("a required secret is needed to activate: said in the form, the toast and the refusal", async () => {
    await openAdd("medium");
    const label = page.locator('label[for="f-auth-integration_token"]');
    assert.match(await label.textContent(), /needed to activate/);
    await page.locator('[name="name"]').fill("Stories");
    await page.getByRole("button", { name: "Add connector" }).click();
    await expectToast(page, "Added “Stories”. It is on the Installed tab, inactive: add the integration token to activate it.");
    const list = await (await api("/installed?q=Stories")).json();
    const id = list.items.find((c) => c.name === "Stories").id;
    await openConfigure(id);
    await page.getByRole("button", { name: "Save and activate" }).click();
    const error = page.locator("#f-auth-integration_token-error");
    await error.waitFor({ state: "visible" });
    assert.equal(await error.textContent(), "Add the integration token to activate.");
    assert.match(await page.locator("#form-errors").textContent(), /Add the integration token to activate\./);
    assert.doesNotMatch(await page.locator("#form-errors").textContent(), /auth\./);
    await page.waitForFunction(() => document.activeElement?.name === "auth.integration_token");
    await axeCheck(page, "activation refused");
    await closeDialog();
    const view = await (await api(`/connectors/${id}`)).json();
    assert.equal(view.status, "inactive");
  });

  for (const viewport of WIDTHS) {
    test(`test connection checks the form's values without saving (${viewport.width} px)`, async () => {
      await page.setViewportSize(viewport);
      await openAdd("twitter");
      await page.locator('[name="name"]').fill(`Checked ${viewport.width}`);
      await page.locator('[name="config.username"]').fill("acme_news");
      for (const [field, value] of Object.entries(KEYS)) {
        await page.locator(`[name="${field}"]`).fill(value);
      }
      const result = page.locator("#check-result");
      assert.equal(await result.getAttribute("aria-live"), "polite");
      await page.locator("dialog#modal").getByRole("button", { name: "Test connection" }).click();
      await result.locator(".check-result.ok").waitFor();
      assert.equal(await result.textContent(), "Connected as acme_news.");
      await axeCheck(page, `check ok ${viewport.width}`);
      const list = await (await api(`/installed?q=Checked`)).json();
      assert.equal(list.items.filter((c) => c.name === `Checked ${viewport.width}`).length, 0, "nothing saved");
      await closeDialog();

      // A provider that refuses: the error in words.
      await openAdd("medium");
      await page.locator('[name="auth.integration_token"]').fill("abcdefghijklmnopqrstuvwxyz0123");
      await page.locator("dialog#modal").getByRole("button", { name: "Test connection" }).click();
      await result.locator(".check-result.failed").waitFor();
      assert.match(await result.textContent(), /^Connection failed: /);
      assert.ok(!(await result.textContent()).includes("abcdefghijklmnopqrstuvwxyz0123"));
      // Missing values are named, not checked.
      await page.locator('[name="auth.integration_token"]').fill("");
      await page.locator("dialog#modal").getByRole("button", { name: "Test connection" }).click();
      await result.getByText("Not tested: fix these first.").waitFor();
      assert.match(await result.textContent(), /Add the integration token to test the connection\./);
      await axeCheck(page, `check failed ${viewport.width}`);
      await closeDialog();
    });
  }

  test("test connection in Configure counts the kept secrets", async () => {
    await page.setViewportSize(WIDTHS[0]);
    const created = await api("/connectors", {
      method: "POST",
      body: JSON.stringify({ catalog_key: "twitter", name: "Kept keys", config: { username: "acme_news" }, auth: Object.fromEntries(Object.entries(KEYS).map(([k, v]) => [k.slice(5), v])) }),
    });
    assert.equal(created.status, 201);
    const { id } = await created.json();
    await openConfigure(id);
    await page.locator("dialog#modal").getByRole("button", { name: "Test connection" }).click();
    await page.locator("#check-result .check-result.ok").waitFor();
    assert.equal(await page.locator("#check-result").textContent(), "Connected as acme_news.");
    await closeDialog();
  });

  test("labels for enum values, no blank choice beside a default, examples as placeholders, optional settings collapsed", async () => {
    await openAdd("linkedin");
    // An identifier among the secrets is typed in the clear.
    assert.equal(await page.locator('[name="auth.client_id"]').getAttribute("type"), "text");
    assert.equal(await page.locator('[name="auth.access_token"]').getAttribute("type"), "password");
    const visibility = page.locator('[name="config.visibility"]');
    const options = await visibility.locator("option").allTextContents();
    assert.deepEqual(options, ["Public", "Connections only", "Signed-in LinkedIn members"]);
    await closeDialog();
    await openAdd("twitter");
    assert.equal(await page.locator('[name="config.username"]').getAttribute("placeholder"), "XDevelopers");
    const summary = page.locator("details.optional > summary").first();
    assert.equal(await summary.textContent(), "Optional settings");
    assert.equal(await page.locator('[name="config.reply_settings"]').isVisible(), false, "collapsed");
    await summary.click();
    const reply = await page.locator('[name="config.reply_settings"] option').allTextContents();
    assert.deepEqual(reply, ["Everyone", "Mentioned accounts", "Accounts the author follows"]);
    await axeCheck(page, "labelled options");
    await page.keyboard.press("Escape");
    await page.locator("dialog#modal").waitFor({ state: "hidden" });
    // WordPress's application password follows the username it belongs to.
    await openAdd("wordpress");
    const order = await page.evaluate(() =>
      [...document.querySelectorAll("dialog input:not([type=hidden]), dialog select, dialog textarea")].map((el) => el.name),
    );
    assert.equal(order.indexOf("auth.application_password"), order.indexOf("config.username") + 1, order.join(" "));
    await closeDialog();
  });

  test("Escape and Cancel on a changed form ask before discarding", async () => {
    await openAdd("wordpress");
    await page.locator('[name="config.username"]').fill("editor");
    let asked = 0;
    page.once("dialog", (d) => {
      asked += 1;
      d.dismiss();
    });
    await page.keyboard.press("Escape");
    await page.waitForTimeout(200);
    assert.equal(asked, 1, "asked on Escape");
    assert.ok(await page.locator("dialog#modal").isVisible(), "kept open when the question is dismissed");
    assert.equal(await page.locator('[name="config.username"]').inputValue(), "editor");
    page.once("dialog", (d) => {
      asked += 1;
      d.dismiss();
    });
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.waitForTimeout(200);
    assert.equal(asked, 2, "asked on Cancel");
    assert.ok(await page.locator("dialog#modal").isVisible());
    page.once("dialog", (d) => d.accept());
    await page.getByRole("button", { name: "Cancel" }).click();
    await page.locator("dialog#modal").waitFor({ state: "hidden" });
  });

  test("Configure: Update secret can be undone, an optional secret removed, a refused update stays open", async () => {
    const created = await api("/connectors", {
      method: "POST",
      body: JSON.stringify({
        catalog_key: "linkedin",
        name: "Company page",
        config: { author: { type: "organization", urn: "urn:li:organization:2414183" } },
        auth: { access_token: "T".repeat(30), refresh_token: "R".repeat(30) },
      }),
    });
    const { id } = await created.json();
    await openConfigure(id);
    const access = page.locator('[name="auth.access_token"]');
    assert.ok(await access.isHidden());
    await page.locator('[data-reveal="f-auth-access_token"]').click();
    await access.fill("x");
    await page.getByRole("button", { name: "Keep the current secret" }).click();
    assert.ok(await access.isHidden(), "closed again");
    assert.ok(await access.isDisabled(), "and not sent");
    // Remove the refresh token.
    await page.locator('[data-remove-secret="f-auth-refresh_token"]').click();
    const removedNote = page.locator('[data-secret="f-auth-refresh_token"] .secret-removed');
    await removedNote.waitFor();
    await axeCheck(page, "secret removed");
    // A refused new access token stays open with its error and its value.
    await page.locator('[data-reveal="f-auth-access_token"]').click();
    await access.fill("short");
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await page.locator("#f-auth-access_token-error").waitFor({ state: "visible" });
    assert.ok(await access.isVisible(), "not folded back to Set");
    assert.equal(await access.inputValue(), "short");
    assert.ok(await removedNote.isVisible(), "the removal is kept too");
    await access.fill("N".repeat(30));
    await page.getByRole("button", { name: "Save", exact: true }).click();
    await expectToast(page, "Saved “Company page”.");
    const view = await (await api(`/connectors/${id}`)).json();
    assert.equal(view.secrets.refresh_token.set, false);
    assert.equal(view.secrets.access_token.set, true);
  });

  test("Configure shows the status message and re-activates in one step", async () => {
    const created = await api("/connectors", {
      method: "POST",
      body: JSON.stringify({ catalog_key: "wordpress", name: "Broken blog", config: { site_url: "https://blog.example.com", username: "editor" }, auth: { application_password: "abcd EFGH ijkl MNOP qrst UVWX" } }),
    });
    const { id } = await created.json();
    const broke = await api(`/connectors/${id}`, {
      method: "PATCH",
      body: JSON.stringify({ status: "error", status_message: "WordPress rejected the application password." }),
    });
    assert.equal(broke.status, 200, await broke.text());
    for (const viewport of WIDTHS) {
      await page.setViewportSize(viewport);
      await openConfigure(id);
      const note = page.locator("#form-status");
      assert.match(await note.textContent(), /WordPress rejected the application password\./);
      assert.ok(await page.getByRole("button", { name: "Save and re-activate" }).isVisible());
      await axeCheck(page, `status message ${viewport.width}`);
      if (viewport.width === 1280) {
        await page.locator("dialog#modal").evaluate((d) => (d.scrollTop = 0));
        await page.screenshot({ path: join(screenshots, "configure-error.png") });
      }
      if (viewport !== WIDTHS[WIDTHS.length - 1]) await closeDialog();
    }
    await page.locator('[data-reveal="f-auth-application_password"]').click();
    await page.locator('[name="auth.application_password"]').fill("wxyz EFGH ijkl MNOP qrst UVWX");
    await page.getByRole("button", { name: "Save and re-activate" }).click();
    await expectToast(page, "Saved and activated “Broken blog”.");
    const view = await (await api(`/connectors/${id}`)).json();
    assert.equal(view.status, "active");
    await page.setViewportSize(WIDTHS[0]);
  });

  test("a member opens no dialog and sees a clean console", async () => {
    const memberContext = await browser.newContext({ viewport: WIDTHS[1] });
    const mp = await memberContext.newPage();
    const memberProblems = watch(mp);
    await signIn(mp, server.base, "member@localhost", MEMBER_PASSWORD);
    await mp.locator(".catalog-card").first().waitFor();
    assert.equal(await mp.getByRole("button", { name: /^Add/ }).count(), 0);
    await mp.goto(`${server.base}/features/connectors/installed`);
    await mp.locator(".installed-card").first().waitFor();
    assert.equal(await mp.getByRole("button", { name: /Configure/ }).count(), 0);
    assert.deepEqual(memberProblems.splice(0), [], "no console errors on the member's pages");
    const refused = await mp.evaluate(async () => {
      const token = document.querySelector('meta[name="csrf-token"]').content;
      const r = await fetch("/features/connectors/forms/new/medium/check", {
        method: "POST",
        headers: { "x-csrf-token": token, "hx-request": "true" },
        body: new URLSearchParams({ "auth.integration_token": "abcdefghijklmnopqrstuvwxyz" }),
      });
      return r.status;
    });
    assert.equal(refused, 403, "the dialogs' check is an admin's");
    await memberContext.close();
  });
});
