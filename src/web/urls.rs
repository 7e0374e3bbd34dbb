//! Every URL of the web UI, in one place: the routes are declared with
//! these, handlers redirect to them, and templates link to them through
//! [`Urls`] (or call the functions here by path), so a page path is
//! written once.
//!
//! A path with an id or key has two forms: the route template
//! (`…/forms/{id}/edit`), as the router takes it, and a function that
//! fills it in (`form_edit(id)`).

/// `/` leads to the catalog.
pub const ROOT: &str = "/";
/// The sign-in page and form.
pub const LOGIN: &str = "/login";
/// Signing out (POST).
pub const LOGOUT: &str = "/logout";
/// Switching the session to another of the user's tenants (POST).
pub const SWITCH_TENANT: &str = "/switch-tenant";
/// The Catalog tab.
pub const CATALOG: &str = "/features/connectors/catalog";
/// The Installed tab.
pub const INSTALLED: &str = "/features/connectors/installed";

/// The "Add" dialog of a catalog entry, and its post.
pub const FORM_NEW: &str = "/features/connectors/forms/new/{key}";
/// The "Configure" dialog of an installed connector, and its post.
pub const FORM_EDIT: &str = "/features/connectors/forms/{id}/edit";
/// "Test connection" in the "Add" dialog: the form's values, unsaved (POST).
pub const FORM_NEW_CHECK: &str = "/features/connectors/forms/new/{key}/check";
/// "Test connection" in the "Configure" dialog: the connector as the form
/// would leave it, unsaved (POST).
pub const FORM_EDIT_CHECK: &str = "/features/connectors/forms/{id}/edit/check";
/// Activating or deactivating an installed connector (POST).
pub const FORM_STATUS: &str = "/features/connectors/forms/{id}/status";
/// "Test connection" on an installed connector's card (POST).
pub const FORM_CHECK: &str = "/features/connectors/forms/{id}/check";
/// An installed connector, as the page deletes it (DELETE).
pub const FORM: &str = "/features/connectors/forms/{id}";

/// Fills the one `{name}` placeholder of a route template.
fn fill(template: &str, placeholder: &str, value: &str) -> String {
    template.replacen(placeholder, value, 1)
}

/// The "Add" dialog of the catalog entry `key`.
pub fn form_new(key: &str) -> String {
    fill(FORM_NEW, "{key}", key)
}

/// The "Configure" dialog of connector `id`.
pub fn form_edit(id: &str) -> String {
    fill(FORM_EDIT, "{id}", id)
}

/// Where the "Add" dialog of `key` tests its values.
pub fn form_new_check(key: &str) -> String {
    fill(FORM_NEW_CHECK, "{key}", key)
}

/// Where the "Configure" dialog of connector `id` tests its values.
pub fn form_edit_check(id: &str) -> String {
    fill(FORM_EDIT_CHECK, "{id}", id)
}

/// The status action of connector `id`.
pub fn form_status(id: &str) -> String {
    fill(FORM_STATUS, "{id}", id)
}

/// The card's connection check of connector `id`.
pub fn form_check(id: &str) -> String {
    fill(FORM_CHECK, "{id}", id)
}

/// Connector `id`, as the page deletes it.
pub fn form(id: &str) -> String {
    fill(FORM, "{id}", id)
}

/// The fixed URLs as templates see them: `{{ urls.catalog }}`.
#[derive(Clone, Copy)]
pub struct Urls {
    pub login: &'static str,
    pub logout: &'static str,
    pub switch_tenant: &'static str,
    pub catalog: &'static str,
    pub installed: &'static str,
}

/// The fixed URLs, for a template.
pub const URLS: Urls = Urls {
    login: LOGIN,
    logout: LOGOUT,
    switch_tenant: SWITCH_TENANT,
    catalog: CATALOG,
    installed: INSTALLED,
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_fill_their_route_templates() {
        assert_eq!(form_new("wp"), FORM_NEW.replace("{key}", "wp"));
        assert!(form_new("wp").ends_with("/new/wp"));
        assert!(form_edit("c1").ends_with("/forms/c1/edit"));
        assert!(form_status("c1").ends_with("/forms/c1/status"));
        assert!(form("c1").ends_with("/forms/c1"));
        assert!(form_check("c1").ends_with("/forms/c1/check"));
        for url in [
            form_check("c1"),
            form_new("wp"),
            form_edit("c1"),
            form_status("c1"),
            form("c1"),
        ] {
            assert!(!url.contains('{'), "{url}");
        }
    }
}
