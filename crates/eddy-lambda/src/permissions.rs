//! Resource-based policies: AddPermission, RemovePermission and GetPolicy. A function, each of its versions and
//! each alias has a policy of its own (AWS-recorded: publishing does not copy it), kept on the function record
//! under its qualifier and rendered as AWS renders it — a JSON text with AWS's key order (`Sid`, `Effect`,
//! `Principal`, `Action`, `Resource`, `Condition`). A change renews the `RevisionId` of what the policy belongs
//! to, which GetPolicy answers with. eddy records and returns these statements; it does not evaluate them when
//! a function is invoked (see docs/security.md).

use eddy_model::Scope;
use serde::{Deserialize, Serialize};

use crate::functions::{alias_not_found, check_revision, new_revision, not_found};
use crate::model::{FunctionRecord, FunctionRef, LATEST, function_arn};
use crate::ordered_json::{object, text};
use crate::{Lambda, LambdaError};

/// AddPermission's body (its `Qualifier` comes in the query string).
#[derive(Deserialize, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct AddPermission {
    pub statement_id: String,
    pub action: String,
    pub principal: String,
    pub source_arn: Option<String>,
    pub source_account: Option<String>,
    pub event_source_token: Option<String>,
    pub revision_id: Option<String>,
    #[serde(rename = "PrincipalOrgID")]
    pub principal_org_id: Option<String>,
    pub function_url_auth_type: Option<String>,
    pub invoked_via_function_url: Option<bool>,
}

/// One statement of a policy.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct PermissionStatement {
    pub sid: String,
    pub principal: Principal,
    pub action: String,
    pub resource: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub function_url_auth_type: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub principal_org_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_account: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_source_token: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source_arn: Option<String>,
}

/// Who a statement lets in.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub enum Principal {
    /// `*`: anyone.
    Anyone,
    /// An AWS service (`s3.amazonaws.com`).
    Service(String),
    /// An account root or an IAM identity, as an ARN.
    Aws(String),
}

impl Principal {
    /// Reads AddPermission's `Principal`: `*`, a service principal, a 12-digit account or an IAM ARN.
    fn parse(text: &str) -> Result<Principal, LambdaError> {
        let is_account = text.len() == 12 && text.bytes().all(|b| b.is_ascii_digit());
        let is_service = text.ends_with(".amazonaws.com")
            && text.len() > ".amazonaws.com".len()
            && text
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-');
        match text {
            "*" => Ok(Principal::Anyone),
            _ if is_account => Ok(Principal::Aws(format!("arn:aws:iam::{text}:root"))),
            _ if text.starts_with("arn:aws:iam::") || text.starts_with("arn:aws:sts::") => {
                Ok(Principal::Aws(text.to_string()))
            }
            _ if is_service => Ok(Principal::Service(text.to_string())),
            _ => Err(LambdaError::InvalidParameterValue(
                "The provided principal was invalid. Please check the principal and try again."
                    .into(),
            )),
        }
    }

    fn to_json(&self) -> String {
        match self {
            Principal::Anyone => text("*"),
            Principal::Service(s) => object(&[("Service", text(s))]),
            Principal::Aws(arn) => object(&[("AWS", text(arn))]),
        }
    }
}

impl PermissionStatement {
    /// The statement as AWS writes it (its key order; `Condition` only when there is one, `StringEquals`
    /// before `ArnLike`).
    pub fn to_json(&self) -> String {
        let equals: Vec<(&str, String)> = [
            ("lambda:FunctionUrlAuthType", &self.function_url_auth_type),
            ("aws:PrincipalOrgID", &self.principal_org_id),
            ("AWS:SourceAccount", &self.source_account),
            ("lambda:EventSourceToken", &self.event_source_token),
        ]
        .into_iter()
        .filter_map(|(key, value)| value.as_deref().map(|v| (key, text(v))))
        .collect();
        let mut conditions = Vec::new();
        if !equals.is_empty() {
            conditions.push(("StringEquals", object(&equals)));
        }
        if let Some(arn) = &self.source_arn {
            conditions.push(("ArnLike", object(&[("AWS:SourceArn", text(arn))])));
        }
        let mut entries = vec![
            ("Sid", text(&self.sid)),
            ("Effect", text("Allow")),
            ("Principal", self.principal.to_json()),
            ("Action", text(&self.action)),
            ("Resource", text(&self.resource)),
        ];
        if !conditions.is_empty() {
            entries.push(("Condition", object(&conditions)));
        }
        object(&entries)
    }
}

/// A policy document as AWS writes it: `Version`, `Id`, then the statements in the order they were added.
fn policy_json(statements: &[PermissionStatement]) -> String {
    let list: Vec<String> = statements
        .iter()
        .map(PermissionStatement::to_json)
        .collect();
    object(&[
        ("Version", text("2012-10-17")),
        ("Id", text("default")),
        ("Statement", format!("[{}]", list.join(","))),
    ])
}

/// What a qualifier names on a function: the function itself, a version or an alias.
enum Target {
    Function,
    Version(String),
    Alias(String),
}

impl Target {
    fn key(&self) -> &str {
        match self {
            Target::Function => "",
            Target::Version(q) | Target::Alias(q) => q,
        }
    }

    fn qualifier(&self) -> Option<&str> {
        match self {
            Target::Function => None,
            Target::Version(q) | Target::Alias(q) => Some(q),
        }
    }

    /// A qualifier of digits or with a `$` names a version (AWS-recorded: `valid-with-$-but-doesnotexist` is
    /// reported as a missing function version), anything else an alias.
    fn of(qualifier: Option<&str>) -> Target {
        match qualifier {
            None => Target::Function,
            Some(q) if q.bytes().all(|b| b.is_ascii_digit()) || q.contains('$') => {
                Target::Version(q.to_string())
            }
            Some(q) => Target::Alias(q.to_string()),
        }
    }

    fn exists(&self, record: &FunctionRecord) -> bool {
        match self {
            Target::Function => true,
            Target::Version(v) => record.versions.iter().any(|r| &r.version == v),
            Target::Alias(a) => record.aliases.contains_key(a),
        }
    }

    fn missing(&self, scope: &Scope, function: &str) -> LambdaError {
        match self {
            Target::Alias(a) => alias_not_found(scope, function, a),
            _ => not_found(scope, function, self.qualifier()),
        }
    }

    fn revision<'a>(&self, record: &'a FunctionRecord) -> &'a str {
        match self {
            Target::Function => &record.latest.revision_id,
            Target::Version(v) => record
                .versions
                .iter()
                .find(|r| &r.version == v)
                .map_or("", |r| r.revision_id.as_str()),
            Target::Alias(a) => record.aliases.get(a).map_or("", |r| r.revision_id.as_str()),
        }
    }

    fn renew_revision(&self, record: &mut FunctionRecord) {
        match self {
            Target::Function => record.latest.bump_revision_only(new_revision()),
            Target::Version(v) => {
                if let Some(r) = record.versions.iter_mut().find(|r| &r.version == v) {
                    r.bump_revision_only(new_revision());
                }
            }
            Target::Alias(a) => {
                if let Some(r) = record.aliases.get_mut(a) {
                    r.revision_id = new_revision();
                }
            }
        }
    }
}

impl Lambda {
    /// AddPermission → the statement added, as AWS's JSON text.
    pub async fn add_permission(
        &self,
        scope: &Scope,
        function: &str,
        qualifier: Option<&str>,
        input: AddPermission,
    ) -> Result<String, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?.with_qualifier(qualifier)?;
        if r.qualifier.as_deref() == Some(LATEST) {
            return Err(LambdaError::InvalidParameterValue(
                "We currently do not support adding policies for $LATEST.".into(),
            ));
        }
        if input.invoked_via_function_url.is_some() {
            return Err(LambdaError::InvalidParameterValue(
                "InvokedViaFunctionUrl is not supported by eddy (it has no function URLs).".into(),
            ));
        }
        let principal = Principal::parse(&input.principal)?;
        let target = Target::of(r.qualifier.as_deref());
        let _guard = self.inner.control.lock().await;
        let current = self.existing(scope, &r)?;
        if !target.exists(&current) {
            return Err(target.missing(scope, &r.name));
        }
        check_revision(input.revision_id.as_deref(), target.revision(&current))?;
        let statements = current.policies.get(target.key());
        if statements.is_some_and(|s| s.iter().any(|s| s.sid == input.statement_id)) {
            return Err(LambdaError::ResourceConflict(format!(
                "The statement id ({}) provided already exists. Please provide a new statement id, or remove the existing statement.",
                input.statement_id
            )));
        }
        let statement = PermissionStatement {
            sid: input.statement_id,
            principal,
            action: input.action,
            resource: function_arn(scope, &r.name, target.qualifier()),
            function_url_auth_type: input.function_url_auth_type,
            principal_org_id: input.principal_org_id,
            source_account: input.source_account,
            event_source_token: input.event_source_token,
            source_arn: input.source_arn,
        };
        let text = statement.to_json();
        let mut record = (*current).clone();
        record
            .policies
            .entry(target.key().to_string())
            .or_default()
            .push(statement);
        target.renew_revision(&mut record);
        self.save(scope, record, Vec::new()).await?;
        Ok(text)
    }

    /// RemovePermission.
    pub async fn remove_permission(
        &self,
        scope: &Scope,
        function: &str,
        statement_id: &str,
        qualifier: Option<&str>,
        revision_id: Option<&str>,
    ) -> Result<(), LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?.with_qualifier(qualifier)?;
        let target = Target::of(r.qualifier.as_deref());
        let _guard = self.inner.control.lock().await;
        let current = self.record(scope, &r.name).ok_or_else(|| {
            LambdaError::ResourceNotFound(format!(
                "No policy found for: {}",
                function_arn(scope, &r.name, target.qualifier())
            ))
        })?;
        if !target.exists(&current) {
            return Err(target.missing(scope, &r.name));
        }
        check_revision(revision_id, target.revision(&current))?;
        let Some(statements) = current.policies.get(target.key()) else {
            return Err(LambdaError::ResourceNotFound(
                "No policy is associated with the given resource.".into(),
            ));
        };
        if !statements.iter().any(|s| s.sid == statement_id) {
            return Err(LambdaError::ResourceNotFound(format!(
                "Statement {statement_id} is not found in resource policy."
            )));
        }
        let mut record = (*current).clone();
        let key = target.key().to_string();
        if let Some(statements) = record.policies.get_mut(&key) {
            statements.retain(|s| s.sid != statement_id);
            if statements.is_empty() {
                record.policies.remove(&key);
            }
        }
        target.renew_revision(&mut record);
        self.save(scope, record, Vec::new()).await?;
        Ok(())
    }

    /// GetPolicy → (the policy as AWS's JSON text, the `RevisionId` of what it belongs to).
    pub fn get_policy(
        &self,
        scope: &Scope,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<(String, String), LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?.with_qualifier(qualifier)?;
        let record = self.existing(scope, &r)?;
        let target = Target::of(r.qualifier.as_deref());
        match record.policies.get(target.key()) {
            Some(statements) if target.exists(&record) => Ok((
                policy_json(statements),
                target.revision(&record).to_string(),
            )),
            _ => Err(LambdaError::ResourceNotFound(
                "The resource you requested does not exist.".into(),
            )),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn statement(principal: &str) -> PermissionStatement {
        PermissionStatement {
            sid: "s3".into(),
            principal: Principal::parse(principal).unwrap(),
            action: "lambda:InvokeFunction".into(),
            resource: "arn:aws:lambda:us-east-1:000000000000:function:f".into(),
            function_url_auth_type: None,
            principal_org_id: None,
            source_account: None,
            event_source_token: None,
            source_arn: None,
        }
    }

    #[test]
    fn statements_are_written_in_aws_key_order() {
        let mut s = statement("s3.amazonaws.com");
        assert_eq!(
            s.to_json(),
            r#"{"Sid":"s3","Effect":"Allow","Principal":{"Service":"s3.amazonaws.com"},"Action":"lambda:InvokeFunction","Resource":"arn:aws:lambda:us-east-1:000000000000:function:f"}"#
        );
        s.source_arn = Some("arn:aws:s3:::bucket".into());
        s.source_account = Some("111111111111".into());
        assert!(s.to_json().ends_with(
            r#""Condition":{"StringEquals":{"AWS:SourceAccount":"111111111111"},"ArnLike":{"AWS:SourceArn":"arn:aws:s3:::bucket"}}}"#
        ));
    }

    #[test]
    fn principals_take_aws_forms() {
        assert_eq!(statement("*").principal.to_json(), r#""*""#);
        assert_eq!(
            statement("111111111111").principal.to_json(),
            r#"{"AWS":"arn:aws:iam::111111111111:root"}"#
        );
        assert!(Principal::parse("invalid.nonaws.com").is_err());
        assert!(Principal::parse(".amazonaws.com").is_err());
    }
}
