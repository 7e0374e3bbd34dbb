-- Change notifications: every statement that changes what a bearer token
-- resolves to (tokens, users, memberships, tenants) or the catalog sends a
-- notification on channel connectors_changes, delivered when it commits.
-- Serving replicas listen and drop what they remembered of that kind.
-- Inserts into the identity tables change no existing token's answer (a
-- token that did not resolve is never remembered), so they do not notify.

CREATE FUNCTION connectors_notify_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('connectors_changes', TG_ARGV[0]);
    RETURN NULL;
END;
$$;

CREATE TRIGGER api_tokens_changed AFTER UPDATE OR DELETE OR TRUNCATE ON api_tokens
    FOR EACH STATEMENT EXECUTE FUNCTION connectors_notify_change('auth');
CREATE TRIGGER users_changed AFTER UPDATE OR DELETE OR TRUNCATE ON users
    FOR EACH STATEMENT EXECUTE FUNCTION connectors_notify_change('auth');
CREATE TRIGGER memberships_changed AFTER UPDATE OR DELETE OR TRUNCATE ON memberships
    FOR EACH STATEMENT EXECUTE FUNCTION connectors_notify_change('auth');
CREATE TRIGGER tenants_changed AFTER UPDATE OR DELETE OR TRUNCATE ON tenants
    FOR EACH STATEMENT EXECUTE FUNCTION connectors_notify_change('auth');
CREATE TRIGGER connector_catalog_changed AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON connector_catalog
    FOR EACH STATEMENT EXECUTE FUNCTION connectors_notify_change('catalog');
