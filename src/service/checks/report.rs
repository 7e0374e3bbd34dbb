//! What a check answers through the API (`check` of a check's answer) and
//! what the connector keeps of it (`last_check`), both from a
//! [`CheckOutcome`] that has already been filtered of every secret.

use super::CheckOutcome;
use crate::domain::check::CheckCode;
use serde::{Deserialize, Serialize};

/// The live result of one check.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CheckReport {
    /// The provider accepted the values (`code` is `ok`)
    pub ok: bool,
    /// ok, unreachable, timeout, tls, auth_rejected, forbidden, not_found,
    /// rate_limited, unexpected_response, blocked_address or no_check
    pub code: CheckCode,
    /// What happened, for people; never holds a secret or a part of one
    pub message: String,
    /// The account the credentials belong to, as the provider names it
    #[schema(required = true)]
    pub identity: Option<String>,
    /// Things that work but look wrong (another account than configured)
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    pub duration_ms: u64,
    #[schema(format = DateTime)]
    pub checked_at: String,
}

impl From<&CheckOutcome> for CheckReport {
    fn from(o: &CheckOutcome) -> Self {
        CheckReport {
            ok: o.ok,
            code: o.code,
            message: o.message.clone(),
            identity: o.identity.clone(),
            warnings: o.warnings.clone(),
            duration_ms: o.duration_ms,
            checked_at: crate::domain::time::format(&o.checked_at),
        }
    }
}

/// The last check of a stored connector, as the resource shows it.
#[derive(Debug, Clone, Serialize, Deserialize, utoipa::ToSchema)]
pub struct LastCheck {
    pub ok: bool,
    pub code: CheckCode,
    pub message: String,
    #[schema(required = true)]
    pub identity: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    #[schema(format = DateTime)]
    pub checked_at: String,
}

impl From<&CheckOutcome> for LastCheck {
    fn from(o: &CheckOutcome) -> Self {
        LastCheck {
            ok: o.ok,
            code: o.code,
            message: o.message.clone(),
            identity: o.identity.clone(),
            warnings: o.warnings.clone(),
            checked_at: crate::domain::time::format(&o.checked_at),
        }
    }
}
