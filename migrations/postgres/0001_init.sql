-- Initial schema: identity, catalog, installed connectors, audit, key checks.
-- JSON documents are JSONB; the catalog keeps its manifest as text too,
-- because JSONB does not keep the key order that forms are rendered in.

CREATE TABLE tenants (
    id          VARCHAR(36)  PRIMARY KEY,
    slug        VARCHAR(63)  NOT NULL UNIQUE,
    name        VARCHAR(255) NOT NULL,
    created_at  TIMESTAMPTZ  NOT NULL DEFAULT NOW()
);

CREATE TABLE users (
    id            VARCHAR(36)  PRIMARY KEY,
    email         VARCHAR(320) NOT NULL UNIQUE,
    display_name  VARCHAR(255) NOT NULL,
    password_hash TEXT,
    created_at    TIMESTAMPTZ  NOT NULL DEFAULT NOW()
);

CREATE TABLE memberships (
    tenant_id   VARCHAR(36) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id     VARCHAR(36) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    role        VARCHAR(20) NOT NULL CHECK (role IN ('owner', 'admin', 'member')),
    created_at  TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    PRIMARY KEY (tenant_id, user_id)
);
CREATE INDEX ix_memberships_user_id ON memberships (user_id);

CREATE TABLE api_tokens (
    id           VARCHAR(36)  PRIMARY KEY,
    tenant_id    VARCHAR(36)  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    user_id      VARCHAR(36)  NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    name         VARCHAR(255) NOT NULL,
    token_hash   VARCHAR(64)  NOT NULL UNIQUE,
    scopes       JSONB        NOT NULL DEFAULT '[]',
    created_at   TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX ix_api_tokens_tenant_id ON api_tokens (tenant_id);

CREATE TABLE sessions (
    id_hash       VARCHAR(64) PRIMARY KEY,
    user_id       VARCHAR(36) NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    tenant_id     VARCHAR(36) NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    csrf_token    VARCHAR(64) NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    last_seen_at  TIMESTAMPTZ NOT NULL,
    expires_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX ix_sessions_user_id ON sessions (user_id);

CREATE TABLE login_failures (
    id          BIGSERIAL    PRIMARY KEY,
    subject     VARCHAR(400) NOT NULL,
    failed_at   TIMESTAMPTZ  NOT NULL
);
CREATE INDEX ix_login_failures_subject ON login_failures (subject, failed_at);

CREATE TABLE connector_catalog (
    id                    VARCHAR(36)  PRIMARY KEY,
    key                   VARCHAR(100) NOT NULL UNIQUE,
    name                  VARCHAR(255) NOT NULL,
    description           TEXT,
    category              VARCHAR(50)  NOT NULL,
    icon                  VARCHAR(100),
    auth_type             VARCHAR(20)  NOT NULL CHECK (auth_type IN ('oauth', 'api_key', 'basic', 'none')),
    capabilities          JSONB        NOT NULL DEFAULT '{}',
    default_config_schema JSONB        NOT NULL DEFAULT '{}',
    auth_schema           JSONB        NOT NULL DEFAULT '{}',
    document              TEXT         NOT NULL,
    created_at            TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at            TIMESTAMPTZ  NOT NULL DEFAULT NOW()
);

CREATE TABLE connectors (
    id              VARCHAR(36)  PRIMARY KEY,
    tenant_id       VARCHAR(64)  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    catalog_id      VARCHAR(36)  NOT NULL REFERENCES connector_catalog(id),
    name            VARCHAR(255) NOT NULL,
    status          VARCHAR(20)  NOT NULL DEFAULT 'inactive' CHECK (status IN ('inactive', 'active', 'error')),
    status_message  TEXT,
    config          JSONB        NOT NULL DEFAULT '{}',
    auth            JSONB        NOT NULL DEFAULT '{}',
    tags            JSONB        NOT NULL DEFAULT '[]',
    version         BIGINT       NOT NULL DEFAULT 1,
    created_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    updated_at      TIMESTAMPTZ  NOT NULL DEFAULT NOW(),
    created_by      VARCHAR(36),
    updated_by      VARCHAR(36),
    created_by_name VARCHAR(255),
    updated_by_name VARCHAR(255),
    CONSTRAINT uq_connectors_name_tenant UNIQUE (name, tenant_id)
);
-- (tenant_id, id): every tenant-scoped list is a range scan in id order.
CREATE INDEX ix_connectors_tenant_id ON connectors (tenant_id, id);
CREATE INDEX ix_connectors_catalog_id ON connectors (catalog_id);

CREATE TABLE audit_events (
    id            VARCHAR(36)  PRIMARY KEY,
    tenant_id     VARCHAR(36)  NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
    connector_id  VARCHAR(36),
    actor_id      VARCHAR(36),
    actor_name    VARCHAR(255),
    action        VARCHAR(40)  NOT NULL,
    changes       JSONB        NOT NULL DEFAULT '{}',
    created_at    TIMESTAMPTZ  NOT NULL DEFAULT NOW()
);
CREATE INDEX ix_audit_events_tenant ON audit_events (tenant_id, id);
CREATE INDEX ix_audit_events_connector ON audit_events (tenant_id, connector_id, id);

CREATE TABLE key_checks (
    key_id       VARCHAR(64) PRIMARY KEY,
    check_value  TEXT        NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL DEFAULT NOW()
);
