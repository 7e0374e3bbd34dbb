"""The main flows of the admin and the content broadcaster, through a client
generated from the service's /openapi.json with openapi-python-client only
(the package `connectors_client`, on PYTHONPATH). Reads the service's
address and tokens from the environment (tests/support/serve.sh); exits
non-zero on the first surprise."""

import os
import sys
import time
from http import HTTPStatus
from uuid import UUID

from connectors_client import AuthenticatedClient
from connectors_client.api.audit import audit_list
from connectors_client.api.broadcaster import broadcaster_credentials, broadcaster_publish_targets
from connectors_client.api.catalog import catalog_get, catalog_list
from connectors_client.api.connectors import (
    connectors_create,
    connectors_delete,
    connectors_get,
    connectors_list,
    connectors_replace,
    connectors_update,
)
from connectors_client.models import (
    AuditPage,
    BroadcasterCredentialsResponse200,
    CatalogEntry,
    CatalogPage,
    ConnectorPage,
    ConnectorStatus,
    ConnectorView,
    CreateConnector,
    CreateConnectorAuthType0,
    CreateConnectorConfigType0,
    ErrorBody,
    PublishTargetPage,
    ReplaceConnector,
    ReplaceConnectorConfig,
    UpdateConnector,
    UpdateConnectorAuthType0,
)
from connectors_client.types import Unset

API = "/features/connectors/api"
BASE = os.environ["base"]
admin = AuthenticatedClient(base_url=BASE, token=os.environ["admin"], raise_on_unexpected_status=True)
reader = AuthenticatedClient(base_url=BASE, token=os.environ["reader"], raise_on_unexpected_status=True)
PASSWORD = "abcd EFGH ijkl MNOP qrst UVWX"
NEW_PASSWORD = "wxyz WXYZ wxyz WXYZ wxyz WXYZ"


def check(cond: object, what: str) -> None:
    if not cond:
        raise AssertionError(f"check failed: {what}")


def install(name: str, tags: list[str]) -> tuple[ConnectorView, str, str]:
    body = CreateConnector(
        catalog_key="wordpress",
        name=name,
        config=CreateConnectorConfigType0.from_dict({"site_url": "https://blog.example.com", "username": "editor"}),
        auth=CreateConnectorAuthType0.from_dict({"application_password": PASSWORD}),
        tags=tags,
    )
    res = connectors_create.sync_detailed(client=admin, body=body)
    check(res.status_code == HTTPStatus.CREATED, f"install {name}: {res.status_code}")
    check(isinstance(res.parsed, ConnectorView), "install answers the connector")
    return res.parsed, res.headers["ETag"], res.headers["Location"]


def main() -> None:
    suffix = f"py-{time.time_ns()}"

    # Catalog.
    catalog = catalog_list.sync(client=admin, category="blogging")
    check(isinstance(catalog, CatalogPage), "catalog lists")
    wordpress = next(e for e in catalog.items if e.key == "wordpress")
    check(wordpress.auth_type.value == "basic", "wordpress authenticates with basic")
    check(wordpress.capabilities["publish"] is True, "wordpress can publish")
    entry = catalog_get.sync(client=admin, key="wordpress")
    check(isinstance(entry, CatalogEntry) and entry.default_config_schema["type"] == "object", "one entry")

    # Install, with ETag and Location from the answer's headers.
    first, etag, location = install(f"Blog {suffix} 1", ["py", suffix])
    check(etag == '"1"', f"ETag of a new connector: {etag}")
    check(location == f"{API}/connectors/{first.id}", "Location names the connector")
    check(first.status == ConnectorStatus.INACTIVE, "a new connector is inactive")
    check(first.secrets["application_password"].set_ is True, "the secret is set")
    check(first.status_message is None, "no status message")
    install(f"Blog {suffix} 2", [suffix])
    install(f"Blog {suffix} 3", [suffix])

    # List with a cursor.
    names: list[str] = []
    cursor: str | None = None
    while True:
        page = connectors_list.sync(client=admin, tag=suffix, limit=2, **({"cursor": cursor} if cursor else {}))
        check(isinstance(page, ConnectorPage), "a page of connectors")
        names += [c.name for c in page.items]
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    check(len(names) == 3, f"three connectors over the pages: {names}")

    # Read it back, then update with If-Match: activate and change the secret.
    cid: UUID = first.id
    got = connectors_get.sync_detailed(cid, client=admin)
    check(isinstance(got.parsed, ConnectorView), "read one connector")
    etag = got.headers["ETag"]
    patch = UpdateConnector(
        status=ConnectorStatus.ACTIVE,
        auth=UpdateConnectorAuthType0.from_dict({"application_password": NEW_PASSWORD}),
    )
    res = connectors_update.sync_detailed(cid, client=admin, body=patch, if_match=etag)
    check(isinstance(res.parsed, ConnectorView), f"activated: {res.status_code}")
    check(res.parsed.status == ConnectorStatus.ACTIVE and res.parsed.version == 2, "active at version 2")
    check(res.headers["ETag"] == '"2"', "the new ETag")

    # A stale If-Match is refused through the typed error.
    stale = connectors_update.sync_detailed(cid, client=admin, body=UpdateConnector(name="Renamed"), if_match=etag)
    check(stale.status_code == HTTPStatus.PRECONDITION_FAILED, "a stale If-Match is 412")
    check(isinstance(stale.parsed, ErrorBody) and stale.parsed.error == "precondition_failed", "typed 412")

    # Publish targets.
    targets = broadcaster_publish_targets.sync(client=admin, capability="supports_scheduling")
    check(isinstance(targets, PublishTargetPage), "publish targets")
    check(any(t.id == cid for t in targets.items), "the active connector is a publish target")

    # Credentials, with the scoped token only.
    creds = broadcaster_credentials.sync(cid, client=reader)
    check(isinstance(creds, BroadcasterCredentialsResponse200), "credentials read")
    check(creds["application_password"] == NEW_PASSWORD, "the current secret")
    refused = broadcaster_credentials.sync_detailed(cid, client=admin)
    check(refused.status_code == HTTPStatus.FORBIDDEN and isinstance(refused.parsed, ErrorBody), "no scope, 403")

    # Audit.
    audit = audit_list.sync(client=admin, connector_id=cid, limit=10)
    check(isinstance(audit, AuditPage), "audit page")
    actions = [e.action.value for e in audit.items]
    check("connector.credentials_read" in actions and "connector.created" in actions, f"audit: {actions}")
    secrets_changes = [e.changes.secrets for e in audit.items if not isinstance(e.changes.secrets, Unset)]
    check(any(s["application_password"].value == "changed" for s in secrets_changes), "the secret change is audited")

    # Replace it whole: the secrets it does not name are cleared.
    replaced = connectors_replace.sync(
        cid,
        client=admin,
        if_match='"2"',
        body=ReplaceConnector(
            name=f"Blog {suffix} 1",
            config=ReplaceConnectorConfig.from_dict({"site_url": "https://news.example.com", "username": "editor"}),
            tags=["replaced"],
            status=ConnectorStatus.INACTIVE,
        ),
    )
    check(isinstance(replaced, ConnectorView), "replaced")
    check(replaced.secrets["application_password"].set_ is False, "PUT clears the secrets it does not name")

    # A 422, read through the typed error.
    bad = connectors_create.sync_detailed(
        client=admin,
        body=CreateConnector(
            catalog_key="wordpress",
            name=f"Broken {suffix}",
            config=CreateConnectorConfigType0.from_dict({"site_url": "ftp://example.com"}),
        ),
    )
    check(bad.status_code == HTTPStatus.UNPROCESSABLE_ENTITY, "an invalid install is 422")
    check(isinstance(bad.parsed, ErrorBody) and bad.parsed.error == "validation_failed", "typed 422")
    check(not isinstance(bad.parsed.errors, Unset) and "config.site_url" in bad.parsed.errors, "names the field")

    # Delete; then it is gone.
    deleted = connectors_delete.sync_detailed(cid, client=admin)
    check(deleted.status_code == HTTPStatus.NO_CONTENT, "deleted")
    gone = connectors_get.sync_detailed(cid, client=admin)
    check(gone.status_code == HTTPStatus.NOT_FOUND and isinstance(gone.parsed, ErrorBody), "gone")
    check(gone.parsed.error == "not_found", "typed 404")

    print("Python client: every flow passed")


if __name__ == "__main__":
    try:
        main()
    except Exception as e:  # noqa: BLE001 - report any failure and exit non-zero
        print(f"{type(e).__name__}: {e}", file=sys.stderr)
        raise
