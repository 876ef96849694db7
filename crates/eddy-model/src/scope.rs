//! Resource scope: every resource lives in one (account, region), as in AWS. The region comes from the
//! request's SigV4 credential scope, the account from the access key.

use std::fmt;
use std::sync::Arc;

pub const DEFAULT_ACCOUNT: &str = "000000000000";
pub const DEFAULT_REGION: &str = "us-east-1";

#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Scope {
    pub account: Arc<str>,
    pub region: Arc<str>,
}

impl Scope {
    pub fn new(account: &str, region: &str) -> Scope {
        Scope {
            account: account.into(),
            region: region.into(),
        }
    }

    /// `arn:aws:dynamodb:<region>:<account>:table/<name>`
    pub fn table_arn(&self, table: &str) -> String {
        format!(
            "arn:aws:dynamodb:{}:{}:table/{}",
            self.region, self.account, table
        )
    }

    /// `arn:aws:dynamodb:<region>:<account>:table/<name>/stream/<label>`
    pub fn stream_arn(&self, table: &str, label: &str) -> String {
        format!(
            "arn:aws:dynamodb:{}:{}:table/{}/stream/{}",
            self.region, self.account, table, label
        )
    }

    /// `arn:aws:dynamodb:<region>:<account>:table/<name>/index/<index>`
    pub fn index_arn(&self, table: &str, index: &str) -> String {
        format!(
            "arn:aws:dynamodb:{}:{}:table/{}/index/{}",
            self.region, self.account, table, index
        )
    }
}

impl Default for Scope {
    fn default() -> Scope {
        Scope::new(DEFAULT_ACCOUNT, DEFAULT_REGION)
    }
}

impl fmt::Debug for Scope {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.account, self.region)
    }
}
