//! The reference mock for a test: served from this process (`InProcess`, to read its live
//! sessions) or as a `car-conformance mock` child (`Process`, as a user runs it).

use std::io::{BufRead, BufReader, Lines};
use std::net::SocketAddr;
use std::process::{Child, ChildStderr, ChildStdout, Command, ExitStatus, Output, Stdio};

use car_conformance::mock::{self, LiveState, MockConfig};

use super::bin;

/// A free loopback port, for `mock::start`.
pub fn any_port() -> SocketAddr {
    SocketAddr::from(([127, 0, 0, 1], 0))
}

/// The reference mock served from this process on its own runtime, stopped on drop.
pub struct InProcess {
    pub handle: Option<mock::MockHandle>,
    runtime: tokio::runtime::Runtime,
}

impl InProcess {
    pub fn start(config: MockConfig) -> Self {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .unwrap();
        let handle = runtime.block_on(mock::start(config, any_port())).unwrap();
        Self {
            handle: Some(handle),
            runtime,
        }
    }

    pub fn url(&self) -> String {
        self.handle.as_ref().unwrap().url()
    }

    pub fn live(&self) -> LiveState {
        self.handle.as_ref().unwrap().live()
    }
}

impl Drop for InProcess {
    fn drop(&mut self) {
        if let Some(handle) = self.handle.take() {
            self.runtime.block_on(handle.shutdown());
        }
    }
}

/// A `car-conformance mock` process on a free loopback port, killed on drop.
pub struct Process {
    child: Option<Child>,
    /// The address of its "listening on URL" line.
    pub url: String,
    /// Lines it printed before that one (notices).
    pub before: Vec<String>,
    stdout: Lines<BufReader<ChildStdout>>,
}

impl Process {
    /// `car-conformance mock --listen 127.0.0.1:0 EXTRA…` with a clean environment; its stderr
    /// is dropped.
    pub fn start(extra: &[&str]) -> Self {
        let mut command = bin();
        command.stderr(Stdio::null());
        Self::start_command(command, extra)
    }

    /// As `start`, from a `bin()` command the caller has prepared (environment, stderr).
    pub fn start_command(mut command: Command, extra: &[&str]) -> Self {
        let mut child = command
            .args(["mock", "--listen", "127.0.0.1:0"])
            .args(extra)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the mock starts");
        let mut stdout = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut before = Vec::new();
        // The address comes on the line "listening on URL"; a notice may come before it.
        for _ in 0..10 {
            let Some(Ok(line)) = stdout.next() else { break };
            if let Some(url) = line.trim().strip_prefix("listening on ") {
                return Self {
                    url: url.to_owned(),
                    child: Some(child),
                    before,
                    stdout,
                };
            }
            before.push(line);
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the mock did not say where it listens; it printed {before:?}");
    }

    /// `car-conformance run -q` against it, named `mock` in the report, with `extra` arguments.
    pub fn run(&self, extra: &[&str]) -> Output {
        let mut args = vec!["run", "--target", &self.url, "--target-name", "mock", "-q"];
        args.extend_from_slice(extra);
        super::run(&args)
    }

    /// The next line on its stdout.
    pub fn next_line(&mut self) -> String {
        self.stdout
            .next()
            .expect("the mock prints another line")
            .unwrap()
            .trim()
            .to_owned()
    }

    /// Its stderr, when `start_command` piped it.
    pub fn take_stderr(&mut self) -> ChildStderr {
        self.child
            .as_mut()
            .unwrap()
            .stderr
            .take()
            .expect("stderr is piped")
    }

    /// Sends SIGTERM and waits for the exit.
    #[cfg(unix)]
    pub fn terminate(mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        let sent = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(sent.success());
        child.wait().unwrap()
    }

    /// Kills it and waits for the exit.
    pub fn kill(mut self) -> ExitStatus {
        let mut child = self.child.take().unwrap();
        let _ = child.kill();
        child.wait().unwrap()
    }
}

impl Drop for Process {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
