//! A connector's status and the changes between statuses that a client may
//! ask for. The store keeps the status as its text (`as_str`); the
//! database allows only these three.

use std::fmt;

/// Where a connector stands: new connectors are inactive; active ones are
/// offered as publish targets; error carries a message saying why.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConnectorStatus {
    Inactive,
    Active,
    Error,
}

impl ConnectorStatus {
    pub const ALL: [ConnectorStatus; 3] = [
        ConnectorStatus::Inactive,
        ConnectorStatus::Active,
        ConnectorStatus::Error,
    ];

    /// What a client reads when a status is not one of these.
    pub const EXPECTED: &'static str = "must be one of: inactive, active, error";

    pub fn as_str(self) -> &'static str {
        match self {
            ConnectorStatus::Inactive => "inactive",
            ConnectorStatus::Active => "active",
            ConnectorStatus::Error => "error",
        }
    }

    pub fn parse(text: &str) -> Option<ConnectorStatus> {
        Self::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Whether a client may move a connector from `self` to `to`:
    /// inactive ↔ active, any → error, error → inactive. Staying in the
    /// same status is not a change.
    pub fn can_become(self, to: ConnectorStatus) -> bool {
        use ConnectorStatus::*;
        self == to
            || matches!(
                (self, to),
                (Inactive, Active) | (Active, Inactive) | (_, Error) | (Error, Inactive)
            )
    }
}

impl fmt::Display for ConnectorStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::ConnectorStatus::{self, *};

    #[test]
    fn transitions() {
        assert!(Inactive.can_become(Active));
        assert!(Active.can_become(Inactive));
        assert!(Active.can_become(Error));
        assert!(Inactive.can_become(Error));
        assert!(Error.can_become(Inactive));
        assert!(!Error.can_become(Active));
        assert!(Active.can_become(Active));
    }

    #[test]
    fn text_round_trips() {
        for s in ConnectorStatus::ALL {
            assert_eq!(ConnectorStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(ConnectorStatus::parse("paused"), None);
        assert_eq!(ConnectorStatus::parse("Active"), None);
    }
}
