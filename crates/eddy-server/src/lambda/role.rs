//! CreateFunction's and UpdateFunctionConfiguration's check of the execution role: Lambda must be able to
//! assume it (`InvalidParameterValueException` `The role defined for the function cannot be assumed by
//! Lambda.`, also AWS's answer for a role that does not exist). The check applies whenever the role exists
//! in eddy's IAM, and with authentication on also to roles that do not exist; with authentication off a role
//! eddy's IAM does not know is accepted as it is, so setups that never created roles keep working.

use eddy_iam::checks::ROLE_CANNOT_BE_ASSUMED;
use eddy_iam::service::LambdaRoleCheck;
use eddy_lambda::LambdaError;

use crate::auth::{Auth, AuthMode};

pub fn check(auth: &Auth, role_arn: &str) -> Result<(), LambdaError> {
    let refused = || LambdaError::InvalidParameterValue(ROLE_CANNOT_BE_ASSUMED.into());
    match auth.iam.lambda_role_check(role_arn) {
        LambdaRoleCheck::Assumable => Ok(()),
        LambdaRoleCheck::NotAssumable => Err(refused()),
        LambdaRoleCheck::Missing if auth.mode == AuthMode::Off => Ok(()),
        LambdaRoleCheck::Missing => Err(refused()),
    }
}
