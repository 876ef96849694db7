//! The function control plane: create, read, update and delete functions, publish versions, manage aliases
//! and reserved concurrency. Every change rewrites the function's record (and adds or removes code packages)
//! in one atomic, durable document write, then updates the in-memory copy that invocations read.
//! Requests arrive already checked against AWS's model (lengths, patterns, enums); this module checks what the
//! model cannot express, and refuses what eddy does not implement rather than ignoring it.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use base64::Engine;
use eddy_model::Scope;
use eddy_store::{DocChange, Store};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::code::{self, CodePackage};
use crate::model::{AliasRecord, FunctionRecord, FunctionRef, LATEST, VersionRecord, function_arn};
use crate::{Lambda, LambdaError, runtime};

pub(crate) const FUNCTIONS_NS: &str = "lambda-fn";
pub(crate) const CODE_NS: &str = "lambda-code";

/// Keys reserved by Lambda that the user's `Environment` may not set.
const RESERVED_KEYS: &[&str] = &[
    "_HANDLER",
    "_X_AMZN_TRACE_ID",
    "AWS_REGION",
    "AWS_DEFAULT_REGION",
    "AWS_EXECUTION_ENV",
    "AWS_LAMBDA_FUNCTION_NAME",
    "AWS_LAMBDA_FUNCTION_MEMORY_SIZE",
    "AWS_LAMBDA_FUNCTION_VERSION",
    "AWS_LAMBDA_INITIALIZATION_TYPE",
    "AWS_LAMBDA_LOG_GROUP_NAME",
    "AWS_LAMBDA_LOG_STREAM_NAME",
    "AWS_ACCESS_KEY",
    "AWS_ACCESS_KEY_ID",
    "AWS_SECRET_ACCESS_KEY",
    "AWS_SESSION_TOKEN",
    "AWS_LAMBDA_RUNTIME_API",
    "LAMBDA_TASK_ROOT",
    "LAMBDA_RUNTIME_DIR",
];

#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct CodeInput {
    pub zip_file: Option<String>,
    #[serde(rename = "S3Bucket")]
    pub s3_bucket: Option<String>,
    #[serde(rename = "S3Key")]
    pub s3_key: Option<String>,
    pub image_uri: Option<String>,
}

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct EnvironmentInput {
    pub variables: Option<RequestVariables>,
}

/// A request's environment variables in the order it gave them, which Lambda's size fault quotes.
#[derive(Default, Debug, Clone)]
pub struct RequestVariables(Vec<(String, String)>);

impl RequestVariables {
    /// The variables as stored (a key given twice keeps its last value, as a JSON object read into a map does).
    pub fn to_map(&self) -> BTreeMap<String, String> {
        self.0.iter().cloned().collect()
    }

    /// The variables as the JSON object of the request, in its order.
    fn as_json(&self) -> String {
        let entries: Vec<(&str, String)> = self
            .0
            .iter()
            .map(|(k, v)| (k.as_str(), crate::ordered_json::text(v)))
            .collect();
        crate::ordered_json::object(&entries)
    }
}

impl<'de> Deserialize<'de> for RequestVariables {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<RequestVariables, D::Error> {
        struct Ordered;
        impl<'de> serde::de::Visitor<'de> for Ordered {
            type Value = RequestVariables;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a map of strings")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<RequestVariables, A::Error> {
                let mut vars = Vec::new();
                while let Some(entry) = map.next_entry::<String, String>()? {
                    vars.push(entry);
                }
                Ok(RequestVariables(vars))
            }
        }
        d.deserialize_map(Ordered)
    }
}

/// `DeadLetterConfig`: where an asynchronous invocation's event goes once its retries are spent.
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct DeadLetterInput {
    pub target_arn: Option<String>,
}

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct LoggingInput {
    pub log_format: Option<String>,
    pub log_group: Option<String>,
    pub application_log_level: Option<String>,
    pub system_log_level: Option<String>,
}

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct TracingInput {
    pub mode: Option<String>,
}

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct EphemeralInput {
    pub size: Option<u32>,
}

/// Members eddy does not implement; a non-empty value is refused.
#[derive(Deserialize, Default, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct Unsupported {
    pub layers: Option<Vec<String>>,
    pub vpc_config: Option<Value>,
    #[serde(rename = "KMSKeyArn")]
    pub kms_key_arn: Option<String>,
    pub file_system_configs: Option<Vec<Value>>,
    pub image_config: Option<Value>,
    pub snap_start: Option<Value>,
    pub code_signing_config_arn: Option<String>,
}

/// CreateFunction's request body.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct CreateFunction {
    pub function_name: String,
    pub runtime: Option<String>,
    pub role: String,
    pub handler: Option<String>,
    #[serde(default)]
    pub code: CodeInput,
    pub description: Option<String>,
    pub timeout: Option<i64>,
    pub memory_size: Option<i64>,
    pub publish: Option<bool>,
    pub environment: Option<EnvironmentInput>,
    pub architectures: Option<Vec<String>>,
    pub package_type: Option<String>,
    pub tags: Option<BTreeMap<String, String>>,
    pub tracing_config: Option<TracingInput>,
    pub ephemeral_storage: Option<EphemeralInput>,
    pub logging_config: Option<LoggingInput>,
    pub dead_letter_config: Option<DeadLetterInput>,
    #[serde(flatten)]
    pub unsupported: Unsupported,
}

/// UpdateFunctionCode's request body.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateFunctionCode {
    pub zip_file: Option<String>,
    #[serde(rename = "S3Bucket")]
    pub s3_bucket: Option<String>,
    pub image_uri: Option<String>,
    pub publish: Option<bool>,
    pub dry_run: Option<bool>,
    pub revision_id: Option<String>,
    pub architectures: Option<Vec<String>>,
}

/// UpdateFunctionConfiguration's request body.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateFunctionConfiguration {
    pub role: Option<String>,
    pub handler: Option<String>,
    pub description: Option<String>,
    pub timeout: Option<i64>,
    pub memory_size: Option<i64>,
    pub environment: Option<EnvironmentInput>,
    pub runtime: Option<String>,
    pub revision_id: Option<String>,
    pub tracing_config: Option<TracingInput>,
    pub ephemeral_storage: Option<EphemeralInput>,
    pub logging_config: Option<LoggingInput>,
    pub dead_letter_config: Option<DeadLetterInput>,
    #[serde(flatten)]
    pub unsupported: Unsupported,
}

#[derive(Deserialize, Default, Debug, Clone)]
#[serde(rename_all = "PascalCase")]
pub struct RoutingInput {
    pub additional_version_weights: Option<BTreeMap<String, f64>>,
}

/// CreateAlias's request body.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct AliasInput {
    pub name: String,
    pub function_version: String,
    pub description: Option<String>,
    pub routing_config: Option<RoutingInput>,
}

/// UpdateAlias's request body.
#[derive(Deserialize, Default, Debug)]
#[serde(rename_all = "PascalCase")]
pub struct UpdateAlias {
    pub function_version: Option<String>,
    pub description: Option<String>,
    pub routing_config: Option<RoutingInput>,
    pub revision_id: Option<String>,
}

/// A page of a listing: items and the marker of the next page.
pub struct FunctionPage {
    pub items: Vec<Value>,
    pub next_marker: Option<String>,
}

fn function_key(scope: &Scope, name: &str) -> String {
    format!("{}/{}/{}", scope.account, scope.region, name)
}

fn code_key(scope: &Scope, name: &str, code_id: &str) -> String {
    format!("{}/{}/{}/{}", scope.account, scope.region, name, code_id)
}

/// Loads every function record (at start-up).
pub(crate) fn load_all(
    store: &Store,
) -> Result<HashMap<(Scope, String), Arc<FunctionRecord>>, LambdaError> {
    let mut out = HashMap::new();
    let mut after: Option<String> = None;
    loop {
        let page = store.list_docs(FUNCTIONS_NS, "", after.as_deref(), 512)?;
        if page.is_empty() {
            break;
        }
        for (key, value) in &page {
            let mut parts = key.splitn(3, '/');
            let (Some(account), Some(region), Some(_)) = (parts.next(), parts.next(), parts.next())
            else {
                continue;
            };
            let record: FunctionRecord = serde_json::from_slice(value).map_err(|e| {
                LambdaError::Service(format!("unreadable function record {key}: {e}"))
            })?;
            out.insert(
                (Scope::new(account, region), record.name.clone()),
                Arc::new(record),
            );
        }
        after = page.last().map(|(k, _)| k.clone());
    }
    Ok(out)
}

pub(crate) fn not_found(scope: &Scope, name: &str, qualifier: Option<&str>) -> LambdaError {
    LambdaError::ResourceNotFound(format!(
        "Function not found: {}",
        function_arn(scope, name, qualifier)
    ))
}

pub(crate) fn new_revision() -> String {
    uuid::Uuid::new_v4().to_string()
}

/// AWS's limit on a zip uploaded in the request.
const MAX_ZIPPED: usize = 52_428_800;

fn decode_zip(text: &str) -> Result<Vec<u8>, LambdaError> {
    let zip = base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| {
            LambdaError::InvalidParameterValue(
                "Could not unzip uploaded file. Please check your file, then try to upload again."
                    .into(),
            )
        })?;
    if zip.len() > MAX_ZIPPED {
        // AWS-recorded.
        return Err(LambdaError::EntityTooLarge(format!(
            "Zipped size must be smaller than {MAX_ZIPPED} bytes"
        )));
    }
    Ok(zip)
}

fn check_timeout(timeout: i64) -> Result<u32, LambdaError> {
    if timeout > 900 {
        return Err(LambdaError::Validation(format!(
            "1 validation error detected: Value '{timeout}' at 'timeout' failed to satisfy constraint: Member must have value less than or equal to 900"
        )));
    }
    Ok(timeout.max(1) as u32)
}

fn check_memory(memory: i64) -> Result<u32, LambdaError> {
    if memory > 10240 {
        return Err(LambdaError::Validation(format!(
            "1 validation error detected: Value '{memory}' at 'memorySize' failed to satisfy constraint: Member must have value less than or equal to 10240"
        )));
    }
    Ok(memory.max(128) as u32)
}

fn check_environment(vars: &RequestVariables) -> Result<(), LambdaError> {
    let reserved: Vec<&str> = vars
        .0
        .iter()
        .map(|(k, _)| k.as_str())
        .filter(|k| RESERVED_KEYS.contains(k))
        .collect();
    if !reserved.is_empty() {
        return Err(LambdaError::InvalidParameterValue(format!(
            "Lambda was unable to configure your environment variables because the environment variables you have provided contains reserved keys that are currently not supported for modification. Reserved keys used in this request: {}",
            reserved.join(", ")
        )));
    }
    let measured = vars.as_json();
    if measured.len() > 4096 {
        return Err(LambdaError::InvalidParameterValue(format!(
            "Lambda was unable to configure your environment variables because the environment variables you have provided exceeded the 4KB limit. String measured: {measured}"
        )));
    }
    Ok(())
}

fn check_unsupported(u: &Unsupported) -> Result<(), LambdaError> {
    let refuse = |what: &str| {
        Err(LambdaError::InvalidParameterValue(format!(
            "{what} is not supported by eddy"
        )))
    };
    if u.layers.as_ref().is_some_and(|l| !l.is_empty()) {
        return refuse("Layers");
    }
    if let Some(vpc) = &u.vpc_config {
        let non_empty = |k: &str| {
            vpc.get(k)
                .and_then(Value::as_array)
                .is_some_and(|a| !a.is_empty())
        };
        if non_empty("SubnetIds") || non_empty("SecurityGroupIds") {
            return refuse("VpcConfig");
        }
    }
    if u.kms_key_arn.as_ref().is_some_and(|s| !s.is_empty()) {
        return refuse("KMSKeyArn");
    }
    if u.file_system_configs
        .as_ref()
        .is_some_and(|f| !f.is_empty())
    {
        return refuse("FileSystemConfigs");
    }
    if u.image_config.as_ref().is_some_and(|v| !v.is_null()) {
        return refuse("ImageConfig");
    }
    if u.snap_start
        .as_ref()
        .and_then(|s| s.get("ApplyOn"))
        .and_then(Value::as_str)
        .is_some_and(|s| s != "None")
    {
        return refuse("SnapStart");
    }
    if u.code_signing_config_arn.is_some() {
        return refuse("CodeSigningConfigArn");
    }
    Ok(())
}

fn check_architectures(archs: &[String]) -> Result<(), LambdaError> {
    if archs.len() > 1 {
        return Err(LambdaError::Validation(format!(
            "1 validation error detected: Value '[{}]' at 'architectures' failed to satisfy constraint: Member must have length less than or equal to 1",
            archs.join(", ")
        )));
    }
    Ok(())
}

fn apply_logging(v: &mut VersionRecord, logging: &LoggingInput) {
    if let Some(f) = &logging.log_format {
        v.log_format = f.clone();
    }
    if let Some(g) = &logging.log_group {
        v.log_group = Some(g.clone());
    }
    if let Some(l) = &logging.application_log_level {
        v.application_log_level = Some(l.clone());
    }
    if let Some(l) = &logging.system_log_level {
        v.system_log_level = Some(l.clone());
    }
}

pub(crate) fn check_revision(expected: Option<&str>, actual: &str) -> Result<(), LambdaError> {
    match expected {
        Some(e) if e != actual => Err(LambdaError::PreconditionFailed(
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id".into(),
        )),
        _ => Ok(()),
    }
}

/// Whether publishing `latest` would repeat the newest published version (AWS then returns that version).
fn same_as_published(latest: &VersionRecord, published: &VersionRecord) -> bool {
    let source_description = published
        .source_description
        .as_ref()
        .unwrap_or(&published.description);
    if latest.description != *source_description {
        return false;
    }
    let mut a = latest.clone();
    a.version = published.version.clone();
    a.revision_id = published.revision_id.clone();
    a.environment_revision = published.environment_revision.clone();
    a.last_modified_ms = published.last_modified_ms;
    a.description = published.description.clone();
    a.source_description = published.source_description.clone();
    a == *published
}

impl Lambda {
    pub(crate) fn record(&self, scope: &Scope, name: &str) -> Option<Arc<FunctionRecord>> {
        self.inner
            .functions
            .read()
            .get(&(scope.clone(), name.to_string()))
            .cloned()
    }

    /// A `DeadLetterConfig`'s target: an existing SQS queue or SNS topic of the function's account and region.
    fn dead_letter_target(
        &self,
        scope: &Scope,
        config: Option<&DeadLetterInput>,
    ) -> Result<Option<String>, LambdaError> {
        let Some(arn) = config
            .and_then(|c| c.target_arn.as_deref())
            .filter(|a| !a.is_empty())
        else {
            return Ok(None);
        };
        let is_queue_or_topic = arn.starts_with("arn:aws:sqs:") || arn.starts_with("arn:aws:sns:");
        let exists = is_queue_or_topic
            && self
                .inner
                .destinations
                .read()
                .as_ref()
                .is_some_and(|d| d.exists(scope, arn));
        if !exists {
            return Err(LambdaError::InvalidParameterValue(format!(
                "The dead-letter target {arn} is not an existing SQS queue or SNS topic of this account and region."
            )));
        }
        Ok(Some(arn.to_string()))
    }

    pub(crate) fn existing(
        &self,
        scope: &Scope,
        r: &FunctionRef,
    ) -> Result<Arc<FunctionRecord>, LambdaError> {
        self.record(scope, &r.name)
            .ok_or_else(|| not_found(scope, &r.name, None))
    }

    /// Writes a function record (and code changes) durably, then publishes it to invocations.
    pub(crate) async fn save(
        &self,
        scope: &Scope,
        record: FunctionRecord,
        mut extra: Vec<DocChange>,
    ) -> Result<Arc<FunctionRecord>, LambdaError> {
        let value = serde_json::to_vec(&record).map_err(LambdaError::internal)?;
        extra.push(DocChange::put(
            FUNCTIONS_NS,
            &function_key(scope, &record.name),
            value,
        ));
        self.inner.store.write_docs(extra).await?;
        let record = Arc::new(record);
        self.inner
            .functions
            .write()
            .insert((scope.clone(), record.name.clone()), record.clone());
        self.retire_stale(scope, &record.name);
        Ok(record)
    }

    /// Unpacks `$LATEST`'s code now, so the first invocation does not pay for it (a failure here is retried
    /// then, and reported there).
    async fn unpack_eagerly(&self, scope: &Scope, record: &FunctionRecord) {
        if let Err(e) = self.code_dir(scope, &record.name, &record.latest).await {
            tracing::warn!(function = %record.name, "cannot unpack the code yet: {e}");
        }
    }

    fn sum_reserved(&self, scope: &Scope, except: Option<&str>) -> u32 {
        self.inner
            .functions
            .read()
            .iter()
            .filter(|((s, n), _)| s == scope && Some(n.as_str()) != except)
            .filter_map(|(_, f)| f.reserved_concurrency)
            .sum()
    }

    pub(crate) fn reserved_total(&self, scope: &Scope) -> u32 {
        self.sum_reserved(scope, None)
    }

    /// The unqualified ARN of an existing function (`name`, full or partial ARN, with or without a
    /// qualifier); an error if it does not exist.
    pub fn function_arn(&self, scope: &Scope, name_or_arn: &str) -> Result<String, LambdaError> {
        let r = FunctionRef::parse_in(scope, name_or_arn)?;
        self.existing(scope, &r)?;
        Ok(function_arn(scope, &r.name, None))
    }

    /// Resolves a function reference and qualifier to (record, version record, executed version, invoked ARN).
    pub(crate) fn resolve(
        &self,
        scope: &Scope,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<(Arc<FunctionRecord>, VersionRecord, String), LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?.with_qualifier(qualifier)?;
        r.check_name_length()?;
        // Invoke names $LATEST when no qualifier was given (AWS-recorded, 2025).
        let record = self.record(scope, &r.name).ok_or_else(|| {
            not_found(
                scope,
                &r.name,
                Some(r.qualifier.as_deref().unwrap_or(LATEST)),
            )
        })?;
        let invoked_arn = function_arn(scope, &r.name, r.qualifier.as_deref());
        let version = match r.qualifier.as_deref() {
            None | Some(LATEST) => record.latest.clone(),
            Some(q) if q.bytes().all(|b| b.is_ascii_digit()) => record
                .version(q)
                .cloned()
                .ok_or_else(|| not_found(scope, &r.name, Some(q)))?,
            Some(alias) => {
                // Invoke says `Function not found` for a missing alias too (AWS-recorded); GetAlias does not.
                let a = record
                    .aliases
                    .get(alias)
                    .ok_or_else(|| not_found(scope, &r.name, Some(alias)))?;
                let chosen = pick_weighted(&a.function_version, &a.weights);
                record
                    .version(&chosen)
                    .cloned()
                    .ok_or_else(|| not_found(scope, &r.name, Some(alias)))?
            }
        };
        Ok((record, version, invoked_arn))
    }

    /// CreateFunction → FunctionConfiguration.
    pub async fn create_function(
        &self,
        scope: &Scope,
        req: CreateFunction,
    ) -> Result<Value, LambdaError> {
        let r = FunctionRef::parse_in(scope, &req.function_name)?;
        r.check_name_length()?;
        check_tag_count(req.tags.as_ref().map_or(0, BTreeMap::len))?;
        if r.qualifier.is_some() {
            return Err(LambdaError::InvalidParameterValue(
                "Unsupported. Cannot create a function with a qualified name.".into(),
            ));
        }
        if req.package_type.as_deref() == Some("Image") || req.code.image_uri.is_some() {
            return Err(LambdaError::InvalidParameterValue(
                "PackageType Image is not supported by eddy: functions run as native processes, not containers; upload a .zip package (Code.ZipFile)".into(),
            ));
        }
        check_unsupported(&req.unsupported)?;
        let (Some(runtime_name), Some(handler)) = (req.runtime.clone(), req.handler.clone()) else {
            return Err(LambdaError::InvalidParameterValue(
                "Runtime and Handler are mandatory parameters for functions created with deployment packages.".into(),
            ));
        };
        runtime::check_supported(&runtime_name)?;
        let zip = match (&req.code.zip_file, &req.code.s3_bucket) {
            (Some(z), _) => decode_zip(z)?,
            (None, Some(_)) => {
                return Err(LambdaError::InvalidParameterValue(
                    "Code.S3Bucket is not supported by eddy (it has no S3): upload the package with Code.ZipFile".into(),
                ));
            }
            (None, None) => {
                return Err(LambdaError::InvalidParameterValue(
                    "Please provide a source for function code.".into(),
                ));
            }
        };
        let timeout = check_timeout(req.timeout.unwrap_or(3))?;
        let memory = check_memory(req.memory_size.unwrap_or(128))?;
        let architectures = req
            .architectures
            .clone()
            .unwrap_or_else(|| vec!["x86_64".into()]);
        check_architectures(&architectures)?;
        let environment = req
            .environment
            .as_ref()
            .map(|e| e.variables.clone().unwrap_or_default());
        if let Some(vars) = &environment {
            check_environment(vars)?;
        }
        let environment = environment.map(|vars| vars.to_map());
        let package = tokio::task::spawn_blocking(move || code::inspect(zip))
            .await
            .map_err(LambdaError::internal)??;
        let _guard = self.inner.control.lock().await;
        if self.record(scope, &r.name).is_some() {
            return Err(LambdaError::ResourceConflict(format!(
                "Function already exist: {}",
                r.name
            )));
        }
        let mut latest = VersionRecord {
            version: LATEST.into(),
            runtime: runtime_name,
            handler,
            role: req.role.clone(),
            description: req.description.clone().unwrap_or_default(),
            timeout,
            memory_size: memory,
            environment,
            architectures,
            code_sha256: package.sha256_b64.clone(),
            code_id: package.id.clone(),
            code_size: package.size,
            last_modified_ms: self.inner.clock.now_ms(),
            revision_id: new_revision(),
            ephemeral_storage: req
                .ephemeral_storage
                .as_ref()
                .and_then(|e| e.size)
                .unwrap_or(512),
            tracing_mode: req
                .tracing_config
                .as_ref()
                .and_then(|t| t.mode.clone())
                .unwrap_or_else(|| "PassThrough".into()),
            log_format: "Text".into(),
            log_group: None,
            application_log_level: None,
            system_log_level: None,
            environment_revision: None,
            source_description: None,
            dead_letter_target: self.dead_letter_target(scope, req.dead_letter_config.as_ref())?,
        };
        if let Some(logging) = &req.logging_config {
            apply_logging(&mut latest, logging);
        }
        let mut record = FunctionRecord {
            name: r.name.clone(),
            latest,
            versions: Vec::new(),
            next_version: 1,
            aliases: BTreeMap::new(),
            reserved_concurrency: None,
            tags: req.tags.clone().unwrap_or_default(),
            policies: BTreeMap::new(),
            event_invoke_configs: BTreeMap::new(),
            recursive_loop: None,
            code_updated_since_publish: false,
        };
        let mut shown = record.latest.clone();
        if req.publish == Some(true) {
            shown = publish_into(&mut record, None, self.inner.clock.now_ms());
        }
        let changes = vec![code_change(scope, &r.name, &package)];
        let saved = self.save(scope, record, changes).await?;
        self.unpack_eagerly(scope, &saved).await;
        let mut out = shown.configuration(scope, &r.name, None);
        // Even with Publish, CreateFunction names the function unqualified (`Version` says "1"; AWS-recorded).
        out["FunctionArn"] = json!(function_arn(scope, &r.name, None));
        Ok(out)
    }

    /// GetFunction → `{Configuration, Code, Tags?, Concurrency?}`.
    pub fn get_function(
        &self,
        scope: &Scope,
        function: &str,
        qualifier: Option<&str>,
        endpoint: &str,
    ) -> Result<Value, LambdaError> {
        let (record, version, _) = self.resolve_config(scope, function, qualifier)?;
        let arn_q = qualifier_of(function, qualifier);
        let mut out = json!({
            "Configuration": version.configuration(scope, &record.name, arn_q.as_deref()),
            "Code": {
                "RepositoryType": "S3",
                "Location": format!(
                    "{}/_eddy/lambda/code/{}/{}/{}/{}.zip",
                    endpoint.trim_end_matches('/'), scope.account, scope.region, record.name, version.code_id
                ),
            },
        });
        if !record.tags.is_empty() {
            out["Tags"] = json!(record.tags);
        }
        if let Some(n) = record.reserved_concurrency {
            out["Concurrency"] = json!({ "ReservedConcurrentExecutions": n });
        }
        Ok(out)
    }

    /// The zip of a function's code (served at the `Code.Location` GetFunction returns).
    pub fn code_zip(
        &self,
        scope: &Scope,
        function: &str,
        code_id: &str,
    ) -> Result<Option<Vec<u8>>, LambdaError> {
        if self.record(scope, function).is_none() {
            return Ok(None);
        }
        Ok(self
            .inner
            .store
            .get_doc(CODE_NS, &code_key(scope, function, code_id))?)
    }

    /// Like `resolve`, but an alias names its primary version (no weighted choice).
    fn resolve_config(
        &self,
        scope: &Scope,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<(Arc<FunctionRecord>, VersionRecord, String), LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?.with_qualifier(qualifier)?;
        let record = self
            .record(scope, &r.name)
            .ok_or_else(|| not_found(scope, &r.name, r.qualifier.as_deref()))?;
        let version_name = match r.qualifier.as_deref() {
            None => LATEST.to_string(),
            Some(q) if q == LATEST || q.bytes().all(|b| b.is_ascii_digit()) => q.to_string(),
            Some(alias) => record
                .aliases
                .get(alias)
                .map(|a| a.function_version.clone())
                .ok_or_else(|| not_found(scope, &r.name, Some(alias)))?,
        };
        let version = record
            .version(&version_name)
            .cloned()
            .ok_or_else(|| not_found(scope, &r.name, r.qualifier.as_deref()))?;
        Ok((record, version, version_name))
    }

    /// GetFunctionConfiguration → FunctionConfiguration.
    pub fn get_function_configuration(
        &self,
        scope: &Scope,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<Value, LambdaError> {
        let (record, version, _) = self.resolve_config(scope, function, qualifier)?;
        let arn_q = qualifier_of(function, qualifier);
        Ok(version.configuration(scope, &record.name, arn_q.as_deref()))
    }

    /// ListFunctions: `$LATEST` of each function (every version with `all_versions`), by name.
    pub fn list_functions(
        &self,
        scope: &Scope,
        marker: Option<&str>,
        max_items: usize,
        all_versions: bool,
    ) -> Result<FunctionPage, LambdaError> {
        let mut records: Vec<Arc<FunctionRecord>> = self
            .inner
            .functions
            .read()
            .iter()
            .filter(|((s, _), _)| s == scope)
            .map(|(_, f)| f.clone())
            .collect();
        records.sort_by(|a, b| a.name.cmp(&b.name));
        let mut rows: Vec<Value> = Vec::new();
        for f in &records {
            if all_versions {
                rows.push(list_item(f.latest.configuration(
                    scope,
                    &f.name,
                    Some(LATEST),
                )));
                for v in &f.versions {
                    rows.push(list_item(v.configuration(scope, &f.name, None)));
                }
            } else {
                rows.push(list_item(f.latest.configuration(scope, &f.name, None)));
            }
        }
        paginate(rows, marker, max_items)
    }

    /// UpdateFunctionCode → FunctionConfiguration.
    pub async fn update_function_code(
        &self,
        scope: &Scope,
        function: &str,
        req: UpdateFunctionCode,
    ) -> Result<Value, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        if req.image_uri.is_some() {
            return Err(LambdaError::InvalidParameterValue(
                "ImageUri is not supported by eddy: upload a .zip package (ZipFile)".into(),
            ));
        }
        let zip = match (&req.zip_file, &req.s3_bucket) {
            (Some(z), _) => decode_zip(z)?,
            (None, Some(_)) => {
                return Err(LambdaError::InvalidParameterValue(
                    "S3Bucket is not supported by eddy (it has no S3): upload the package with ZipFile".into(),
                ));
            }
            (None, None) => {
                return Err(LambdaError::InvalidParameterValue(
                    "Please provide a source for function code.".into(),
                ));
            }
        };
        if let Some(a) = &req.architectures {
            check_architectures(a)?;
        }
        let package = tokio::task::spawn_blocking(move || code::inspect(zip))
            .await
            .map_err(LambdaError::internal)??;
        let _guard = self.inner.control.lock().await;
        let current = self.existing(scope, &r)?;
        check_revision(req.revision_id.as_deref(), &current.latest.revision_id)?;
        let mut record = (*current).clone();
        record.latest.code_sha256 = package.sha256_b64.clone();
        record.latest.code_id = package.id.clone();
        record.latest.code_size = package.size;
        if let Some(a) = &req.architectures {
            record.latest.architectures = a.clone();
        }
        record.latest.last_modified_ms = self.inner.clock.now_ms();
        record.latest.bump_revision(new_revision());
        record.code_updated_since_publish = true;
        if req.dry_run == Some(true) {
            return Ok(record.latest.configuration(scope, &record.name, None));
        }
        let mut shown = record.latest.clone();
        if req.publish == Some(true) {
            shown = publish_into(&mut record, None, self.inner.clock.now_ms());
        }
        let mut changes = vec![code_change(scope, &record.name, &package)];
        changes.extend(drop_unused_code(scope, &current, &record));
        let saved = self.save(scope, record.clone(), changes).await?;
        self.unpack_eagerly(scope, &saved).await;
        Ok(shown.configuration(scope, &record.name, None))
    }

    /// UpdateFunctionConfiguration → FunctionConfiguration.
    pub async fn update_function_configuration(
        &self,
        scope: &Scope,
        function: &str,
        req: UpdateFunctionConfiguration,
    ) -> Result<Value, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        check_unsupported(&req.unsupported)?;
        if let Some(rt) = &req.runtime {
            runtime::check_supported(rt)?;
        }
        let timeout = req.timeout.map(check_timeout).transpose()?;
        let memory = req.memory_size.map(check_memory).transpose()?;
        if let Some(vars) = req.environment.as_ref().and_then(|e| e.variables.as_ref()) {
            check_environment(vars)?;
        }
        let _guard = self.inner.control.lock().await;
        let current = self.existing(scope, &r)?;
        check_revision(req.revision_id.as_deref(), &current.latest.revision_id)?;
        let mut record = (*current).clone();
        let v = &mut record.latest;
        if let Some(x) = &req.role {
            v.role = x.clone();
        }
        if let Some(x) = &req.handler {
            v.handler = x.clone();
        }
        if let Some(x) = &req.description {
            v.description = x.clone();
        }
        if let Some(x) = timeout {
            v.timeout = x;
        }
        if let Some(x) = memory {
            v.memory_size = x;
        }
        if let Some(e) = &req.environment {
            v.environment = Some(
                e.variables
                    .as_ref()
                    .map(RequestVariables::to_map)
                    .unwrap_or_default(),
            );
        }
        if let Some(x) = &req.runtime {
            v.runtime = x.clone();
        }
        if let Some(mode) = req.tracing_config.as_ref().and_then(|t| t.mode.clone()) {
            v.tracing_mode = mode;
        }
        if let Some(size) = req.ephemeral_storage.as_ref().and_then(|e| e.size) {
            v.ephemeral_storage = size;
        }
        if let Some(logging) = &req.logging_config {
            apply_logging(v, logging);
        }
        // `DeadLetterConfig: {}` changes nothing (AWS-recorded); an empty `TargetArn` removes the target.
        if let Some(target) = req
            .dead_letter_config
            .as_ref()
            .and_then(|d| d.target_arn.as_deref())
        {
            v.dead_letter_target = if target.is_empty() {
                None
            } else {
                self.dead_letter_target(scope, req.dead_letter_config.as_ref())?
            };
        }
        v.last_modified_ms = self.inner.clock.now_ms();
        v.bump_revision(new_revision());
        let shown = record.latest.clone();
        self.save(scope, record.clone(), Vec::new()).await?;
        Ok(shown.configuration(scope, &record.name, None))
    }

    /// DeleteFunction (the whole function, or one published version with a qualifier).
    pub async fn delete_function(
        &self,
        scope: &Scope,
        function: &str,
        qualifier: Option<&str>,
    ) -> Result<(), LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?.with_qualifier(qualifier)?;
        // Checked before the function is looked up (AWS-recorded).
        if r.qualifier.as_deref() == Some(LATEST) {
            return Err(LambdaError::InvalidParameterValue(
                "$LATEST version cannot be deleted without deleting the function.".into(),
            ));
        }
        let _guard = self.inner.control.lock().await;
        let current = self.existing(scope, &r)?;
        match r.qualifier.as_deref() {
            None => {
                let mut changes = vec![DocChange::delete(
                    FUNCTIONS_NS,
                    &function_key(scope, &r.name),
                )];
                for id in current.code_ids() {
                    changes.push(DocChange::delete(CODE_NS, &code_key(scope, &r.name, &id)));
                }
                self.inner.store.write_docs(changes).await?;
                self.inner
                    .functions
                    .write()
                    .remove(&(scope.clone(), r.name.clone()));
                self.retire_stale(scope, &r.name);
                Ok(())
            }
            Some(q) => {
                // Deleting a version that does not exist (any more) succeeds (AWS-recorded).
                if current.version(q).is_none() {
                    return Ok(());
                }
                let users: Vec<&str> = current
                    .aliases
                    .values()
                    .filter(|a| a.function_version == q || a.weights.contains_key(q))
                    .map(|a| a.name.as_str())
                    .collect();
                if !users.is_empty() {
                    return Err(LambdaError::ResourceConflict(format!(
                        "Unable to delete version because the following aliases reference it: [{}]",
                        users.join(", ")
                    )));
                }
                let mut record = (*current).clone();
                record.versions.retain(|v| v.version != q);
                record.policies.remove(q);
                record.event_invoke_configs.remove(q);
                let changes = drop_unused_code(scope, &current, &record);
                self.save(scope, record, changes).await?;
                Ok(())
            }
        }
    }

    /// PublishVersion → FunctionConfiguration of the new (or identical latest) version.
    pub async fn publish_version(
        &self,
        scope: &Scope,
        function: &str,
        description: Option<&str>,
        code_sha256: Option<&str>,
        revision_id: Option<&str>,
    ) -> Result<Value, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        let _guard = self.inner.control.lock().await;
        let current = self.existing(scope, &r)?;
        check_revision(revision_id, &current.latest.revision_id)?;
        if let Some(sha) = code_sha256
            && sha != current.latest.code_sha256
        {
            return Err(LambdaError::InvalidParameterValue(format!(
                "CodeSHA256 ({sha}) is different from current CodeSHA256 in $LATEST ({}). Please try again with the CodeSHA256 in $LATEST.",
                current.latest.code_sha256
            )));
        }
        if let Some(last) = current.versions.last()
            && !current.code_updated_since_publish
            && same_as_published(&current.latest, last)
        {
            return Ok(last.configuration(scope, &current.name, None));
        }
        let mut record = (*current).clone();
        let version = publish_into(&mut record, description, self.inner.clock.now_ms());
        self.save(scope, record.clone(), Vec::new()).await?;
        Ok(version.configuration(scope, &record.name, None))
    }

    /// ListVersionsByFunction: `$LATEST` then the published versions in order.
    pub fn list_versions(
        &self,
        scope: &Scope,
        function: &str,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<FunctionPage, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        let record = self.existing(scope, &r)?;
        let mut rows = vec![list_item(record.latest.configuration(
            scope,
            &record.name,
            Some(LATEST),
        ))];
        rows.extend(
            record
                .versions
                .iter()
                .map(|v| list_item(v.configuration(scope, &record.name, None))),
        );
        paginate(rows, marker, max_items)
    }

    /// The routing checks of CreateAlias and UpdateAlias, in AWS's order (AWS-recorded texts).
    fn check_alias_target(
        scope: &Scope,
        record: &FunctionRecord,
        version: &str,
        weights: &BTreeMap<String, f64>,
    ) -> Result<(), LambdaError> {
        if weights.len() > 1 {
            return Err(LambdaError::InvalidParameterValue(
                "Number of items in AdditionalVersionWeights cannot be greater than 1".into(),
            ));
        }
        if version == LATEST && !weights.is_empty() {
            return Err(LambdaError::InvalidParameterValueUntyped(
                "$LATEST is not supported for an alias pointing to more than 1 version".into(),
            ));
        }
        if weights.contains_key(version) {
            return Err(LambdaError::InvalidParameterValue(format!(
                "Invalid function version {version}. Function version {version} is already included in routing configuration."
            )));
        }
        for v in std::iter::once(version).chain(weights.keys().map(String::as_str)) {
            if record.version(v).is_none() {
                return Err(not_found(scope, &record.name, Some(v)));
            }
        }
        Ok(())
    }

    /// CreateAlias → AliasConfiguration.
    pub async fn create_alias(
        &self,
        scope: &Scope,
        function: &str,
        req: AliasInput,
    ) -> Result<Value, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        if req.name.bytes().all(|b| b.is_ascii_digit()) {
            return Err(LambdaError::Validation(format!(
                "1 validation error detected: Value '{}' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)",
                req.name
            )));
        }
        let weights = req
            .routing_config
            .and_then(|rc| rc.additional_version_weights)
            .unwrap_or_default();
        check_weight_values(&weights)?;
        let _guard = self.inner.control.lock().await;
        let current = self
            .record(scope, &r.name)
            .ok_or_else(|| not_found(scope, &r.name, Some(&req.function_version)))?;
        if current.aliases.contains_key(&req.name) {
            return Err(LambdaError::ResourceConflict(format!(
                "Alias already exists: {}",
                function_arn(scope, &current.name, Some(&req.name))
            )));
        }
        Self::check_alias_target(scope, &current, &req.function_version, &weights)?;
        let alias = AliasRecord {
            name: req.name.clone(),
            function_version: req.function_version,
            description: req.description.unwrap_or_default(),
            revision_id: new_revision(),
            weights,
        };
        let mut record = (*current).clone();
        record.aliases.insert(alias.name.clone(), alias.clone());
        self.save(scope, record, Vec::new()).await?;
        Ok(alias.configuration(scope, &current.name))
    }

    /// GetAlias → AliasConfiguration.
    pub fn get_alias(
        &self,
        scope: &Scope,
        function: &str,
        name: &str,
    ) -> Result<Value, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        let record = self.existing(scope, &r)?;
        record
            .aliases
            .get(name)
            .map(|a| a.configuration(scope, &record.name))
            .ok_or_else(|| alias_not_found(scope, &record.name, name))
    }

    /// UpdateAlias → AliasConfiguration.
    pub async fn update_alias(
        &self,
        scope: &Scope,
        function: &str,
        name: &str,
        req: UpdateAlias,
    ) -> Result<Value, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        let _guard = self.inner.control.lock().await;
        let current = self.existing(scope, &r)?;
        let mut alias = current
            .aliases
            .get(name)
            .cloned()
            .ok_or_else(|| alias_not_found(scope, &current.name, name))?;
        check_revision(req.revision_id.as_deref(), &alias.revision_id)?;
        if let Some(v) = req.function_version {
            alias.function_version = v;
        }
        if let Some(d) = req.description {
            alias.description = d;
        }
        if let Some(rc) = req.routing_config {
            alias.weights = rc.additional_version_weights.unwrap_or_default();
            check_weight_values(&alias.weights)?;
        }
        Self::check_alias_target(scope, &current, &alias.function_version, &alias.weights)?;
        alias.revision_id = new_revision();
        let mut record = (*current).clone();
        record.aliases.insert(alias.name.clone(), alias.clone());
        self.save(scope, record, Vec::new()).await?;
        Ok(alias.configuration(scope, &current.name))
    }

    /// DeleteAlias.
    pub async fn delete_alias(
        &self,
        scope: &Scope,
        function: &str,
        name: &str,
    ) -> Result<(), LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        let _guard = self.inner.control.lock().await;
        let current = self.existing(scope, &r)?;
        if !current.aliases.contains_key(name) {
            return Ok(());
        }
        let mut record = (*current).clone();
        record.aliases.remove(name);
        record.policies.remove(name);
        record.event_invoke_configs.remove(name);
        self.save(scope, record, Vec::new()).await?;
        Ok(())
    }

    /// ListAliases (optionally only those pointing at `version`).
    pub fn list_aliases(
        &self,
        scope: &Scope,
        function: &str,
        version: Option<&str>,
        marker: Option<&str>,
        max_items: usize,
    ) -> Result<FunctionPage, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        let record = self.existing(scope, &r)?;
        let rows = record
            .aliases
            .values()
            .filter(|a| version.is_none_or(|v| a.function_version == v))
            .map(|a| a.configuration(scope, &record.name))
            .collect();
        paginate(rows, marker, max_items)
    }

    /// PutFunctionConcurrency → `{ReservedConcurrentExecutions}`.
    pub async fn put_function_concurrency(
        &self,
        scope: &Scope,
        function: &str,
        reserved: u32,
    ) -> Result<Value, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        if r.qualifier.is_some() {
            return Err(LambdaError::InvalidParameterValue(
                "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.".into(),
            ));
        }
        let _guard = self.inner.control.lock().await;
        // AWS names $LATEST in this operation's not-found message (AWS-recorded).
        let current = self
            .record(scope, &r.name)
            .ok_or_else(|| not_found(scope, &r.name, Some(LATEST)))?;
        let others = self.sum_reserved(scope, Some(&current.name));
        let limit = self.inner.config.account_concurrency;
        if (limit as i64) - (others as i64) - (reserved as i64) < 100.min(limit as i64) {
            return Err(LambdaError::InvalidParameterValue(format!(
                "Specified ReservedConcurrentExecutions for function decreases account's UnreservedConcurrentExecution below its minimum value of [{}].",
                100.min(limit)
            )));
        }
        let mut record = (*current).clone();
        record.reserved_concurrency = Some(reserved);
        self.save(scope, record, Vec::new()).await?;
        Ok(json!({ "ReservedConcurrentExecutions": reserved }))
    }

    /// GetFunctionConcurrency → `{ReservedConcurrentExecutions}` or `{}`.
    pub fn get_function_concurrency(
        &self,
        scope: &Scope,
        function: &str,
    ) -> Result<Value, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        let record = self.existing(scope, &r)?;
        Ok(match record.reserved_concurrency {
            Some(n) => json!({ "ReservedConcurrentExecutions": n }),
            None => json!({}),
        })
    }

    /// DeleteFunctionConcurrency.
    pub async fn delete_function_concurrency(
        &self,
        scope: &Scope,
        function: &str,
    ) -> Result<(), LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        let _guard = self.inner.control.lock().await;
        let current = self.existing(scope, &r)?;
        if current.reserved_concurrency.is_none() {
            return Ok(());
        }
        let mut record = (*current).clone();
        record.reserved_concurrency = None;
        self.save(scope, record, Vec::new()).await?;
        Ok(())
    }

    /// ListTags of a function.
    pub fn list_tags(
        &self,
        scope: &Scope,
        function: &str,
    ) -> Result<BTreeMap<String, String>, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        Ok(self.existing(scope, &r)?.tags.clone())
    }

    /// TagResource / UntagResource of a function: adds `add` (replacing equal keys), then removes `remove`.
    /// `$LATEST` gets a new RevisionId (AWS-recorded); warm environments stay, code and configuration being
    /// unchanged. At most 50 tags.
    pub async fn retag(
        &self,
        scope: &Scope,
        function: &str,
        add: BTreeMap<String, String>,
        remove: &[String],
    ) -> Result<(), LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        let _guard = self.inner.control.lock().await;
        let mut record = (*self.existing(scope, &r)?).clone();
        record.tags.extend(add);
        for key in remove {
            record.tags.remove(key);
        }
        check_tag_count(record.tags.len())?;
        record.latest.bump_revision_only(new_revision());
        self.save(scope, record, Vec::new()).await?;
        Ok(())
    }

    /// PutFunctionRecursionConfig (`Allow` or `Terminate`, checked by the model) → `{RecursiveLoop}`.
    pub async fn put_recursion_config(
        &self,
        scope: &Scope,
        function: &str,
        recursive_loop: &str,
    ) -> Result<Value, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        let _guard = self.inner.control.lock().await;
        let current = self.existing(scope, &r)?;
        let mut record = (*current).clone();
        record.recursive_loop = Some(recursive_loop.to_string());
        self.save(scope, record, Vec::new()).await?;
        Ok(json!({ "RecursiveLoop": recursive_loop }))
    }

    /// GetFunctionRecursionConfig → `{RecursiveLoop}` (`Terminate` unless set).
    pub fn get_recursion_config(
        &self,
        scope: &Scope,
        function: &str,
    ) -> Result<Value, LambdaError> {
        let r = FunctionRef::parse_in(scope, function)?;
        let record = self.existing(scope, &r)?;
        Ok(json!({ "RecursiveLoop": record.recursive_loop.as_deref().unwrap_or("Terminate") }))
    }

    /// GetAccountSettings.
    pub fn account_settings(&self, scope: &Scope) -> Value {
        let functions = self.inner.functions.read();
        let mine: Vec<&Arc<FunctionRecord>> = functions
            .iter()
            .filter(|((s, _), _)| s == scope)
            .map(|(_, f)| f)
            .collect();
        // `$LATEST` and every published version count their code, a package they share too (AWS-recorded: a
        // create adds the zip once, UpdateFunctionCode of the same zip with Publish adds it again, a configuration
        // update adds nothing and publishing it adds the code once more).
        let total_code: u64 = mine
            .iter()
            .flat_map(|f| std::iter::once(&f.latest).chain(f.versions.iter()))
            .map(|v| v.code_size)
            .sum();
        let reserved: u32 = mine.iter().filter_map(|f| f.reserved_concurrency).sum();
        let limit = self.inner.config.account_concurrency;
        json!({
            "AccountLimit": {
                "TotalCodeSize": 80_530_636_800u64,
                "CodeSizeUnzipped": code::MAX_UNZIPPED,
                "CodeSizeZipped": 52_428_800,
                "ConcurrentExecutions": limit,
                "UnreservedConcurrentExecutions": limit.saturating_sub(reserved),
            },
            "AccountUsage": {
                "TotalCodeSize": total_code,
                "FunctionCount": mine.len(),
            },
        })
    }
}

/// A function carries at most 50 tags (AWS's text).
pub(crate) fn check_tag_count(count: usize) -> Result<(), LambdaError> {
    if count > 50 {
        return Err(LambdaError::InvalidParameterValue(
            "Number of tags exceeds resource tag limit.".into(),
        ));
    }
    Ok(())
}

/// An alias that does not exist (AWS's text; Terraform's provider looks for it).
pub(crate) fn alias_not_found(scope: &Scope, function: &str, alias: &str) -> LambdaError {
    LambdaError::ResourceNotFound(format!(
        "Cannot find alias arn: {}",
        function_arn(scope, function, Some(alias))
    ))
}

/// Routing weights must lie in 0.0–1.0: a model constraint, so a `ValidationException` naming the whole map
/// as Java prints it (`{2=2.0}`), before anything is looked up.
fn check_weight_values(weights: &BTreeMap<String, f64>) -> Result<(), LambdaError> {
    if weights.values().all(|w| (0.0..=1.0).contains(w)) {
        return Ok(());
    }
    let entries: Vec<String> = weights
        .iter()
        .map(|(v, w)| format!("{v}={}", java_double(*w)))
        .collect();
    Err(LambdaError::Validation(format!(
        "1 validation error detected: Value '{{{}}}' at 'routingConfig.additionalVersionWeights' failed to satisfy constraint: Map value must satisfy constraint: [Member must have value less than or equal to 1.0, Member must have value greater than or equal to 0.0, Member must not be null]",
        entries.join(", ")
    )))
}

/// A double as Java's `Double.toString` writes ordinary values (`2.0`, `-1.0`, `0.25`).
fn java_double(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e7 {
        format!("{value:.1}")
    } else {
        format!("{value}")
    }
}

/// The qualifier to show in `FunctionArn` when the caller named one.
fn qualifier_of(function: &str, qualifier: Option<&str>) -> Option<String> {
    qualifier
        .map(str::to_string)
        .or_else(|| FunctionRef::parse(function).ok().and_then(|r| r.qualifier))
}

fn code_change(scope: &Scope, function: &str, package: &CodePackage) -> DocChange {
    DocChange::put(
        CODE_NS,
        &code_key(scope, function, &package.id),
        package.zip.clone(),
    )
}

/// Deletes stored code that `before` referenced and `after` no longer does.
fn drop_unused_code(
    scope: &Scope,
    before: &FunctionRecord,
    after: &FunctionRecord,
) -> Vec<DocChange> {
    let keep = after.code_ids();
    before
        .code_ids()
        .into_iter()
        .filter(|id| !keep.contains(id))
        .map(|id| DocChange::delete(CODE_NS, &code_key(scope, &before.name, &id)))
        .collect()
}

/// Appends a published version (a snapshot of `$LATEST`) and returns it.
fn publish_into(
    record: &mut FunctionRecord,
    description: Option<&str>,
    now_ms: i64,
) -> VersionRecord {
    let mut version = record.latest.clone();
    version.version = record.next_version.to_string();
    version.bump_revision(new_revision());
    version.last_modified_ms = now_ms;
    version.source_description = Some(record.latest.description.clone());
    if let Some(d) = description {
        version.description = d.to_string();
    }
    // Publishing gives $LATEST a new RevisionId too (AWS-recorded).
    record.latest.bump_revision_only(new_revision());
    record.code_updated_since_publish = false;
    record.next_version += 1;
    record.versions.push(version.clone());
    version
}

/// A FunctionConfiguration as list operations show it: without `RuntimeVersionConfig` (AWS-recorded).
fn list_item(mut configuration: Value) -> Value {
    if let Some(o) = configuration.as_object_mut() {
        o.remove("RuntimeVersionConfig");
    }
    configuration
}

pub(crate) fn paginate(
    rows: Vec<Value>,
    marker: Option<&str>,
    max_items: usize,
) -> Result<FunctionPage, LambdaError> {
    let start = match marker {
        Some(m) => m
            .parse::<usize>()
            .map_err(|_| LambdaError::InvalidParameterValue("Invalid marker".into()))?,
        None => 0,
    };
    let max_items = max_items.max(1);
    let end = (start + max_items).min(rows.len());
    let next_marker = (end < rows.len()).then(|| end.to_string());
    let items = rows.into_iter().skip(start).take(max_items).collect();
    Ok(FunctionPage { items, next_marker })
}

/// Chooses an alias's version by its routing weights.
fn pick_weighted(primary: &str, weights: &BTreeMap<String, f64>) -> String {
    if weights.is_empty() {
        return primary.to_string();
    }
    let roll = (uuid::Uuid::new_v4().as_u128() % 1_000_000) as f64 / 1_000_000.0;
    let mut acc = 0.0;
    for (version, weight) in weights {
        acc += weight;
        if roll < acc {
            return version.clone();
        }
    }
    primary.to_string()
}
