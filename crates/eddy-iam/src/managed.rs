//! The AWS managed policies a stream consumer uses, as AWS has them: `AWSLambdaBasicExecutionRole`,
//! `AWSLambdaDynamoDBExecutionRole`, `AWSLambdaSQSQueueExecutionRole` (all under `/service-role/`) and
//! `AdministratorAccess`. The documents are the current default versions (all `v1`, never revised) from the
//! AWS Managed Policy Reference; ids, dates and paths are those `GetPolicy` returns. They are constants:
//! every account sees them, nobody can change them (IAM answers `UnmodifiableEntity`).

use crate::policy::{PolicyDocument, PolicyError, PolicyKind};

/// One AWS managed policy and its single (default) version.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ManagedPolicy {
    pub name: &'static str,
    pub arn: &'static str,
    pub path: &'static str,
    pub policy_id: &'static str,
    pub description: &'static str,
    pub default_version_id: &'static str,
    /// ISO 8601, as `GetPolicy` returns `CreateDate`.
    pub create_date: &'static str,
    pub update_date: &'static str,
    /// The policy document of the default version.
    pub document: &'static str,
}

impl ManagedPolicy {
    /// The document, parsed.
    pub fn parse(&self) -> Result<PolicyDocument, PolicyError> {
        PolicyDocument::parse(self.document, PolicyKind::Managed)
    }
}

pub const AWS_LAMBDA_BASIC_EXECUTION_ROLE: ManagedPolicy = ManagedPolicy {
    name: "AWSLambdaBasicExecutionRole",
    arn: "arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole",
    path: "/service-role/",
    policy_id: "ANPAJNCQGXC42545SKXIK",
    description: "Provides write permissions to CloudWatch Logs.",
    default_version_id: "v1",
    create_date: "2015-04-09T15:03:43Z",
    update_date: "2015-04-09T15:03:43Z",
    document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents"
      ],
      "Resource": "*"
    }
  ]
}"#,
};

pub const AWS_LAMBDA_DYNAMODB_EXECUTION_ROLE: ManagedPolicy = ManagedPolicy {
    name: "AWSLambdaDynamoDBExecutionRole",
    arn: "arn:aws:iam::aws:policy/service-role/AWSLambdaDynamoDBExecutionRole",
    path: "/service-role/",
    policy_id: "ANPAIP7WNAGMIPYNW4WQG",
    description: "Provides list and read access to DynamoDB streams and write permissions to CloudWatch logs.",
    default_version_id: "v1",
    create_date: "2015-04-09T15:09:29Z",
    update_date: "2015-04-09T15:09:29Z",
    document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "dynamodb:DescribeStream",
        "dynamodb:GetRecords",
        "dynamodb:GetShardIterator",
        "dynamodb:ListStreams",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents"
      ],
      "Resource": "*"
    }
  ]
}"#,
};

/// The policy id is eddy's best knowledge, not confirmed against a recorded `GetPolicy` answer.
pub const AWS_LAMBDA_SQS_QUEUE_EXECUTION_ROLE: ManagedPolicy = ManagedPolicy {
    name: "AWSLambdaSQSQueueExecutionRole",
    arn: "arn:aws:iam::aws:policy/service-role/AWSLambdaSQSQueueExecutionRole",
    path: "/service-role/",
    policy_id: "ANPAJFWJZI6JNND4TSELK",
    description: "Provides receive message, delete message, and read attribute access to SQS queues, and write permissions to CloudWatch logs.",
    default_version_id: "v1",
    create_date: "2018-06-14T21:50:45Z",
    update_date: "2018-06-14T21:50:45Z",
    document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": [
        "sqs:ReceiveMessage",
        "sqs:DeleteMessage",
        "sqs:GetQueueAttributes",
        "logs:CreateLogGroup",
        "logs:CreateLogStream",
        "logs:PutLogEvents"
      ],
      "Resource": "*"
    }
  ]
}"#,
};

pub const ADMINISTRATOR_ACCESS: ManagedPolicy = ManagedPolicy {
    name: "AdministratorAccess",
    arn: "arn:aws:iam::aws:policy/AdministratorAccess",
    path: "/",
    policy_id: "ANPAIWMBCKSKIEE64ZLYK",
    description: "Provides full access to AWS services and resources.",
    default_version_id: "v1",
    create_date: "2015-02-06T18:39:46Z",
    update_date: "2015-02-06T18:39:46Z",
    document: r#"{
  "Version": "2012-10-17",
  "Statement": [
    {
      "Effect": "Allow",
      "Action": "*",
      "Resource": "*"
    }
  ]
}"#,
};

/// Every AWS managed policy eddy has, in `ListPolicies --scope AWS` order (by name).
pub const ALL: [ManagedPolicy; 4] = [
    AWS_LAMBDA_BASIC_EXECUTION_ROLE,
    AWS_LAMBDA_DYNAMODB_EXECUTION_ROLE,
    AWS_LAMBDA_SQS_QUEUE_EXECUTION_ROLE,
    ADMINISTRATOR_ACCESS,
];

/// The AWS managed policy with this ARN.
pub fn by_arn(arn: &str) -> Option<&'static ManagedPolicy> {
    ALL.iter().find(|policy| policy.arn == arn)
}

/// Whether an ARN is in the AWS-owned namespace (`arn:aws:iam::aws:policy/…`), whose policies cannot be
/// created, changed or deleted.
pub fn is_aws_managed_arn(arn: &str) -> bool {
    arn.starts_with("arn:aws:iam::aws:policy/")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::checks::{check_destination_access, check_stream_access};
    use crate::eval::{AccessRequest, Decision, evaluate};

    const STREAM: &str =
        "arn:aws:dynamodb:us-east-1:000000000000:table/Orders/stream/2024-01-01T00:00:00.000";

    #[test]
    fn every_document_is_a_valid_managed_policy() {
        for policy in ALL {
            assert!(policy.parse().is_ok(), "{}", policy.name);
            assert!(
                policy
                    .arn
                    .ends_with(&format!("{}{}", policy.path, policy.name))
            );
            assert_eq!(policy.policy_id.len(), 21);
            assert!(is_aws_managed_arn(policy.arn));
            assert_eq!(by_arn(policy.arn), Some(&policy));
        }
        assert_eq!(by_arn("arn:aws:iam::aws:policy/ReadOnlyAccess"), None);
    }

    #[test]
    fn the_dynamodb_execution_role_reads_streams_and_writes_logs_only() {
        let document = AWS_LAMBDA_DYNAMODB_EXECUTION_ROLE.parse();
        let Ok(document) = document else {
            panic!("AWSLambdaDynamoDBExecutionRole does not parse");
        };
        assert_eq!(check_stream_access(&[&document], STREAM), Ok(()));
        let write = AccessRequest::new(
            "dynamodb:PutItem",
            "arn:aws:dynamodb:us-east-1:000000000000:table/Orders",
        );
        assert_eq!(evaluate(&[&document], &write), Decision::ImplicitDeny);
        let queue = "arn:aws:sqs:us-east-1:000000000000:dlq";
        assert!(check_destination_access(&[&document], queue).is_err());
    }

    #[test]
    fn basic_and_sqs_roles_cannot_read_streams_but_administrator_can_do_anything() {
        for policy in [
            AWS_LAMBDA_BASIC_EXECUTION_ROLE,
            AWS_LAMBDA_SQS_QUEUE_EXECUTION_ROLE,
        ] {
            let Ok(document) = policy.parse() else {
                panic!("{} does not parse", policy.name);
            };
            assert!(
                check_stream_access(&[&document], STREAM).is_err(),
                "{}",
                policy.name
            );
        }
        let Ok(admin) = ADMINISTRATOR_ACCESS.parse() else {
            panic!("AdministratorAccess does not parse");
        };
        assert_eq!(check_stream_access(&[&admin], STREAM), Ok(()));
        let topic = "arn:aws:sns:us-east-1:000000000000:alerts";
        assert_eq!(check_destination_access(&[&admin], topic), Ok(()));
    }
}
