//! IAM's answers to policy documents, as a table. The managed-policy cases are IAM's recorded answers to
//! `CreatePolicy` (the table moto keeps of responses taken from AWS, `tests/test_iam/test_iam_policies.py`);
//! the trust and inline cases come from AWS error reports quoted in public issues and from IAM's
//! documentation, as noted on each group.

use serde_json::{Value, json};

use super::*;

fn parse(kind: PolicyKind, document: &Value) -> Result<PolicyDocument, String> {
    let text = match document {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    PolicyDocument::parse(&text, kind).map_err(|e| e.to_string())
}

fn refused(kind: PolicyKind, document: &Value) -> String {
    match parse(kind, document) {
        Ok(_) => format!("accepted: {document}"),
        Err(message) => message,
    }
}

const SYNTAX: &str = "Syntax errors in policy.";
const VERSION: &str = "Policy document must be version 2012-10-17 or greater.";
const LEGACY: &str = "The policy failed legacy parsing";
const NO_VENDOR: &str =
    "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc.";
const ONE_COLON: &str = "Actions/Condition can contain only one colon.";
const NO_ACTIONS: &str = "Policy statement must contain actions.";
const NO_RESOURCES: &str = "Policy statement must contain resources.";
const IAM_PATH: &str = "IAM resource path must either be \"*\" or start with user/, federated-user/, role/, group/, instance-profile/, mfa/, server-certificate/, policy/, sms-mfa/, saml-provider/, oidc-provider/, report/, access-report/.";

fn stmt(extra: Value) -> Value {
    let mut statement = json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"});
    if let (Value::Object(base), Value::Object(extra)) = (&mut statement, extra) {
        base.extend(extra);
    }
    statement
}

fn doc(statement: Value) -> Value {
    json!({"Version": "2012-10-17", "Statement": statement})
}

/// `CreatePolicy` documents IAM refuses, with its message.
fn managed_refusals() -> Vec<(Value, &'static str)> {
    vec![
        (json!("This is not a json document"), SYNTAX),
        (json!({"Statement": stmt(json!({}))}), VERSION),
        (
            json!({"Version": "2008-10-17", "Statement": stmt(json!({}))}),
            VERSION,
        ),
        (
            json!({"Version": "2013-10-17", "Statement": stmt(json!({}))}),
            SYNTAX,
        ),
        (json!({"Version": "2012-10-17"}), SYNTAX),
        (
            json!({"Version": "2012-10-17", "Statement": ["afd"]}),
            SYNTAX,
        ),
        (
            json!({"Version": "2012-10-17", "Statement": stmt(json!({})), "Extra field": "value"}),
            SYNTAX,
        ),
        (doc(stmt(json!({"Extra field": "value"}))), SYNTAX),
        (
            json!({"Version": "2012-10-17", "Id": ["cd3a324d2343d942772346-34234234423404-4c2242343242349d1642ee"], "Statement": stmt(json!({}))}),
            SYNTAX,
        ),
        (
            json!({"Version": "2012-10-17", "Id": {}, "Statement": stmt(json!({}))}),
            SYNTAX,
        ),
        (doc(stmt(json!({"Effect": "invalid"}))), SYNTAX),
        (doc(stmt(json!({"Action": "invalid"}))), NO_VENDOR),
        (
            doc(
                json!({"Effect": "Allow", "NotAction": "", "Resource": "arn:aws:s3:::example_bucket"}),
            ),
            NO_VENDOR,
        ),
        (
            doc(stmt(json!({"Action": "a a:ListBucket"}))),
            "Vendor a a is not valid",
        ),
        (doc(stmt(json!({"Action": "s3:List:Bucket"}))), ONE_COLON),
        (
            doc(json!([
                stmt(json!({"Action": "s3s:ListBucket"})),
                stmt(json!({"Action": "s:3s:ListBucket"}))
            ])),
            ONE_COLON,
        ),
        (
            doc(stmt(json!({"Resource": "invalid resource"}))),
            "Resource invalid resource must be in ARN format or \"*\".",
        ),
        (
            doc(json!([
                {"Sid": "EnableDisableHongKong", "Effect": "Allow", "Action": ["account:EnableRegion", "account:DisableRegion"], "Resource": "", "Condition": {"StringEquals": {"account:TargetRegion": "ap-east-1"}}},
                {"Sid": "ViewConsole", "Effect": "Allow", "Action": ["aws-portal:ViewAccount", "account:ListRegions"], "Resource": ""}
            ])),
            "Resource  must be in ARN format or \"*\".",
        ),
        (
            doc(stmt(
                json!({"Action": "s:3:ListBucket", "Resource": "sdfsadf"}),
            )),
            "Resource sdfsadf must be in ARN format or \"*\".",
        ),
        (
            doc(stmt(json!({"Resource": ["adf"]}))),
            "Resource adf must be in ARN format or \"*\".",
        ),
        (
            doc(stmt(json!({"Resource": ""}))),
            "Resource  must be in ARN format or \"*\".",
        ),
        (
            doc(
                json!({"Effect": "Allow", "NotAction": "s3s:ListBucket", "Resource": "a:bsdfdsafsad"}),
            ),
            "Partition \"bsdfdsafsad\" is not valid for resource \"arn:bsdfdsafsad:*:*:*:*\".",
        ),
        (
            doc(
                json!({"Effect": "Allow", "NotAction": "s3s:ListBucket", "Resource": "a:b:cadfsdf"}),
            ),
            "Partition \"b\" is not valid for resource \"arn:b:cadfsdf:*:*:*\".",
        ),
        (
            doc(
                json!({"Effect": "Allow", "NotAction": "s3s:ListBucket", "Resource": "a:b:c:d:e:f:g:h"}),
            ),
            "Partition \"b\" is not valid for resource \"arn:b:c:d:e:f:g:h\".",
        ),
        (
            doc(stmt(json!({"Resource": "aws:s3:::example_bucket"}))),
            "Partition \"s3\" is not valid for resource \"arn:s3:::example_bucket:*\".",
        ),
        (
            doc(stmt(
                json!({"Resource": ["arn:error:s3:::example_bucket", "arn:error:s3::example_bucket"]}),
            )),
            "Partition \"error\" is not valid for resource \"arn:error:s3:::example_bucket\".",
        ),
        (json!({"Version": "2012-10-17", "Statement": []}), SYNTAX),
        (
            doc(json!({"Effect": "Allow", "Action": "s3:ListBucket"})),
            NO_RESOURCES,
        ),
        (
            doc(json!({"Effect": "Allow", "Action": "s3:ListBucket", "Resource": []})),
            NO_RESOURCES,
        ),
        (
            doc(json!({"Effect": "Allow", "Action": "invalid"})),
            NO_VENDOR,
        ),
        (
            doc(json!({"Effect": "Allow", "Resource": "arn:aws:s3:::example_bucket"})),
            NO_ACTIONS,
        ),
        (
            doc(json!({"Action": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"})),
            SYNTAX,
        ),
        (doc(json!({"Effect": "Allow"})), NO_ACTIONS),
        (doc(stmt(json!({"Action": []}))), NO_ACTIONS),
        (
            doc(json!([{"Effect": "Deny"}, stmt(json!({}))])),
            NO_ACTIONS,
        ),
        (
            doc(stmt(json!({"Resource": "arn:aws:iam:::example_bucket"}))),
            IAM_PATH,
        ),
        (
            doc(stmt(json!({"Resource": "arn:aws:s3::example_bucket"}))),
            LEGACY,
        ),
        (
            doc(json!({"Effect": "Allow", "Resource": "arn:aws:s3::example_bucket"})),
            LEGACY,
        ),
        (
            doc(stmt(json!({"Resource": "arn:aws"}))),
            "Resource vendor must be fully qualified and cannot contain regexes.",
        ),
        (
            doc(stmt(
                json!({"Resource": {"a": "arn:aws:s3:::example_bucket"}}),
            )),
            SYNTAX,
        ),
        (
            doc(stmt(json!({"Effect": "Deny", "Resource": ["adfdf", {}]}))),
            SYNTAX,
        ),
        (
            doc(
                json!({"Effect": "Allow", "NotAction": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket", "NotResource": []}),
            ),
            SYNTAX,
        ),
        (doc(stmt(json!({"Effect": "Deny", "Action": [[]]}))), SYNTAX),
        (
            doc(
                json!({"Effect": "Allow", "NotAction": "s3s:ListBucket", "Action": [], "Resource": "arn:aws:s3:::example_bucket"}),
            ),
            SYNTAX,
        ),
        (doc(stmt(json!({"Action": {}}))), SYNTAX),
        (doc(stmt(json!({"Condition": []}))), SYNTAX),
        (doc(stmt(json!({"Condition": "a"}))), SYNTAX),
        (doc(stmt(json!({"Condition": {"a": "b"}}))), SYNTAX),
        (
            doc(stmt(json!({"Condition": {"DateGreaterThan": "b"}}))),
            SYNTAX,
        ),
        (
            doc(stmt(json!({"Condition": {"DateGreaterThan": []}}))),
            SYNTAX,
        ),
        (
            doc(stmt(json!({"Condition": {"DateGreaterThan": {"a": {}}}}))),
            SYNTAX,
        ),
        (
            doc(
                json!({"Effect": "Allow", "Resource": "arn:aws:s3:::example_bucket", "Condition": {"DateGreaterThan": {"a": {}}}}),
            ),
            SYNTAX,
        ),
        (doc(stmt(json!({"Condition": {"x": {"a": "1"}}}))), SYNTAX),
        (
            doc(stmt(
                json!({"Condition": {"ForAnyValue::StringEqualsIfExists": {"a": "asf"}}}),
            )),
            SYNTAX,
        ),
        (
            doc(stmt(
                json!({"Condition": [{"ForAllValues:StringEquals": {"aws:TagKeys": "Department"}}]}),
            )),
            SYNTAX,
        ),
        (
            doc(stmt(
                json!({"Resource": "arn:aws:iam:us-east-1::example_bucket"}),
            )),
            "IAM resource arn:aws:iam:us-east-1::example_bucket cannot contain region information.",
        ),
        (
            doc(stmt(
                json!({"Resource": "arn:aws:s3:us-east-1::example_bucket"}),
            )),
            "Resource arn:aws:s3:us-east-1::example_bucket can not contain region information.",
        ),
        (doc(stmt(json!({"Sid": {}}))), SYNTAX),
        (doc(stmt(json!({"Sid": []}))), SYNTAX),
        (
            doc(json!([stmt(json!({"Sid": "sdf"})), {"Sid": "sdf", "Effect": "Allow"}])),
            "Statement IDs (SID) in a single policy must be unique.",
        ),
        (
            json!({"Statement": [stmt(json!({"Sid": "sdf"})), {"Sid": "sdf", "Effect": "Allow"}]}),
            VERSION,
        ),
        (
            doc(
                json!({"Effect": "Allow", "NotAction": "s3:ListBucket", "Action": "iam:dsf", "Resource": "arn:aws:s3:::example_bucket"}),
            ),
            SYNTAX,
        ),
        (doc(stmt(json!({"NotResource": "*"}))), SYNTAX),
        (doc(stmt(json!({"Effect": "denY"}))), LEGACY),
        (
            doc(stmt(
                json!({"Condition": {"DateGreaterThan": {"a": "sdfdsf"}}}),
            )),
            LEGACY,
        ),
        (
            json!({"Statement": stmt(json!({"Condition": {"DateGreaterThan": {"a": "sdfdsf"}}}))}),
            VERSION,
        ),
        (
            json!({"Statement": stmt(json!({"Effect": "denY"}))}),
            VERSION,
        ),
        (
            doc(json!({"Effect": "Allow", "Condition": {"DateGreaterThan": {"a": "sdfdsf"}}})),
            LEGACY,
        ),
        (
            doc(
                json!({"Effect": "Allow", "NotAction": "s3:ListBucket", "Resource": "arn:aws::::example_bucket"}),
            ),
            LEGACY,
        ),
        (
            doc(json!({"Effect": "allow", "Resource": "arn:aws:s3:us-east-1::example_bucket"})),
            LEGACY,
        ),
        (
            doc(
                json!([stmt(json!({"Sid": "sdf", "Effect": "aLLow"})), {"Sid": "sdf", "Effect": "Allow"}]),
            ),
            LEGACY,
        ),
        (
            doc(
                json!({"Effect": "Allow", "Action": "s3:ListBucket", "NotResource": "arn:aws:s3::example_bucket"}),
            ),
            LEGACY,
        ),
        (
            doc(stmt(
                json!({"Condition": {"DateLessThanEquals": {"a": "234-13"}}}),
            )),
            LEGACY,
        ),
        (
            doc(stmt(
                json!({"Condition": {"DateLessThanEquals": {"a": "2016-12-13t2:00:00.593194+1"}}}),
            )),
            LEGACY,
        ),
        (
            doc(stmt(
                json!({"Condition": {"DateLessThanEquals": {"a": "2016-12-13t2:00:00.1999999999+10:59"}}}),
            )),
            LEGACY,
        ),
        (
            doc(stmt(
                json!({"Condition": {"DateLessThan": {"a": "9223372036854775808"}}}),
            )),
            LEGACY,
        ),
        (
            doc(stmt(
                json!({"Resource": "arn:error:s3:::example_bucket", "Condition": {"DateGreaterThan": {"a": "sdfdsf"}}}),
            )),
            LEGACY,
        ),
        (doc(stmt(json!({"Resource": "arn:aws::fdsasf"}))), LEGACY),
    ]
}

#[test]
fn managed_policies_are_refused_with_iams_recorded_messages() {
    for (document, message) in managed_refusals() {
        assert_eq!(
            refused(PolicyKind::Managed, &document),
            message,
            "{document}"
        );
    }
}

/// `CreatePolicy` documents IAM accepts (same source).
fn managed_acceptances() -> Vec<Value> {
    vec![
        doc(stmt(json!({"Resource": ["arn:aws:s3:::example_bucket"]}))),
        doc(stmt(json!({"Action": "iam: asdf safdsf af "}))),
        doc(stmt(
            json!({"Resource": ["arn:aws:s3:::example_bucket", "*"]}),
        )),
        doc(stmt(json!({"Action": "*"}))),
        doc(json!([stmt(json!({}))])),
        doc(
            json!({"Effect": "Allow", "Action": "service-prefix:action-name", "Resource": "*", "Condition": {"DateGreaterThan": {"aws:CurrentTime": "2017-07-01T00:00:00Z"}, "DateLessThan": {"aws:CurrentTime": "2017-12-31T23:59:59Z"}}}),
        ),
        doc(stmt(json!({"Action": "fsx:ListBucket"}))),
        doc(stmt(
            json!({"Resource": "arn:aws:iam:::user/example_bucket"}),
        )),
        doc(stmt(json!({"Resource": "arn:aws:s33:::example_bucket"}))),
        doc(stmt(json!({"Resource": "arn:aws:fdsasf"}))),
        doc(stmt(json!({"Condition": {}}))),
        doc(stmt(
            json!({"Condition": {"ForAllValues:StringEquals": {"aws:TagKeys": "Department"}}}),
        )),
        doc(stmt(
            json!({"Resource": "arn:aws:cloudwatch:us-east-1::example_bucket"}),
        )),
        doc(stmt(
            json!({"Resource": "arn:aws:ec2:us-east-1::example_bucket"}),
        )),
        doc(stmt(
            json!({"Resource": "arn:aws:invalid-service:::example_bucket"}),
        )),
        doc(stmt(
            json!({"Resource": "arn:aws:invalid-service:us-east-1::example_bucket"}),
        )),
        doc(stmt(json!({"Condition": {"DateGreaterThan": {}}}))),
        doc(stmt(json!({"Condition": {"DateGreaterThan": {"a": []}}}))),
        doc(stmt(json!({"Condition": {"a": {}}}))),
        doc(stmt(json!({"Sid": "dsfsdfsdfsdfsdfsadfsd"}))),
        doc(json!([
            {"Sid": "ConsoleDisplay", "Effect": "Allow", "Action": ["iam:GetRole", "iam:GetUser", "iam:ListRoles", "iam:ListRoleTags", "iam:ListUsers", "iam:ListUserTags"], "Resource": "*"},
            {"Sid": "AddTag", "Effect": "Allow", "Action": ["iam:TagUser", "iam:TagRole"], "Resource": "*", "Condition": {"StringEquals": {"aws:RequestTag/CostCenter": ["A-123", "B-456"]}, "ForAllValues:StringEquals": {"aws:TagKeys": "CostCenter"}}}
        ])),
        doc(
            json!({"Effect": "Allow", "NotAction": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}),
        ),
        doc(
            json!({"Effect": "Deny", "Action": "s3:*", "NotResource": ["arn:aws:s3:::HRBucket/Payroll", "arn:aws:s3:::HRBucket/Payroll/*"]}),
        ),
        json!({"Version": "2012-10-17", "Id": "sdfsdfsdf", "Statement": {"Effect": "Allow", "NotAction": "s3:ListBucket", "Resource": "arn:aws:s3:::example_bucket"}}),
        doc(stmt(
            json!({"Action": "aaaaaadsfdsafsadfsadfaaaaa:ListBucket"}),
        )),
        doc(stmt(json!({"Action": "s3-s:ListBucket"}))),
        doc(stmt(json!({"Action": "s3.s:ListBucket"}))),
        doc(json!({"Effect": "Allow", "NotAction": "s3:ListBucket", "NotResource": "*"})),
        doc(json!([stmt(json!({"Sid": "sdf"})), stmt(json!({}))])),
        doc(stmt(
            json!({"Condition": {"DateGreaterThan": {"a": "01T"}}}),
        )),
        doc(stmt(json!({"Condition": {"x": {}, "y": {}}}))),
        doc(stmt(
            json!({"Condition": {"StringEqualsIfExists": {"a": "asf"}}}),
        )),
        doc(stmt(
            json!({"Condition": {"ForAnyValue:StringEqualsIfExists": {"a": "asf"}}}),
        )),
        doc(stmt(
            json!({"Condition": {"DateLessThanEquals": {"a": "2019-07-01T13:20:15Z"}}}),
        )),
        doc(stmt(
            json!({"Condition": {"DateLessThanEquals": {"a": "2016-12-13T21:20:37.593194+00:00"}}}),
        )),
        doc(stmt(
            json!({"Condition": {"DateLessThanEquals": {"a": "2016-12-13t2:00:00.593194+23"}}}),
        )),
        doc(stmt(
            json!({"Condition": {"DateLessThan": {"a": "-292275054"}}}),
        )),
        doc(json!([
            {"Sid": "AllowManageOwnAccessKeys", "Effect": "Allow", "Action": ["iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:ListAccessKeys", "iam:UpdateAccessKey"], "Resource": "arn:aws:iam::*:user/${aws:username}"},
            {"Sid": "AllowManageOwnVirtualMFADevice", "Effect": "Allow", "Action": ["iam:CreateVirtualMFADevice", "iam:DeleteVirtualMFADevice"], "Resource": "arn:aws:iam::*:mfa/${aws:username}"},
            {"Sid": "DenyAllExceptListedIfNoMFA", "Effect": "Deny", "NotAction": ["iam:CreateVirtualMFADevice", "iam:EnableMFADevice", "iam:GetUser", "iam:ListMFADevices", "iam:ListVirtualMFADevices", "iam:ResyncMFADevice", "sts:GetSessionToken"], "Resource": "*", "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}}}
        ])),
        doc(json!([
            {"Sid": "ListAndDescribe", "Effect": "Allow", "Action": ["dynamodb:List*", "dynamodb:DescribeReservedCapacity*", "dynamodb:DescribeLimits", "dynamodb:DescribeTimeToLive"], "Resource": "*"},
            {"Sid": "SpecificTable", "Effect": "Allow", "Action": ["dynamodb:BatchGet*", "dynamodb:DescribeStream", "dynamodb:DescribeTable", "dynamodb:Get*", "dynamodb:Query", "dynamodb:Scan", "dynamodb:BatchWrite*", "dynamodb:CreateTable", "dynamodb:Delete*", "dynamodb:Update*", "dynamodb:PutItem"], "Resource": "arn:aws:dynamodb:*:*:table/MyTable"}
        ])),
        doc(
            json!([{"Effect": "Allow", "Action": ["ec2:AttachVolume", "ec2:DetachVolume"], "Resource": ["arn:aws:ec2:*:*:volume/*", "arn:aws:ec2:*:*:instance/*"], "Condition": {"ArnEquals": {"ec2:SourceInstanceARN": "arn:aws:ec2:*:*:instance/instance-id"}}}]),
        ),
        doc(json!([
            {"Sid": "ListYourObjects", "Effect": "Allow", "Action": "s3:ListBucket", "Resource": ["arn:aws:s3:::bucket-name"], "Condition": {"StringLike": {"s3:prefix": ["cognito/application-name/${cognito-identity.amazonaws.com:sub}"]}}},
            {"Sid": "ReadWriteDeleteYourObjects", "Effect": "Allow", "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"], "Resource": ["arn:aws:s3:::bucket-name/cognito/application-name/${cognito-identity.amazonaws.com:sub}", "arn:aws:s3:::bucket-name/cognito/application-name/${cognito-identity.amazonaws.com:sub}/*"]}
        ])),
        doc(json!([
            {"Sid": "AllObjectActions", "Effect": "Allow", "Action": "s3:*Object", "Resource": ["arn:aws:s3:::bucket-name/*"]},
            {"Effect": "Allow", "Action": "s3:ListBucket", "Resource": "arn:aws:s3:::bucket-name", "Condition": {"StringLike": {"s3:prefix": ["", "home/", "home/${aws:userid}/*"]}}}
        ])),
    ]
}

#[test]
fn managed_policies_iam_accepts_are_accepted() {
    for document in managed_acceptances() {
        assert!(
            parse(PolicyKind::Managed, &document).is_ok(),
            "{document}: {}",
            refused(PolicyKind::Managed, &document)
        );
    }
}

#[test]
fn inline_policies_may_omit_the_version_and_then_keep_variables_literal() {
    let statement = stmt(json!({"Resource": "arn:aws:iam::*:user/${aws:username}"}));
    let no_version = json!({"Statement": statement});
    let parsed = parse(PolicyKind::Inline, &no_version);
    assert!(
        parsed.as_ref().is_ok_and(|d| !d.supports_variables()),
        "{parsed:?}"
    );
    let old = json!({"Version": "2008-10-17", "Statement": statement});
    assert!(
        parse(PolicyKind::Inline, &old)
            .is_ok_and(|d| d.language_version() == PolicyVersion::Version2008)
    );
    assert_eq!(refused(PolicyKind::Managed, &no_version), VERSION);
    assert!(parse(PolicyKind::Managed, &doc(statement)).is_ok_and(|d| d.supports_variables()));
}

#[test]
fn identity_policies_may_not_name_a_principal() {
    // Reported by AWS for PutRolePolicy with a trust-shaped document (hashicorp/terraform#13449).
    let message = "Policy document should not specify a principal.";
    for kind in [PolicyKind::Inline, PolicyKind::Managed] {
        let with_principal = doc(stmt(
            json!({"Principal": {"AWS": "arn:aws:iam::123456789012:user/u"}}),
        ));
        assert_eq!(refused(kind, &with_principal), message);
        let with_not_principal = doc(stmt(json!({"NotPrincipal": "*"})));
        assert_eq!(refused(kind, &with_not_principal), message);
    }
}

#[test]
fn identity_statement_ids_are_alphanumeric() {
    // Recorded in CloudTrail for CreatePolicy (MalformedPolicyDocumentException).
    let message = "Statement IDs (SID) must be alpha-numeric. Check that your input satisfies the regular expression [0-9A-Za-z]*";
    assert_eq!(
        refused(
            PolicyKind::Inline,
            &doc(stmt(json!({"Sid": "Allow reads"})))
        ),
        message
    );
    assert_eq!(
        refused(PolicyKind::Managed, &doc(stmt(json!({"Sid": "a-b"})))),
        message
    );
    assert!(parse(PolicyKind::Inline, &doc(stmt(json!({"Sid": ""})))).is_ok());
}

#[test]
fn condition_values_may_be_numbers_and_booleans() {
    let document = doc(stmt(json!({"Condition": {
        "NumericLessThan": {"aws:MultiFactorAuthAge": 3600},
        "Bool": {"aws:SecureTransport": true},
        "StringEquals": {"aws:RequestedRegion": ["us-east-1", 7, false]}
    }})));
    let parsed = parse(PolicyKind::Inline, &document);
    let values: Vec<Vec<String>> = parsed
        .map(|d| {
            d.statements[0]
                .conditions
                .iter()
                .map(|c| c.values.clone())
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        values,
        vec![
            vec!["true".to_string()],
            vec!["3600".to_string()],
            vec![
                "us-east-1".to_string(),
                "7".to_string(),
                "false".to_string()
            ]
        ]
    );
    assert_eq!(
        refused(
            PolicyKind::Inline,
            &doc(stmt(json!({"Condition": {"StringEquals": {"a": null}}})))
        ),
        SYNTAX
    );
    assert_eq!(
        refused(
            PolicyKind::Inline,
            &doc(stmt(json!({"Condition": {"StringEquals": {"a": [["x"]]}}})))
        ),
        SYNTAX
    );
}

#[test]
fn parsed_documents_keep_their_elements() {
    let document = doc(json!([
        {"Sid": "One", "Effect": "Deny", "NotAction": ["iam:*"], "NotResource": "arn:aws:s3:::b/*", "Condition": {"ForAnyValue:StringLikeIfExists": {"aws:TagKeys": ["env*", "team"]}}},
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": [null, "*"]}
    ]));
    let Ok(parsed) = parse(PolicyKind::Managed, &document) else {
        panic!("refused: {}", refused(PolicyKind::Managed, &document));
    };
    assert_eq!(parsed.statements.len(), 2);
    let first = &parsed.statements[0];
    assert_eq!(first.sid.as_deref(), Some("One"));
    assert_eq!(first.effect, Effect::Deny);
    assert_eq!(first.action, ActionElement::NotAction(vec!["iam:*".into()]));
    assert_eq!(
        first.resource,
        Some(ResourceElement::NotResource(vec![
            "arn:aws:s3:::b/*".into()
        ]))
    );
    assert_eq!(
        first.conditions,
        vec![Condition {
            operator: Operator {
                set: Some(SetOperator::ForAnyValue),
                kind: OperatorKind::StringLike,
                if_exists: true
            },
            key: "aws:TagKeys".into(),
            values: vec!["env*".into(), "team".into()],
        }]
    );
    assert_eq!(
        parsed.statements[1].resource,
        Some(ResourceElement::Resource(vec!["*".into()]))
    );
}

const LAMBDA_TRUST: &str = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}"#;

fn trust(statement: Value) -> Value {
    doc(statement)
}

fn trust_stmt(extra: Value) -> Value {
    let mut statement = json!({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"});
    if let (Value::Object(base), Value::Object(extra)) = (&mut statement, extra) {
        base.extend(extra);
    }
    statement
}

#[test]
fn trust_policies_are_read_with_their_own_rules() {
    let parsed = PolicyDocument::parse(LAMBDA_TRUST, PolicyKind::Trust);
    let Ok(parsed) = parsed else {
        panic!("{parsed:?}");
    };
    assert_eq!(
        parsed.statements[0].principal,
        Some(PrincipalElement::Principal(Principals::Listed(vec![
            PrincipalId {
                kind: PrincipalKind::Service,
                value: "lambda.amazonaws.com".into()
            }
        ])))
    );
    assert_eq!(parsed.statements[0].resource, None);
    // Trust policies may be written in the 2008 language, without a version, with spaces in a Sid.
    for accepted in [
        json!({"Version": "2008-10-17", "Statement": [trust_stmt(json!({"Sid": ""}))]}),
        json!({"Statement": trust_stmt(json!({}))}),
        trust(trust_stmt(json!({"Sid": "Allow Lambda"}))),
        trust(trust_stmt(json!({"Principal": "*"}))),
        trust(trust_stmt(
            json!({"Principal": {"AWS": ["arn:aws:iam::123456789012:root", "210987654321"]}, "Condition": {"StringEquals": {"sts:ExternalId": "x"}}}),
        )),
        trust(trust_stmt(
            json!({"Action": ["sts:AssumeRole", "sts:TagSession"]}),
        )),
        trust(trust_stmt(json!({"Action": "sts:AssumeRole*"}))),
        trust(trust_stmt(
            json!({"Principal": {"Federated": "cognito-identity.amazonaws.com"}, "Action": "sts:AssumeRoleWithWebIdentity"}),
        )),
        trust(json!([
            trust_stmt(json!({})),
            {"Effect": "Deny", "NotPrincipal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ])),
    ] {
        assert!(
            parse(PolicyKind::Trust, &accepted).is_ok(),
            "{accepted}: {}",
            refused(PolicyKind::Trust, &accepted)
        );
    }
}

#[test]
fn trust_policies_are_refused_with_iams_messages() {
    let cases = [
        // Real answers to CreateRole with a file path in place of the document (aws-samples issues).
        (
            json!("ecs-assume-role-policy.yaml"),
            "This policy contains invalid Json",
        ),
        (
            json!("{\"Version\": \"2012-10-17\""),
            "This policy contains invalid Json",
        ),
        (json!([]), SYNTAX),
        (
            trust(trust_stmt(json!({"Resource": "*"}))),
            "Has prohibited field Resource",
        ),
        (
            trust(trust_stmt(json!({"NotResource": "*"}))),
            "Has prohibited field Resource",
        ),
        (
            trust(json!({"Effect": "Allow", "Action": "sts:AssumeRole"})),
            "Missing required field Principal",
        ),
        (
            trust(trust_stmt(json!({"Principal": {}}))),
            "Missing required field Principal",
        ),
        (
            trust(trust_stmt(json!({"Action": "s3:GetObject"}))),
            "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity",
        ),
        (
            trust(trust_stmt(json!({"Action": "*"}))),
            "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity",
        ),
        (
            trust(
                json!({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "NotAction": "sts:AssumeRole"}),
            ),
            "Trust Policy statement actions can only be sts:AssumeRole, sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity",
        ),
        (
            trust(json!({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}})),
            NO_ACTIONS,
        ),
        (
            trust(trust_stmt(json!({"Action": "AssumeRole"}))),
            NO_VENDOR,
        ),
        (
            trust(trust_stmt(json!({"Principal": "lambda.amazonaws.com"}))),
            SYNTAX,
        ),
        // Real answers quoted in aws-cdk, terraform and ucx issues.
        (
            trust(trust_stmt(json!({"Principal": {"Service": ""}}))),
            "Invalid principal in policy: \"SERVICE\":\"\"",
        ),
        (
            trust(trust_stmt(
                json!({"Principal": {"Service": "amazonaws.com"}}),
            )),
            "Invalid principal in policy: \"SERVICE\":\"amazonaws.com\"",
        ),
        (
            trust(trust_stmt(
                json!({"Principal": {"AWS": "arn:aws:iam::123456789012:role/*"}}),
            )),
            "Invalid principal in policy: \"AWS\":\"arn:aws:iam::123456789012:role/*\"",
        ),
        (trust(trust_stmt(json!({"Effect": "allow"}))), LEGACY),
    ];
    for (document, message) in cases {
        assert_eq!(refused(PolicyKind::Trust, &document), message, "{document}");
    }
}

#[test]
fn trust_policies_list_the_users_and_roles_they_name() {
    let document = trust(json!([
        trust_stmt(
            json!({"Principal": {"AWS": ["arn:aws:iam::123456789012:role/a", "123456789012", "arn:aws:iam::123456789012:root"]}})
        ),
        trust_stmt(
            json!({"Principal": {"AWS": "arn:aws:iam::123456789012:user/u", "Service": "lambda.amazonaws.com"}})
        ),
    ]));
    let Ok(parsed) = parse(PolicyKind::Trust, &document) else {
        panic!("refused: {}", refused(PolicyKind::Trust, &document));
    };
    let named: Vec<&str> = parsed.named_aws_principals().collect();
    assert_eq!(
        named,
        vec![
            "arn:aws:iam::123456789012:role/a",
            "arn:aws:iam::123456789012:user/u"
        ]
    );
    let error = PolicyError::invalid_principal("AWS", named[0]);
    assert_eq!(
        error.to_string(),
        "Invalid principal in policy: \"AWS\":\"arn:aws:iam::123456789012:role/a\""
    );
}

#[test]
fn errors_become_malformed_policy_document() {
    let error = crate::errors::IamError::from(PolicyError::MissingResources);
    assert_eq!(error.code(), "MalformedPolicyDocument");
    assert_eq!(error.status(), 400);
    assert_eq!(error.message(), NO_RESOURCES);
}

#[test]
fn documents_say_whether_they_read_the_request_context() {
    let read = |text: &str, kind| PolicyDocument::parse(text, kind).map(|d| d.reads_context());
    let plain = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*"}]}"#;
    assert_eq!(read(plain, PolicyKind::Managed), Ok(false));
    let variable = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",
        "NotResource":"arn:aws:s3:::${aws:username}/*"}]}"#;
    assert_eq!(read(variable, PolicyKind::Managed), Ok(true));
    let literal = r#"{"Version":"2008-10-17","Statement":[{"Effect":"Allow","Action":"s3:*",
        "Resource":"arn:aws:s3:::${aws:username}/*"}]}"#;
    assert_eq!(
        read(literal, PolicyKind::Inline),
        Ok(false),
        "no variables in the 2008 language"
    );
    let condition = r#"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:*","Resource":"*",
        "Condition":{"Bool":{"aws:SecureTransport":"true"}}}]}"#;
    assert_eq!(read(condition, PolicyKind::Managed), Ok(true));
}
