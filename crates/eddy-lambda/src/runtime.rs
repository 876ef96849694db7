//! Which of Lambda's runtimes eddy can run as a native process, and how. Node.js and Python functions run the
//! local interpreter (found on `PATH`, or configured per runtime) with a small bootstrap program shipped inside
//! the binary (`runtimes/`), which speaks the Runtime API the way AWS's managed runtimes do. `provided.*`
//! functions run the package's own `bootstrap` executable. Runtimes that need a JVM, .NET, Ruby or a container
//! image are refused when the function is created, never accepted and left unrunnable.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use crate::LambdaError;

/// The Node.js bootstrap (an ES module; it loads CommonJS handlers through `createRequire`).
pub const NODE_BOOTSTRAP: &str = include_str!("../../../runtimes/nodejs/bootstrap.mjs");
/// The Python bootstrap.
pub const PYTHON_BOOTSTRAP: &str = include_str!("../../../runtimes/python/bootstrap.py");

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Family {
    Node,
    Python,
    Provided,
}

/// Runtimes AWS still accepts for new functions and eddy can run.
const SUPPORTED: &[&str] = &[
    "nodejs18.x",
    "nodejs20.x",
    "nodejs22.x",
    "nodejs24.x",
    "python3.9",
    "python3.10",
    "python3.11",
    "python3.12",
    "python3.13",
    "python3.14",
    "provided",
    "provided.al2",
    "provided.al2023",
];

/// Runtimes AWS no longer accepts for creating or updating functions.
const DEPRECATED: &[(&str, &str)] = &[
    ("nodejs", "nodejs22.x"),
    ("nodejs4.3", "nodejs22.x"),
    ("nodejs4.3-edge", "nodejs22.x"),
    ("nodejs6.10", "nodejs22.x"),
    ("nodejs8.10", "nodejs22.x"),
    ("nodejs10.x", "nodejs22.x"),
    ("nodejs12.x", "nodejs22.x"),
    ("nodejs14.x", "nodejs22.x"),
    ("nodejs16.x", "nodejs22.x"),
    ("python2.7", "python3.13"),
    ("python3.6", "python3.13"),
    ("python3.7", "python3.13"),
    ("python3.8", "python3.13"),
    ("go1.x", "provided.al2023"),
];

pub fn family(runtime: &str) -> Option<Family> {
    if runtime.starts_with("nodejs") {
        Some(Family::Node)
    } else if runtime.starts_with("python") {
        Some(Family::Python)
    } else if runtime.starts_with("provided") {
        Some(Family::Provided)
    } else {
        None
    }
}

/// Checks that eddy can run `runtime` (the model has already checked it is one of AWS's names).
pub fn check_supported(runtime: &str) -> Result<Family, LambdaError> {
    if let Some((_, newer)) = DEPRECATED.iter().find(|(r, _)| *r == runtime) {
        return Err(LambdaError::InvalidParameterValue(format!(
            "The runtime parameter of {runtime} is no longer supported for creating or updating AWS Lambda functions. We recommend you use the new runtime ({newer}) while creating or updating functions."
        )));
    }
    if SUPPORTED.contains(&runtime) {
        return family(runtime)
            .ok_or_else(|| LambdaError::Service(format!("unclassified runtime {runtime}")));
    }
    Err(LambdaError::InvalidParameterValue(format!(
        "The runtime parameter of {runtime} is not supported by eddy: functions run as native processes, and eddy runs only Node.js (nodejs18.x and later), Python (python3.9 and later) and OS-only (provided, provided.al2, provided.al2023) runtimes. Java, .NET and Ruby functions and container images are refused."
    )))
}

/// `AWS_EXECUTION_ENV` (not set for OS-only runtimes).
pub fn execution_env(runtime: &str) -> Option<String> {
    match family(runtime) {
        Some(Family::Provided) | None => None,
        _ => Some(format!("AWS_Lambda_{runtime}")),
    }
}

/// Where the interpreters are. Configured entries win (keyed by runtime, e.g. `python3.12`, or family,
/// `nodejs` / `python`); otherwise `node` and `python3` are looked up on `PATH`, whatever their version. A
/// found interpreter is asked once for its real executable, so wrappers such as pyenv's shims cost nothing per
/// environment start.
#[derive(Debug, Default)]
pub struct Interpreters {
    pub configured: HashMap<String, PathBuf>,
    resolved: parking_lot::Mutex<HashMap<String, PathBuf>>,
}

impl Interpreters {
    pub fn new(configured: HashMap<String, PathBuf>) -> Interpreters {
        Interpreters {
            configured,
            resolved: parking_lot::Mutex::new(HashMap::new()),
        }
    }

    pub fn resolve(&self, runtime: &str) -> Result<PathBuf, String> {
        if let Some(path) = self.resolved.lock().get(runtime) {
            return Ok(path.clone());
        }
        let path = self.lookup(runtime)?;
        self.resolved
            .lock()
            .insert(runtime.to_string(), path.clone());
        Ok(path)
    }

    fn lookup(&self, runtime: &str) -> Result<PathBuf, String> {
        let fam = family(runtime);
        let family_key = match fam {
            Some(Family::Node) => "nodejs",
            Some(Family::Python) => "python",
            _ => return Err(format!("{runtime} has no interpreter")),
        };
        if let Some(path) = self
            .configured
            .get(runtime)
            .or_else(|| self.configured.get(family_key))
        {
            return Ok(path.clone());
        }
        let candidates: Vec<String> = match fam {
            Some(Family::Node) => vec!["node".into(), "nodejs".into()],
            _ => vec!["python3".into(), "python".into()],
        };
        let probe = match fam {
            Some(Family::Node) => ["-p", "process.execPath"],
            _ => ["-c", "import sys; print(sys.executable)"],
        };
        for name in &candidates {
            if let Some(path) = find_on_path(name) {
                let real = std::process::Command::new(&path)
                    .args(probe)
                    .stdin(std::process::Stdio::null())
                    .stderr(std::process::Stdio::null())
                    .output()
                    .ok()
                    .filter(|o| o.status.success())
                    .map(|o| PathBuf::from(String::from_utf8_lossy(&o.stdout).trim()))
                    .filter(|p| is_executable(p));
                match real {
                    Some(real) => return Ok(real),
                    None => continue,
                }
            }
        }
        Err(format!(
            "no interpreter for {runtime}: none of {} is on PATH (configure one with --lambda-runtime {family_key}=/path/to/interpreter)",
            candidates.join(", ")
        ))
    }
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|candidate| is_executable(candidate))
}

fn is_executable(path: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path)
        .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        .unwrap_or(false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn managed_runtimes_are_classified_and_others_refused() {
        assert_eq!(check_supported("nodejs22.x").unwrap(), Family::Node);
        assert_eq!(check_supported("python3.13").unwrap(), Family::Python);
        assert_eq!(
            check_supported("provided.al2023").unwrap(),
            Family::Provided
        );
        let err = check_supported("java21").unwrap_err();
        assert_eq!(err.code(), "InvalidParameterValueException");
        assert!(err.message().contains("java21"), "{err}");
        let err = check_supported("python3.8").unwrap_err();
        assert!(err.message().contains("no longer supported"), "{err}");
    }

    #[test]
    fn execution_env_is_absent_for_os_only_runtimes() {
        assert_eq!(
            execution_env("python3.12").as_deref(),
            Some("AWS_Lambda_python3.12")
        );
        assert_eq!(execution_env("provided.al2"), None);
    }
}
