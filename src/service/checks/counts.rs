//! How many checks ran, by catalog key and code, for `/metrics`. Both
//! labels are bounded: catalog keys come from the operator's catalog and
//! codes from [`CheckCode`].

use crate::domain::check::CheckCode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;

#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct CheckLabels {
    pub catalog_key: String,
    pub code: &'static str,
}

/// The checks counter, shared by every clone.
#[derive(Debug, Clone, Default)]
pub struct CheckCounts(Family<CheckLabels, Counter>);

impl CheckCounts {
    pub fn count(&self, catalog_key: &str, code: CheckCode) {
        self.0
            .get_or_create(&CheckLabels {
                catalog_key: catalog_key.to_string(),
                code: code.as_str(),
            })
            .inc();
    }

    pub fn family(&self) -> Family<CheckLabels, Counter> {
        self.0.clone()
    }
}
