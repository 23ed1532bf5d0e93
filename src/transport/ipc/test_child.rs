//! Tests that re-execute the test binary as a child process: the parent
//! spawns itself filtered to one test, with a role in the environment; the
//! child, finding the role, plays the other side and returns.

use std::process::{Child, Command};

const ROLE_ENV: &str = "PSYNE_TEST_CHILD";

/// The name handed to this process if it is the child of `test`.
pub(crate) fn role(test: &str) -> Option<String> {
    let role = std::env::var(ROLE_ENV).ok()?;
    role.strip_prefix(test)?.strip_prefix('=').map(str::to_owned)
}

/// A child running `test` (its full path in the test binary) with `name`;
/// killed and reaped when dropped, so a failing parent never leaves it.
pub(crate) fn spawn(test: &str, name: &str) -> ChildProcess {
    let child = Command::new(std::env::current_exe().unwrap())
        .args(["--exact", test, "--nocapture", "--test-threads", "1"])
        .env(ROLE_ENV, format!("{test}={name}"))
        .spawn()
        .unwrap();
    ChildProcess(child)
}

pub(crate) struct ChildProcess(Child);

impl ChildProcess {
    pub(crate) fn id(&self) -> u32 {
        self.0.id()
    }

    /// Waits for the child and asserts that its side passed.
    pub(crate) fn join(mut self) {
        let status = self.0.wait().unwrap();
        assert!(status.success(), "child failed: {status}");
    }
}

impl Drop for ChildProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
