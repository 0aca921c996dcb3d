//! Helpers shared by the integration test crates (each `tests/*.rs` is its own crate, so this
//! module is compiled into each one that declares `mod common;`).

#![allow(dead_code)] // not every test crate uses every helper

pub mod crd;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// A fresh directory under the system temp dir, removed on drop.
pub struct TempDir(PathBuf);

impl TempDir {
    /// A new empty directory named after the test crate and `test`, unique in this process.
    pub fn new(test: &str) -> Self {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let n = COUNTER.fetch_add(1, Ordering::Relaxed);
        let krate = env!("CARGO_CRATE_NAME");
        let dir =
            std::env::temp_dir().join(format!("skygen-{krate}-{}-{test}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        Self(dir)
    }

    /// Writes `content` to `name` (parent directories created) and returns its path.
    pub fn write(&self, name: &str, content: impl AsRef<[u8]>) -> String {
        let path = self.0.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)
                .unwrap_or_else(|e| panic!("cannot create {}: {e}", parent.display()));
        }
        std::fs::write(&path, content)
            .unwrap_or_else(|e| panic!("cannot write {}: {e}", path.display()));
        path.to_str().expect("temp path is UTF-8").to_owned()
    }

    /// The path of `name` in this directory, which need not exist.
    pub fn join(&self, name: &str) -> String {
        self.0
            .join(name)
            .to_str()
            .expect("temp path is UTF-8")
            .to_owned()
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}
