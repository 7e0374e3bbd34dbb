//! Browser sign-in: password check with a throttle kept in the database (so
//! it holds across replicas), sessions stored in the database with idle and
//! absolute timeouts, and the CSRF token bound to each session (derived
//! from its id, never stored).

use super::{ServiceError, ServiceResult};
use crate::domain::identity::{self, Principal, Tenant, normalize_email, verify_password};
use crate::domain::secrets::KeyRing;
use crate::domain::time;
use crate::storage::{LoginLimit, LoginUser, SessionWrite, Store};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Duration, Utc};
use rand::RngCore;
use rand::rngs::OsRng;
use secrecy::{ExposeSecret, SecretString};
use std::net::{IpAddr, Ipv6Addr};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// A session ends after this long without a request…
pub const IDLE_TIMEOUT_MINUTES: i64 = 30;
/// …and this long after sign-in, whatever happens.
pub const ABSOLUTE_TIMEOUT_HOURS: i64 = 12;
/// Failed sign-ins counted over this window…
pub const THROTTLE_WINDOW_MINUTES: i64 = 15;
/// …at most this many per account…
pub const MAX_FAILURES_PER_ACCOUNT: i64 = 5;
/// …and this many per client address.
pub const MAX_FAILURES_PER_ADDRESS: i64 = 20;
/// At most this many password checks (argon2, about 19 MiB each) run at
/// once in a process…
pub const MAX_PASSWORD_CHECKS_AT_ONCE: usize = 4;
/// …at most this many more sign-ins wait for a turn…
pub const MAX_PASSWORD_CHECKS_WAITING: usize = 32;
/// …and none waits longer than this; past either bound a sign-in is
/// answered "busy" at once.
pub const PASSWORD_CHECK_MAX_WAIT_SECONDS: u64 = 5;
/// `last_seen_at` is written at most this often per session.
const TOUCH_EVERY_SECONDS: i64 = 60;

pub const COOKIE_NAME: &str = "connectors_session";
/// The purpose a session's CSRF token is made for (see [`KeyRing::mac`]).
const SESSION_CSRF: &str = "session-csrf";

/// The cookie of the sign-in form, before there is a session.
pub const LOGIN_COOKIE_NAME: &str = "connectors_login";
/// A sign-in form can be sent for this long after its cookie was made…
pub const LOGIN_FORM_MINUTES: i64 = 15;
/// …and a page shown when the cookie is older than this gets a new one,
/// so that no form is shown with only moments left.
const LOGIN_FORM_RENEW_MINUTES: i64 = 5;
/// The purpose the sign-in form's token is made for.
const LOGIN_CSRF: &str = "login-csrf";

/// Why a sign-in did not succeed. Unknown user and wrong password are the
/// same case on purpose.
#[derive(Debug, thiserror::Error)]
pub enum LoginError {
    #[error("invalid email or password")]
    Invalid,
    #[error("too many failed sign-ins; wait a few minutes and try again")]
    Throttled,
    /// Too many passwords are being checked at this moment.
    #[error("sign-in is busy; try again in a moment")]
    Busy,
    #[error(transparent)]
    Service(#[from] ServiceError),
}

impl From<crate::storage::StoreError> for LoginError {
    fn from(e: crate::storage::StoreError) -> Self {
        LoginError::Service(e.into())
    }
}

/// A session just created: the cookie value (shown once, to the browser).
pub struct NewSession {
    pub cookie_value: SecretString,
}

fn random_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    URL_SAFE_NO_PAD.encode(bytes)
}

/// A hash to verify against when the user does not exist, so both cases
/// cost the same.
fn dummy_hash() -> &'static str {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| {
        identity::hash_password(&SecretString::from("not a real password".to_string()))
            .unwrap_or_default()
    })
}

fn account_subject(email: &str) -> String {
    format!("account:{email}")
}

/// The throttle's key for a client address: an IPv4 address as it is, an
/// IPv6 address by its /64 (one client usually holds a whole /64), and an
/// IPv4-mapped IPv6 address as the IPv4 address it stands for.
fn address_subject(addr: &str) -> String {
    match addr.trim().parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) => format!("address:{v4}"),
        Ok(IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("address:{v4}"),
            None => {
                let prefix = u128::from(v6) & (u128::MAX << 64);
                format!("address:{}/64", Ipv6Addr::from(prefix))
            }
        },
        Err(_) => format!("address:{}", addr.trim()),
    }
}

/// The password checks of one serving process: at most
/// [`MAX_PASSWORD_CHECKS_AT_ONCE`] run at once and at most
/// [`MAX_PASSWORD_CHECKS_WAITING`] more wait, each for no longer than
/// [`PASSWORD_CHECK_MAX_WAIT_SECONDS`], so a burst of sign-ins holds a
/// bounded amount of memory.
pub struct PasswordChecks {
    running: Arc<Semaphore>,
    waiting: AtomicUsize,
}

impl Default for PasswordChecks {
    fn default() -> Self {
        PasswordChecks {
            running: Arc::new(Semaphore::new(MAX_PASSWORD_CHECKS_AT_ONCE)),
            waiting: AtomicUsize::new(0),
        }
    }
}

impl PasswordChecks {
    /// Waits for a turn to run one check, within the bounds; `None` when
    /// too many are running and waiting. The turn ends when the permit is
    /// dropped.
    async fn turn(&self) -> Option<OwnedSemaphorePermit> {
        if let Ok(permit) = self.running.clone().try_acquire_owned() {
            return Some(permit);
        }
        /// Counts a waiter for as long as it waits, even if the sign-in
        /// is abandoned meanwhile.
        struct Waiting<'a>(&'a AtomicUsize);
        impl Drop for Waiting<'_> {
            fn drop(&mut self) {
                self.0.fetch_sub(1, Ordering::SeqCst);
            }
        }
        let waiting = Waiting(&self.waiting);
        if self.waiting.fetch_add(1, Ordering::SeqCst) >= MAX_PASSWORD_CHECKS_WAITING {
            return None;
        }
        let turn = tokio::time::timeout(
            std::time::Duration::from_secs(PASSWORD_CHECK_MAX_WAIT_SECONDS),
            self.running.clone().acquire_owned(),
        )
        .await;
        drop(waiting);
        turn.ok().and_then(Result::ok)
    }
}

/// Checks `password` against the user's hash (or, for no email, an unknown
/// user or one without a password, against a dummy hash, so every case
/// costs the same). `Ok(Some(user))` when it matches.
async fn check_password(
    store: &dyn Store,
    checks: &PasswordChecks,
    email: Option<&str>,
    password: &SecretString,
) -> Result<Option<LoginUser>, LoginError> {
    let user = match email {
        Some(email) => store.login_user(email).await?,
        None => None,
    };
    let Some(turn) = checks.turn().await else {
        return Err(LoginError::Busy);
    };
    let pw = password.clone();
    let hash = user.as_ref().and_then(|u| u.password_hash.clone());
    // argon2 is deliberately slow: keep it off the async threads. The turn
    // is held until the check ends, even if the sign-in is abandoned.
    let ok = tokio::task::spawn_blocking(move || {
        let _turn = turn;
        verify_password(&pw, hash.as_deref().unwrap_or_else(|| dummy_hash()))
    })
    .await
    .unwrap_or(false);
    Ok(user.filter(|u| ok && u.password_hash.is_some()))
}

/// Checks the password and opens a session in the user's first tenant (by
/// slug); [`switch_tenant`] moves it to another of theirs.
///
/// The attempt is counted against the account and the client address
/// before the password is checked, so a burst of parallel sign-ins sees
/// its own attempts; a successful sign-in then forgets its attempt and the
/// account's earlier failures.
pub async fn login(
    store: &dyn Store,
    checks: &PasswordChecks,
    email: &str,
    password: &SecretString,
    client_addr: &str,
) -> Result<NewSession, LoginError> {
    // Something that is not an email address names no account: it is
    // checked (against the dummy hash) and counted like an unknown user,
    // against the address only.
    let email = normalize_email(email).ok();
    let now = time::now();
    let since = now - Duration::minutes(THROTTLE_WINDOW_MINUTES);
    let account = email.as_deref().map(account_subject);
    let mut limits = vec![LoginLimit {
        subject: address_subject(client_addr),
        max: MAX_FAILURES_PER_ADDRESS,
    }];
    if let Some(account) = &account {
        limits.push(LoginLimit {
            subject: account.clone(),
            max: MAX_FAILURES_PER_ACCOUNT,
        });
    }
    let Some(attempt) = store.login_attempt_reserve(&limits, since, now).await? else {
        return Err(LoginError::Throttled);
    };
    let user = match check_password(store, checks, email.as_deref(), password).await {
        Ok(Some(user)) => user,
        // The attempt stays counted as a failure.
        Ok(None) => return Err(LoginError::Invalid),
        Err(LoginError::Busy) => {
            // Never checked: not a failure.
            store.login_attempt_release(&attempt).await?;
            return Err(LoginError::Busy);
        }
        Err(e) => return Err(e),
    };
    let tenants = store.user_tenants(&user.user.id).await?;
    let Some((tenant, _)) = tenants.first() else {
        return Err(LoginError::Invalid);
    };
    store.login_attempt_release(&attempt).await?;
    if let Some(account) = &account {
        store.login_failure_clear(account, since).await?;
    }
    let value = random_token();
    store
        .session_insert(&SessionWrite {
            id_hash: identity::hash_token(&value),
            user_id: user.user.id,
            tenant_id: tenant.id.clone(),
            now,
            expires_at: now + Duration::hours(ABSOLUTE_TIMEOUT_HOURS),
        })
        .await?;
    Ok(NewSession {
        cookie_value: SecretString::from(value),
    })
}

/// The principal of a live session cookie.
pub async fn authenticate(
    store: &dyn Store,
    cookie_value: &str,
) -> ServiceResult<Option<Principal>> {
    if cookie_value.is_empty() || cookie_value.len() > 100 {
        return Ok(None);
    }
    let id_hash = identity::hash_token(cookie_value);
    let now = time::now();
    let idle_cutoff = now - Duration::minutes(IDLE_TIMEOUT_MINUTES);
    let Some(row) = store.session_get(&id_hash, now, idle_cutoff).await? else {
        return Ok(None);
    };
    if now - row.last_seen_at > Duration::seconds(TOUCH_EVERY_SECONDS) {
        store.session_touch(&id_hash, now).await?;
    }
    Ok(Some(row.principal))
}

/// The CSRF token of a session: an HMAC of its cookie value under the key
/// ring's primary key. It is the same on every replica and never stored.
pub fn session_csrf_token(keys: &KeyRing, cookie_value: &str) -> String {
    URL_SAFE_NO_PAD.encode(keys.mac(SESSION_CSRF, cookie_value.as_bytes()))
}

/// Whether `given` is the CSRF token of the session with this cookie
/// value, under any key of the ring.
pub fn session_csrf_matches(keys: &KeyRing, cookie_value: &str, given: &str) -> bool {
    mac_matches(keys, SESSION_CSRF, cookie_value, given)
}

/// The sign-in form's pre-session: a random value with the time it was
/// made, kept in a short-lived cookie, and the form's CSRF token, an HMAC
/// of that value. A forged form cannot carry the token of the cookie in
/// the victim's browser, whether or not its client sends `Origin`.
pub struct LoginForm {
    pub cookie_value: String,
    pub token: String,
    /// Whether the cookie is new and must be set.
    pub new_cookie: bool,
}

/// When a sign-in form cookie was made, if it is well formed.
fn login_cookie_made(value: &str) -> Option<DateTime<Utc>> {
    if value.len() > 100 {
        return None;
    }
    let (secs, random) = value.split_once('.')?;
    if random.len() < 32 {
        return None;
    }
    DateTime::from_timestamp(secs.parse().ok()?, 0)
}

/// The form to show: the current cookie's, while it is young enough, or a
/// new one.
pub fn login_form(keys: &KeyRing, cookie_value: Option<&str>) -> LoginForm {
    let now = time::now();
    let reusable = cookie_value.filter(|v| {
        login_cookie_made(v).is_some_and(|made| {
            made <= now + Duration::minutes(1)
                && now - made < Duration::minutes(LOGIN_FORM_RENEW_MINUTES)
        })
    });
    let (cookie_value, new_cookie) = match reusable {
        Some(v) => (v.to_string(), false),
        None => (format!("{}.{}", now.timestamp(), random_token()), true),
    };
    LoginForm {
        token: URL_SAFE_NO_PAD.encode(keys.mac(LOGIN_CSRF, cookie_value.as_bytes())),
        cookie_value,
        new_cookie,
    }
}

/// Whether a posted sign-in form carries the token of the form cookie
/// sent with it, and that cookie has not expired.
pub fn login_form_matches(keys: &KeyRing, cookie_value: Option<&str>, given: &str) -> bool {
    let Some(cookie_value) = cookie_value else {
        return false;
    };
    let now = time::now();
    let fresh = login_cookie_made(cookie_value).is_some_and(|made| {
        made <= now + Duration::minutes(1) && now - made < Duration::minutes(LOGIN_FORM_MINUTES)
    });
    fresh && mac_matches(keys, LOGIN_CSRF, cookie_value, given)
}

/// Whether `given` is the base64 of the MAC of `message` for `purpose`.
fn mac_matches(keys: &KeyRing, purpose: &str, message: &str, given: &str) -> bool {
    if given.is_empty() || given.len() > 100 {
        return false;
    }
    match URL_SAFE_NO_PAD.decode(given) {
        Ok(tag) => keys.mac_matches(purpose, message.as_bytes(), &tag),
        Err(_) => false,
    }
}

pub async fn logout(store: &dyn Store, cookie_value: &SecretString) -> ServiceResult<()> {
    store
        .session_delete(&identity::hash_token(cookie_value.expose_secret()))
        .await?;
    Ok(())
}

/// The tenants the signed-in user can switch between.
pub async fn tenants(store: &dyn Store, principal: &Principal) -> ServiceResult<Vec<Tenant>> {
    Ok(store
        .user_tenants(&principal.user_id)
        .await?
        .into_iter()
        .map(|(t, _)| t)
        .collect())
}

/// Moves the session to another of the user's tenants.
pub async fn switch_tenant(
    store: &dyn Store,
    principal: &Principal,
    cookie_value: &str,
    tenant_slug: &str,
) -> ServiceResult<()> {
    let target = store
        .user_tenants(&principal.user_id)
        .await?
        .into_iter()
        .find(|(t, _)| t.slug == tenant_slug)
        .ok_or_else(|| ServiceError::NotFound("you are not a member of that tenant".into()))?;
    store
        .session_set_tenant(&identity::hash_token(cookie_value), &target.0.id)
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::address_subject;

    #[test]
    fn addresses_are_throttled_by_ipv4_address_and_ipv6_prefix() {
        assert_eq!(address_subject("192.0.2.7"), "address:192.0.2.7");
        assert_ne!(address_subject("192.0.2.7"), address_subject("192.0.2.8"));
        // One /64 is one client…
        assert_eq!(
            address_subject("2001:db8:1:2::1"),
            address_subject("2001:db8:1:2:ffff:ffff:ffff:ffff")
        );
        assert_eq!(
            address_subject("2001:db8:1:2::1"),
            "address:2001:db8:1:2::/64"
        );
        // …and the next /64 another.
        assert_ne!(
            address_subject("2001:db8:1:2::1"),
            address_subject("2001:db8:1:3::1")
        );
        // An IPv4 client reached over IPv6 is that IPv4 client.
        assert_eq!(
            address_subject("::ffff:192.0.2.7"),
            address_subject("192.0.2.7")
        );
        assert_eq!(address_subject("::1"), "address:::/64");
    }
}
