//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]
// Outside the library: std atomics are fine here (clippy.toml guards the
// library's loom facade).
#![allow(clippy::disallowed_types)]

use psyne::{Pattern, Receiver, Sender};

/// A pair of pattern `P` with `cap` records of `u64`.
pub fn pair<P: Pattern>(cap: usize) -> (Sender<u64, P>, Receiver<u64, P>) {
    psyne::channel::<u64>().capacity(cap).pattern::<P>().build().unwrap()
}

/// The channels of pattern `P` with `cap` records of `u64` that a test of
/// both descriptor layouts runs on, each with a name for messages:
/// in-process with the default strategy and busy-spinning (both spread
/// descriptors), and, where `ipc://` is built, busy-spinning between two
/// handles of this process, whose ring, for SPSC, packs its descriptors
/// and reuses hot payload slots (see the ring's docs; other patterns'
/// rings are spread). Without `ipc://`, every ring here is spread.
pub fn layouts<P: Pattern>(cap: usize) -> Vec<(String, Sender<u64, P>, Receiver<u64, P>)> {
    use psyne::WaitStrategy;
    let mut all = Vec::new();
    for wait in [WaitStrategy::default(), WaitStrategy::BusySpin] {
        let build = psyne::channel::<u64>().capacity(cap).wait_strategy(wait);
        let (tx, rx) = build.pattern::<P>().build().unwrap();
        all.push((format!("in-process, {wait:?}"), tx, rx));
    }
    #[cfg(all(feature = "ipc", target_os = "linux"))]
    {
        let (tx, rx) = busy_spin_ipc_pair::<P>(cap);
        all.push(("ipc://, BusySpin".to_owned(), tx, rx));
    }
    all
}

/// A busy-spinning `ipc://` channel of pattern `P` with `cap` records of
/// `u64`, both ends in this process, under a fresh name: for SPSC, a ring
/// with packed descriptors and hot payload slots.
#[cfg(all(feature = "ipc", target_os = "linux"))]
pub fn busy_spin_ipc_pair<P: Pattern>(cap: usize) -> (Sender<u64, P>, Receiver<u64, P>) {
    use futures::executor::block_on;
    use psyne::WaitStrategy;
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let uri = format!("ipc://busy-{}-{}-{n}", P::NAME, std::process::id());
    let build = || psyne::channel::<u64>().wait_strategy(WaitStrategy::BusySpin);
    let rx = block_on(build().capacity(cap).pattern::<P>().bind(&uri)).unwrap();
    let tx = block_on(build().pattern::<P>().connect(&uri)).unwrap();
    (tx, rx)
}

/// Instantiates `fn $name<P: Pattern>()` once per pattern, as a module of
/// four tests: the channel conformance suite over patterns.
#[macro_export]
macro_rules! for_each_pattern {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[test]
                fn spsc() { super::$name::<psyne::Spsc>() }
                #[test]
                fn mpsc() { super::$name::<psyne::Mpsc>() }
                #[test]
                fn spmc() { super::$name::<psyne::Spmc>() }
                #[test]
                fn mpmc() { super::$name::<psyne::Mpmc>() }
            }
        )*
    };
}

/// Tests that re-execute their own test binary as a child process: the
/// parent spawns the binary filtered to one test, with a role in the
/// environment; the child, finding the role, plays the other side.
pub mod child {
    use std::io::{BufRead, BufReader};
    use std::process::{Command, Stdio};
    use std::sync::mpsc;
    use std::time::Duration;

    const ROLE_ENV: &str = "PSYNE_TEST_CHILD";

    /// The argument handed to this process if it is a child of `test`.
    pub fn role(test: &str) -> Option<String> {
        let role = std::env::var(ROLE_ENV).ok()?;
        role.strip_prefix(test)?.strip_prefix('=').map(str::to_owned)
    }

    /// Says `line` to the parent (children only). Written to the stdout
    /// handle itself: `println!` goes through the test harness's capture.
    pub fn say(line: &str) {
        use std::io::Write;
        let mut out = std::io::stdout().lock();
        writeln!(out, "psyne-child: {line}").unwrap();
        out.flush().unwrap();
    }

    /// A child process, killed and reaped when dropped, so a failing parent
    /// never leaves one behind.
    pub struct Child {
        child: std::process::Child,
        lines: mpsc::Receiver<String>,
    }

    /// Runs test `test` of this binary in a child with argument `arg`.
    pub fn spawn(test: &str, arg: &str) -> Child {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", test, "--nocapture", "--test-threads", "1"])
            .env(ROLE_ENV, format!("{test}={arg}"))
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                // The harness may have printed `test name ... ` first.
                if let Some((_, said)) = line.split_once("psyne-child: ")
                    && tx.send(said.to_owned()).is_err()
                {
                    break;
                }
            }
        });
        Child { child, lines }
    }

    impl Child {
        /// The next line the child says, waiting at most 30 s.
        pub fn heard(&self) -> String {
            self.lines.recv_timeout(Duration::from_secs(30)).expect("the child said nothing")
        }

        /// Kills the child (SIGKILL) and reaps it.
        pub fn kill(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }

        /// Waits (at most 60 s) for the child and asserts that it passed.
        pub fn join(mut self) {
            let deadline = std::time::Instant::now() + Duration::from_secs(60);
            loop {
                if let Some(status) = self.child.try_wait().unwrap() {
                    assert!(status.success(), "child failed: {status}");
                    return;
                }
                assert!(std::time::Instant::now() < deadline, "child did not finish");
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    impl Drop for Child {
        fn drop(&mut self) {
            self.kill();
        }
    }
}
