//! Writing the state file: owner-only and atomic.

use std::fs;
use std::io::Write;
use std::path::Path;

/// Writes `contents` to `path` atomically (a new file beside it, synced, then
/// renamed over it), readable by the owner only where the platform has
/// permission bits (mode 0600 on Unix).
pub fn write_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let tmp = path.with_extension("tmp");
    let _ = fs::remove_file(&tmp);
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    unix::owner_only(&mut options);
    let mut f = options.open(&tmp)?;
    f.write_all(contents)?;
    f.sync_all()?;
    fs::rename(&tmp, path)
}

#[cfg(unix)]
mod unix {
    use std::os::unix::fs::OpenOptionsExt;

    /// New files get mode 0600.
    pub fn owner_only(options: &mut std::fs::OpenOptions) {
        options.mode(0o600);
    }
}
