// The main flows of the admin and the content broadcaster, through a
// client generated from the service's /openapi.json only: openapi-typescript
// types (./schema.d.ts) and openapi-fetch. Compiled with `tsc --strict`.
// Reads the service's address and tokens from the environment
// (tests/support/serve.sh); exits non-zero on the first surprise.
import createClient from "openapi-fetch";
import type { components, paths } from "./schema.js";

type Connector = components["schemas"]["ConnectorView"];
type ErrorBody = components["schemas"]["ErrorBody"];

const env = (name: string): string => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
};

const api = "/features/connectors/api";
const base = env("base");
const client = (token: string) =>
  createClient<paths>({ baseUrl: base, headers: { Authorization: `Bearer ${token}` } });
const admin = client(env("admin"));
const reader = client(env("reader"));

function check(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(`check failed: ${what}`);
}

/** The response headers an operation declares (not the index signature). */
type Declared<H> = { [K in keyof H as string extends K ? never : K]: H[K] };

/** Reads the named headers, each of which the operation must declare. */
function typedHeaders<H>(res: Response, names: readonly (keyof Declared<H> & string)[]): Record<keyof Declared<H> & string, string> {
  const out = {} as Record<keyof Declared<H> & string, string>;
  for (const n of names) {
    const v = res.headers.get(n);
    check(v !== null, `header ${n} is present`);
    out[n] = v;
  }
  return out;
}

type CreatedHeaders = paths["/features/connectors/api/connectors"]["post"]["responses"][201]["headers"];
type GotHeaders = paths["/features/connectors/api/connectors/{id}"]["get"]["responses"][200]["headers"];
type PatchedHeaders = paths["/features/connectors/api/connectors/{id}"]["patch"]["responses"][200]["headers"];

async function install(name: string, tags: string[]): Promise<{ connector: Connector; etag: string; location: string }> {
  const { data, error, response } = await admin.POST(`${api}/connectors`, {
    body: {
      catalog_key: "wordpress",
      name,
      config: { site_url: "https://blog.example.com", username: "editor" },
      auth: { application_password: "abcd EFGH ijkl MNOP qrst UVWX" },
      tags,
    },
  });
  check(response.status === 201 && data && !error, `install ${name}: ${response.status}`);
  const h = typedHeaders<CreatedHeaders>(response, ["ETag", "Location"]);
  return { connector: data, etag: h.ETag, location: h.Location };
}

async function main(): Promise<void> {
  const suffix = `ts-${Date.now()}`;

  // Catalog.
  const catalog = await admin.GET(`${api}/catalog`, { params: { query: { category: "blogging" } } });
  check(catalog.data, "catalog lists");
  const wordpress = catalog.data.items.find((e) => e.key === "wordpress");
  check(wordpress && wordpress.auth_type === "basic", "wordpress is in the catalog");
  check(wordpress.capabilities["publish"] === true, "wordpress can publish");
  const entry = await admin.GET(`${api}/catalog/{key}`, { params: { path: { key: "wordpress" } } });
  check(entry.data?.default_config_schema["type"] === "object", "one entry with its schema");

  // Install, with ETag and Location from the declared headers.
  const first = await install(`Blog ${suffix} 1`, ["ts", suffix]);
  check(first.etag === '"1"', `ETag of a new connector: ${first.etag}`);
  check(first.location === `${api}/connectors/${first.connector.id}`, "Location names the connector");
  check(first.connector.status === "inactive", "a new connector is inactive");
  check(first.connector.secrets["application_password"]?.set === true, "the secret is set");
  await install(`Blog ${suffix} 2`, [suffix]);
  await install(`Blog ${suffix} 3`, [suffix]);

  // List with a cursor.
  const seen: string[] = [];
  let cursor: string | undefined;
  for (;;) {
    const query: { tag: string; limit: number; cursor?: string } = { tag: suffix, limit: 2 };
    if (cursor !== undefined) query.cursor = cursor;
    const page = await admin.GET(`${api}/installed`, { params: { query } });
    check(page.data, "a page of connectors");
    seen.push(...page.data.items.map((c) => c.name));
    if (page.data.next_cursor === null) break;
    cursor = page.data.next_cursor;
  }
  check(seen.length === 3, `three connectors over the pages: ${seen.join(", ")}`);

  // Read it back with its ETag, then update with If-Match: activate and change the secret.
  const id = first.connector.id;
  const got = await admin.GET(`${api}/connectors/{id}`, { params: { path: { id } } });
  check(got.data, "read one connector");
  const etag = typedHeaders<GotHeaders>(got.response, ["ETag"]).ETag;
  const activated = await admin.PATCH(`${api}/connectors/{id}`, {
    params: { path: { id }, header: { "If-Match": etag } },
    body: { status: "active", auth: { application_password: "wxyz WXYZ wxyz WXYZ wxyz WXYZ" } },
  });
  check(activated.data?.status === "active" && activated.data.version === 2, "activated with If-Match");
  check(typedHeaders<PatchedHeaders>(activated.response, ["ETag"]).ETag === '"2"', "the new ETag");

  // A stale If-Match is refused through the typed error.
  const stale = await admin.PATCH(`${api}/connectors/{id}`, {
    params: { path: { id }, header: { "If-Match": etag } },
    body: { name: "Renamed" },
  });
  check(stale.response.status === 412 && stale.error?.error === "precondition_failed", "stale If-Match is 412");

  // Publish targets.
  const targets = await admin.GET(`${api}/publish-targets`, { params: { query: { capability: "supports_scheduling" } } });
  check(targets.data?.items.some((t) => t.id === id), "the active connector is a publish target");

  // Credentials, with the scoped token only.
  const creds = await reader.GET(`${api}/connectors/{id}/credentials`, { params: { path: { id } } });
  check(creds.data?.["application_password"] === "wxyz WXYZ wxyz WXYZ wxyz WXYZ", "credentials read");
  const refused = await admin.GET(`${api}/connectors/{id}/credentials`, { params: { path: { id } } });
  check(refused.response.status === 403 && refused.error?.error === "forbidden", "a token without the scope is refused");

  // Audit.
  const audit = await admin.GET(`${api}/audit`, { params: { query: { connector_id: id, limit: 10 } } });
  const actions = audit.data?.items.map((e) => e.action) ?? [];
  check(actions.includes("connector.credentials_read") && actions.includes("connector.created"), `audit: ${actions.join(", ")}`);

  // Replace it whole: the secrets it does not name are cleared.
  const replaced = await admin.PUT(`${api}/connectors/{id}`, {
    params: { path: { id }, header: { "If-Match": '"2"' } },
    body: {
      name: `Blog ${suffix} 1`,
      config: { site_url: "https://news.example.com", username: "editor" },
      tags: ["replaced"],
      status: "inactive",
    },
  });
  check(replaced.data?.secrets["application_password"]?.set === false, "PUT clears the secrets it does not name");

  // A 422, read through the typed error.
  const bad = await admin.POST(`${api}/connectors`, {
    body: { catalog_key: "wordpress", name: `Broken ${suffix}`, config: { site_url: "ftp://example.com" } },
  });
  const invalid: ErrorBody | undefined = bad.error;
  check(bad.response.status === 422 && invalid?.error === "validation_failed", "invalid install is 422");
  check((invalid.errors?.["config.site_url"] ?? []).length > 0, "the error names config.site_url");

  // Delete; then it is gone.
  const del = await admin.DELETE(`${api}/connectors/{id}`, { params: { path: { id } } });
  check(del.response.status === 204, "deleted");
  const gone = await admin.GET(`${api}/connectors/{id}`, { params: { path: { id } } });
  check(gone.response.status === 404 && gone.error?.error === "not_found", "gone");

  console.log("TypeScript client: every flow passed");
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
