//! What a function is, as persisted: one [`FunctionRecord`] per function holds `$LATEST`, every published
//! version (immutable snapshots of the configuration and code), the aliases, reserved concurrency and tags.
//! Records are JSON documents in the store (`lambda-fn/<account>/<region>/<name>`), rewritten whole on every
//! change, so a function and its versions always change atomically. This module also renders the API shapes
//! (`FunctionConfiguration`, `AliasConfiguration`) and parses the many ways a function can be named.

use std::collections::BTreeMap;

use eddy_model::Scope;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::LambdaError;

pub const LATEST: &str = "$LATEST";

#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct FunctionRecord {
    pub name: String,
    pub latest: VersionRecord,
    #[serde(default)]
    pub versions: Vec<VersionRecord>,
    /// The number the next published version gets (versions are never renumbered, even after deletion).
    pub next_version: u64,
    #[serde(default)]
    pub aliases: BTreeMap<String, AliasRecord>,
    #[serde(default)]
    pub reserved_concurrency: Option<u32>,
    #[serde(default)]
    pub tags: BTreeMap<String, String>,
    /// Resource-based policies by qualifier (`""` for the function itself, a version or an alias name).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub policies: BTreeMap<String, Vec<crate::permissions::PermissionStatement>>,
    /// Asynchronous invocation settings by qualifier (`$LATEST`, a version or an alias name).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub event_invoke_configs: BTreeMap<String, crate::event_config::EventInvokeConfig>,
    /// `PutFunctionRecursionConfig`: whether a loop of invocations may go on (`Allow`); `None` is AWS's default,
    /// `Terminate`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recursive_loop: Option<String>,
    /// UpdateFunctionCode ran since the last published version: the next PublishVersion makes a new version even
    /// when the code is the same bytes (moto's AWS-verified tests).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub code_updated_since_publish: bool,
}

/// One version's configuration and code (for `$LATEST`, the current one).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct VersionRecord {
    pub version: String,
    pub runtime: String,
    pub handler: String,
    pub role: String,
    #[serde(default)]
    pub description: String,
    pub timeout: u32,
    pub memory_size: u32,
    /// `None` when the function never had an `Environment` (AWS then omits the member).
    #[serde(default)]
    pub environment: Option<BTreeMap<String, String>>,
    pub architectures: Vec<String>,
    /// base64 of the SHA-256 of the zip (AWS's `CodeSha256`).
    pub code_sha256: String,
    /// Hex of the same digest: names the stored zip and its unpacked directory.
    pub code_id: String,
    pub code_size: u64,
    pub last_modified_ms: i64,
    pub revision_id: String,
    #[serde(default = "default_ephemeral")]
    pub ephemeral_storage: u32,
    #[serde(default = "default_tracing")]
    pub tracing_mode: String,
    #[serde(default = "default_log_format")]
    pub log_format: String,
    #[serde(default)]
    pub log_group: Option<String>,
    #[serde(default)]
    pub application_log_level: Option<String>,
    #[serde(default)]
    pub system_log_level: Option<String>,
    /// The `RevisionId` of the last change to code or configuration, when later changes (tags, publishing)
    /// moved `revision_id` on without touching either: warm execution environments are keyed by it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub environment_revision: Option<String>,
    /// For a published version: the description `$LATEST` had when it was published (PublishVersion may give
    /// the version another), so a later change of `$LATEST`'s description counts as a change.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_description: Option<String>,
    /// `DeadLetterConfig.TargetArn`: where a failed asynchronous event goes (an SQS queue or SNS topic).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dead_letter_target: Option<String>,
}

fn default_ephemeral() -> u32 {
    512
}
fn default_tracing() -> String {
    "PassThrough".into()
}
fn default_log_format() -> String {
    "Text".into()
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct AliasRecord {
    pub name: String,
    pub function_version: String,
    #[serde(default)]
    pub description: String,
    pub revision_id: String,
    /// `AdditionalVersionWeights`: version → weight (0..1) of traffic sent to it instead of `function_version`.
    #[serde(default)]
    pub weights: BTreeMap<String, f64>,
}

impl VersionRecord {
    /// What warm execution environments of this version are keyed by: it changes with code or configuration.
    pub fn environment_key(&self) -> &str {
        self.environment_revision
            .as_deref()
            .unwrap_or(&self.revision_id)
    }

    /// A new `RevisionId` for a change that leaves code and configuration as they are (tags, publishing).
    pub fn bump_revision_only(&mut self, revision: String) {
        if self.environment_revision.is_none() {
            self.environment_revision = Some(std::mem::replace(&mut self.revision_id, revision));
        } else {
            self.revision_id = revision;
        }
    }

    /// A new `RevisionId` for a change of code or configuration.
    pub fn bump_revision(&mut self, revision: String) {
        self.revision_id = revision;
        self.environment_revision = None;
    }

    pub fn log_group(&self, function: &str) -> String {
        self.log_group
            .clone()
            .unwrap_or_else(|| format!("/aws/lambda/{function}"))
    }

    /// `FunctionConfiguration` as the API returns it. `arn_qualifier` (the version or alias the caller named)
    /// is appended to `FunctionArn`; without one, a published version carries its number.
    pub fn configuration(
        &self,
        scope: &Scope,
        function: &str,
        arn_qualifier: Option<&str>,
    ) -> Value {
        let qualifier = arn_qualifier.or((self.version != LATEST).then_some(self.version.as_str()));
        let mut out = json!({
            "FunctionName": function,
            "FunctionArn": function_arn(scope, function, qualifier),
            "Runtime": self.runtime,
            "Role": self.role,
            "Handler": self.handler,
            "CodeSize": self.code_size,
            "Description": self.description,
            "Timeout": self.timeout,
            "MemorySize": self.memory_size,
            "LastModified": last_modified(self.last_modified_ms),
            "CodeSha256": self.code_sha256,
            "Version": self.version,
            "TracingConfig": {"Mode": self.tracing_mode},
            "RevisionId": self.revision_id,
            "State": "Active",
            "LastUpdateStatus": "Successful",
            "PackageType": "Zip",
            "Architectures": self.architectures,
            "EphemeralStorage": {"Size": self.ephemeral_storage},
            "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "RuntimeVersionConfig": {
                "RuntimeVersionArn": format!("arn:aws:lambda:{}::runtime:eddy-native-{}", scope.region, self.runtime)
            },
        });
        let mut logging =
            json!({"LogFormat": self.log_format, "LogGroup": self.log_group(function)});
        if let Some(level) = &self.application_log_level {
            logging["ApplicationLogLevel"] = json!(level);
        }
        if let Some(level) = &self.system_log_level {
            logging["SystemLogLevel"] = json!(level);
        }
        out["LoggingConfig"] = logging;
        if let Some(vars) = &self.environment {
            out["Environment"] = json!({ "Variables": vars });
        }
        if let Some(target) = &self.dead_letter_target {
            out["DeadLetterConfig"] = json!({ "TargetArn": target });
        }
        out
    }
}

impl AliasRecord {
    pub fn configuration(&self, scope: &Scope, function: &str) -> Value {
        let mut out = json!({
            "AliasArn": function_arn(scope, function, Some(&self.name)),
            "Name": self.name,
            "FunctionVersion": self.function_version,
            "Description": self.description,
            "RevisionId": self.revision_id,
        });
        if !self.weights.is_empty() {
            out["RoutingConfig"] = json!({ "AdditionalVersionWeights": self.weights });
        }
        out
    }
}

impl FunctionRecord {
    pub fn version(&self, version: &str) -> Option<&VersionRecord> {
        if version == LATEST {
            Some(&self.latest)
        } else {
            self.versions.iter().find(|v| v.version == version)
        }
    }

    /// Code packages referenced by any version.
    pub fn code_ids(&self) -> Vec<String> {
        let mut ids: Vec<String> = std::iter::once(&self.latest)
            .chain(self.versions.iter())
            .map(|v| v.code_id.clone())
            .collect();
        ids.sort();
        ids.dedup();
        ids
    }
}

pub fn function_arn(scope: &Scope, function: &str, qualifier: Option<&str>) -> String {
    match qualifier {
        Some(q) => format!(
            "arn:aws:lambda:{}:{}:function:{function}:{q}",
            scope.region, scope.account
        ),
        None => format!(
            "arn:aws:lambda:{}:{}:function:{function}",
            scope.region, scope.account
        ),
    }
}

/// `2024-01-01T00:00:00.000+0000`, Lambda's `LastModified` format.
pub fn last_modified(epoch_ms: i64) -> String {
    let iso = eddy_model::time::iso8601(epoch_ms);
    format!("{}+0000", iso.trim_end_matches('Z'))
}

/// A function reference as the API accepts it: a name, a full ARN or a partial ARN (`<account>:function:<name>`),
/// each optionally followed by `:<qualifier>`.
#[derive(Debug, PartialEq, Eq)]
pub struct FunctionRef {
    pub name: String,
    pub qualifier: Option<String>,
    /// The account named in an ARN, if any.
    pub account: Option<String>,
    /// The region named in a full ARN, if any.
    pub region: Option<String>,
}

impl FunctionRef {
    pub fn parse(text: &str) -> Result<FunctionRef, LambdaError> {
        let parts: Vec<&str> = text.split(':').collect();
        let invalid = || {
            LambdaError::InvalidParameterValue(format!(
                "1 validation error detected: Value '{text}' at 'functionName' failed to satisfy constraint: Member must satisfy regular expression pattern: (arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{{2}}((-gov)|(-iso([a-z]?)))?-[a-z]+-\\d{{1}}:)?(\\d{{12}}:)?(function:)?([a-zA-Z0-9-_]+)(:(\\$LATEST|[a-zA-Z0-9-_]+))?"
            ))
        };
        let (account, region, rest): (Option<&str>, Option<&str>, &[&str]) = match parts.as_slice()
        {
            [
                "arn",
                _partition,
                "lambda",
                region,
                account,
                "function",
                rest @ ..,
            ] => (Some(account), Some(region), rest),
            [account, "function", rest @ ..]
                if account.len() == 12 && account.bytes().all(|b| b.is_ascii_digit()) =>
            {
                (Some(account), None, rest)
            }
            ["arn", ..] => return Err(invalid()),
            rest => (None, None, rest),
        };
        let (name, qualifier) = match rest {
            [name] => (*name, None),
            [name, qualifier] => (*name, Some(*qualifier)),
            _ => return Err(invalid()),
        };
        let name_ok = !name.is_empty()
            && name
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        let qualifier_ok = qualifier.is_none_or(|q| {
            !q.is_empty()
                && (q == LATEST
                    || q.bytes()
                        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
        });
        if !name_ok || !qualifier_ok {
            return Err(invalid());
        }
        Ok(FunctionRef {
            name: name.to_string(),
            qualifier: qualifier.map(str::to_string),
            account: account.map(str::to_string),
            region: region.map(str::to_string),
        })
    }

    /// Parses `text` as a function of `scope`: an ARN naming another region is not reachable from here (404,
    /// AWS's text), one naming another account is refused (403).
    pub fn parse_in(scope: &Scope, text: &str) -> Result<FunctionRef, LambdaError> {
        let r = FunctionRef::parse(text)?;
        if let Some(region) = r.region.as_deref()
            && region != &*scope.region
        {
            return Err(LambdaError::ResourceNotFound(format!(
                "Functions from '{region}' are not reachable in this region ('{}')",
                scope.region
            )));
        }
        if let Some(account) = r.account.as_deref()
            && account != &*scope.account
        {
            return Err(LambdaError::AccessDenied(format!(
                "Function {text} belongs to account {account}: account {} has no access to it (eddy does not \
                 evaluate resource-based policies)",
                scope.account
            )));
        }
        Ok(r)
    }

    /// Combines a qualifier carried by the name with a separate `Qualifier` parameter (they must agree).
    pub fn with_qualifier(mut self, qualifier: Option<&str>) -> Result<FunctionRef, LambdaError> {
        match (&self.qualifier, qualifier) {
            (Some(a), Some(b)) if a != b => Err(LambdaError::InvalidParameterValue(
                "The derived qualifier from the function name does not match the specified qualifier."
                    .into(),
            )),
            (None, Some(b)) => {
                self.qualifier = Some(b.to_string());
                Ok(self)
            }
            _ => Ok(self),
        }
    }

    /// Names longer than 64 characters are refused (the model only limits the whole ARN).
    pub fn check_name_length(&self) -> Result<(), LambdaError> {
        if self.name.len() > 64 {
            // AWS's validation text, under InvalidParameterValueException (AWS-recorded).
            return Err(LambdaError::InvalidParameterValue(format!(
                "1 validation error detected: Value '{}' at 'functionName' failed to satisfy constraint: Member must have length less than or equal to 64",
                self.name
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn function_references_take_every_form() {
        let r = FunctionRef::parse("my-fn").unwrap();
        assert_eq!((r.name.as_str(), r.qualifier), ("my-fn", None));
        let r = FunctionRef::parse("my-fn:live").unwrap();
        assert_eq!(r.qualifier.as_deref(), Some("live"));
        let r =
            FunctionRef::parse("arn:aws:lambda:us-east-1:123456789012:function:f:$LATEST").unwrap();
        assert_eq!(
            (
                r.name.as_str(),
                r.qualifier.as_deref(),
                r.account.as_deref()
            ),
            ("f", Some("$LATEST"), Some("123456789012"))
        );
        let r = FunctionRef::parse("123456789012:function:f").unwrap();
        assert_eq!((r.name.as_str(), r.qualifier), ("f", None));
        assert!(FunctionRef::parse("a b").is_err());
        assert!(FunctionRef::parse("arn:aws:s3:::bucket").is_err());
        let err = FunctionRef::parse("f:1")
            .unwrap()
            .with_qualifier(Some("2"))
            .unwrap_err();
        assert_eq!(err.code(), "InvalidParameterValueException");
    }

    #[test]
    fn last_modified_uses_lambdas_format() {
        assert_eq!(last_modified(0), "1970-01-01T00:00:00.000+0000");
    }
}
