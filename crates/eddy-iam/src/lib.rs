//! eddy-iam: IAM for eddy — a pure core (no HTTP, no storage, no clock of its own) and, on top of it, the
//! durable service the server and the Lambda engine use.
//!
//! * [`policy`]: policy documents parsed and checked as IAM checks them when they are stored, with IAM's
//!   `MalformedPolicyDocument` texts; identity (managed, inline) and trust policies told apart.
//! * [`eval`]: identity-policy evaluation (explicit deny, allow, implicit deny; wildcards; `Not…` elements;
//!   condition operators with `IfExists` and the set operators; policy variables) and trust-policy
//!   evaluation for `sts:AssumeRole`.
//! * [`context`]: the `aws:` global condition keys that apply on one machine.
//! * [`managed`]: the AWS managed policies a stream consumer attaches, with their real documents.
//! * [`errors`]: IAM's and STS's error codes, statuses and entity messages.
//! * [`checks`]: the checks Lambda makes on an execution role when a function or an event source mapping is
//!   created, with Lambda's messages.
//!
//! * [`service`]: [`Iam`], the entities made durable in the store — roles, users, customer managed policies
//!   with versions, access keys, root keys and temporary credentials — with authorization against them.
//!
//! The HTTP APIs (IAM and STS query protocol) and SigV4 verification are in eddy-server.

mod arn;
pub mod checks;
pub mod context;
pub mod errors;
pub mod eval;
pub mod managed;
mod pattern;
pub mod policy;
pub mod service;
mod time;

#[cfg(test)]
mod robustness_tests;

pub use checks::{
    Destination, DestinationDenied, MissingActions, RoleNotAssumable, check_destination_access,
    check_lambda_can_assume, check_stream_access,
};
pub use context::GlobalKeys;
pub use errors::IamError;
pub use eval::{
    AccessRequest, ContextValue, Decision, Principal, RequestContext, allows_assume, evaluate,
    evaluate_trust,
};
pub use managed::ManagedPolicy;
pub use policy::{PolicyDocument, PolicyError, PolicyKind, PolicyVersion};
pub use service::{Caller, Iam, IamConfig, KeyError, KeyInfo, SessionCredentials};
