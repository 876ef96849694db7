//! Code packages. A zip uploaded with CreateFunction or UpdateFunctionCode is checked, hashed (AWS's
//! `CodeSha256` is the base64 SHA-256 of the zip) and stored as a document in the store next to the function
//! record, so function and code commit together and survive a crash. Execution environments run from an
//! unpacked copy under `<data dir>/lambda/code/<sha256 hex>/` (a temporary directory in `--in-memory` mode,
//! removed at shutdown, or by the next in-memory start if eddy was killed), which is only a cache: it is unpacked
//! again from the stored zip whenever it is missing.

use std::io::{Cursor, Read};
use std::path::{Path, PathBuf};

use base64::Engine;
use sha2::{Digest, Sha256};

use crate::LambdaError;

/// AWS's limit on the unzipped size of a function's code.
pub const MAX_UNZIPPED: u64 = 262_144_000;

pub struct CodePackage {
    pub sha256_b64: String,
    pub id: String,
    pub size: u64,
    pub zip: Vec<u8>,
}

fn unzip_error() -> LambdaError {
    LambdaError::InvalidParameterValue(
        "Could not unzip uploaded file. Please check your file, then try to upload again.".into(),
    )
}

/// Checks that `zip` is a readable zip archive within Lambda's unzipped-size limit, and hashes it.
pub fn inspect(zip: Vec<u8>) -> Result<CodePackage, LambdaError> {
    let mut archive = zip::ZipArchive::new(Cursor::new(&zip)).map_err(|_| unzip_error())?;
    let mut total: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index_raw(i).map_err(|_| unzip_error())?;
        if entry.enclosed_name().is_none() {
            return Err(unzip_error());
        }
        total += entry.size();
    }
    if total > MAX_UNZIPPED {
        return Err(LambdaError::InvalidParameterValue(format!(
            "Unzipped size must be smaller than {MAX_UNZIPPED} bytes"
        )));
    }
    let digest = Sha256::digest(&zip);
    let id: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    Ok(CodePackage {
        sha256_b64: base64::engine::general_purpose::STANDARD.encode(digest),
        id,
        size: zip.len() as u64,
        zip,
    })
}

/// Unpacks `zip` into `dest` (which must not exist): into a sibling temporary directory first, then renamed,
/// so a directory that exists is always complete.
pub fn unpack(zip: &[u8], dest: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let parent = dest
        .parent()
        .ok_or_else(|| std::io::Error::other("code directory has no parent"))?;
    std::fs::create_dir_all(parent)?;
    let staging = tempfile::Builder::new()
        .prefix(".unpack-")
        .tempdir_in(parent)?;
    let mut archive = zip::ZipArchive::new(Cursor::new(zip)).map_err(std::io::Error::other)?;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(std::io::Error::other)?;
        let Some(relative) = entry.enclosed_name() else {
            continue;
        };
        let path = staging.path().join(&relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&path)?;
            continue;
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut bytes = Vec::with_capacity(entry.size() as usize);
        entry.read_to_end(&mut bytes)?;
        std::fs::write(&path, &bytes)?;
        // Keep the archive's execute bits; a top-level `bootstrap` is always executable (it must be to run).
        let executable = entry.unix_mode().is_some_and(|m| m & 0o111 != 0)
            || relative.as_os_str() == "bootstrap";
        let mode = if executable { 0o755 } else { 0o644 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode))?;
    }
    let staged = staging.keep();
    match std::fs::rename(&staged, dest) {
        Ok(()) => Ok(()),
        Err(_) if dest.is_dir() => {
            // Someone else unpacked the same code first; theirs is complete.
            let _ = std::fs::remove_dir_all(&staged);
            Ok(())
        }
        Err(e) => {
            let _ = std::fs::remove_dir_all(&staged);
            Err(e)
        }
    }
}

/// The name prefix of an `--in-memory` eddy's temporary code directory.
const TEMP_ROOT_PREFIX: &str = "eddy-lambda-";
/// The file in that directory naming the process it belongs to.
const OWNER_FILE: &str = "owner.pid";

/// Removes the temporary code directories of `--in-memory` eddys that were killed (a clean shutdown removes its
/// own): those whose owner file names a process that no longer exists. A directory without an owner file, or
/// whose owner is alive (or is a later process that reused the id), is left alone.
fn remove_abandoned_temp_roots(temp_dir: &Path) {
    let Ok(entries) = std::fs::read_dir(temp_dir) else {
        return;
    };
    for entry in entries.flatten() {
        let is_ours = entry
            .file_name()
            .to_str()
            .is_some_and(|name| name.starts_with(TEMP_ROOT_PREFIX));
        if !is_ours {
            continue;
        }
        let owner = std::fs::read_to_string(entry.path().join(OWNER_FILE))
            .ok()
            .and_then(|text| text.trim().parse::<i32>().ok());
        if owner.is_some_and(|pid| !process_exists(pid)) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

fn process_exists(pid: i32) -> bool {
    if pid <= 0 {
        return true;
    }
    // Signal 0 checks for the process without sending anything; EPERM means it exists under another user.
    // SAFETY: kill with signal 0 has no effect on the target.
    let result = unsafe { libc::kill(pid, 0) };
    result == 0 || std::io::Error::last_os_error().raw_os_error() != Some(libc::ESRCH)
}

/// Where unpacked code lives.
pub struct CodeCache {
    root: PathBuf,
    /// Holds the temporary root in `--in-memory` mode (removed when eddy stops).
    _temp: Option<tempfile::TempDir>,
}

impl CodeCache {
    pub fn new(data_dir: Option<&Path>) -> std::io::Result<CodeCache> {
        match data_dir {
            Some(dir) => {
                let root = dir.join("lambda").join("code");
                std::fs::create_dir_all(&root)?;
                Ok(CodeCache { root, _temp: None })
            }
            None => {
                remove_abandoned_temp_roots(&std::env::temp_dir());
                let temp = tempfile::Builder::new()
                    .prefix(TEMP_ROOT_PREFIX)
                    .tempdir()?;
                std::fs::write(temp.path().join(OWNER_FILE), std::process::id().to_string())?;
                let root = temp.path().join("code");
                std::fs::create_dir_all(&root)?;
                Ok(CodeCache {
                    root,
                    _temp: Some(temp),
                })
            }
        }
    }

    pub fn dir(&self, id: &str) -> PathBuf {
        self.root.join(id)
    }

    /// The directory of the runtime bootstraps (`LAMBDA_RUNTIME_DIR`), next to the code.
    pub fn runtime_dir(&self) -> PathBuf {
        self.root
            .parent()
            .map(|p| p.join("runtime"))
            .unwrap_or_else(|| self.root.join(".runtime"))
    }

    /// Removes unpacked directories no function refers to any more.
    pub fn retain(&self, live: &std::collections::HashSet<String>) {
        let Ok(entries) = std::fs::read_dir(&self.root) else {
            return;
        };
        for entry in entries.flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            if !live.contains(&name) {
                let _ = std::fs::remove_dir_all(entry.path());
            }
        }
    }
}

#[cfg(test)]
pub(crate) fn zip_of(files: &[(&str, &str, u32)]) -> Vec<u8> {
    use std::io::Write;
    let mut out = Cursor::new(Vec::new());
    {
        let mut writer = zip::ZipWriter::new(&mut out);
        for (name, content, mode) in files {
            let options = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Deflated)
                .unix_permissions(*mode);
            writer.start_file(*name, options).unwrap();
            writer.write_all(content.as_bytes()).unwrap();
        }
        writer.finish().unwrap();
    }
    out.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn abandoned_temp_roots_are_removed_and_live_ones_kept() {
        let temp = tempfile::tempdir().unwrap();
        let make = |name: &str, owner: Option<String>| {
            let dir = temp.path().join(name);
            std::fs::create_dir_all(dir.join("code")).unwrap();
            if let Some(owner) = owner {
                std::fs::write(dir.join(OWNER_FILE), owner).unwrap();
            }
            dir
        };
        // A child that has exited (and been reaped) names a process that no longer exists.
        let mut child = std::process::Command::new("true").spawn().unwrap();
        let dead = child.id();
        child.wait().unwrap();
        let abandoned = make("eddy-lambda-dead", Some(dead.to_string()));
        let live = make("eddy-lambda-live", Some(std::process::id().to_string()));
        let unowned = make("eddy-lambda-old", None);
        let other = make("someone-else", Some(dead.to_string()));
        remove_abandoned_temp_roots(temp.path());
        assert!(!abandoned.exists(), "the dead owner's directory is removed");
        assert!(live.exists() && unowned.exists() && other.exists());
    }

    #[test]
    fn packages_are_hashed_and_unpacked_with_modes() {
        let zip = zip_of(&[
            ("index.js", "exports.handler = async () => 1;", 0o644),
            ("bin/tool", "#!/bin/sh\n", 0o755),
        ]);
        let package = inspect(zip.clone()).unwrap();
        assert_eq!(package.id.len(), 64);
        assert_eq!(package.size, zip.len() as u64);
        let dir = tempfile::tempdir().unwrap();
        let dest = dir.path().join(&package.id);
        unpack(&zip, &dest).unwrap();
        assert_eq!(
            std::fs::read_to_string(dest.join("index.js")).unwrap(),
            "exports.handler = async () => 1;"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(dest.join("bin/tool"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
        // Unpacking again over a complete directory is harmless.
        unpack(&zip, &dest).unwrap();
    }

    #[test]
    fn garbage_is_not_a_zip() {
        let err = inspect(b"not a zip".to_vec()).err().unwrap();
        assert_eq!(err.code(), "InvalidParameterValueException");
    }
}
