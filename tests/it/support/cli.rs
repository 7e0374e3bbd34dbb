//! The real binary on the command line against a test database, and the
//! assertions on what it prints.

use super::TestDb;
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The real binary, run in `dir`, with no inherited `CONNECTORS_*` settings
/// and no `RUST_LOG`.
pub fn bare_command(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_connectors"));
    for (k, _) in std::env::vars() {
        if k.starts_with("CONNECTORS_") || k == "RUST_LOG" {
            cmd.env_remove(k);
        }
    }
    // The real binary never checks a connection against a provider here:
    // no scheduled checks, and every built-in's check goes to 127.0.0.1,
    // which the guard refuses before sending anything.
    cmd.env("CONNECTORS_CHECK_INTERVAL", "off");
    cmd.env(
        "CONNECTORS_PROVIDER_URLS",
        "wordpress=http://127.0.0.1:9,medium=http://127.0.0.1:9,twitter=http://127.0.0.1:9,linkedin=http://127.0.0.1:9",
    );
    cmd.current_dir(dir);
    cmd
}

impl TestDb {
    /// Runs the real binary against this database (no inherited
    /// `CONNECTORS_*` settings, no config file).
    pub fn cli(&self, args: &[&str]) -> Output {
        self.cli_with_stdin(args, None)
    }

    /// Like [`TestDb::cli`], reaching the database at `url` (e.g. on
    /// another disk or through a proxy).
    pub fn cli_at(&self, url: &str, args: &[&str]) -> Output {
        self.command_at(url, args).output().expect("run connectors")
    }

    pub fn cli_with_stdin(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut cmd = self.command(args);
        cmd.stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd.spawn().expect("spawn connectors");
        if let Some(input) = stdin {
            use std::io::Write;
            let mut pipe = child.stdin.take().expect("stdin");
            pipe.write_all(input.as_bytes()).expect("write stdin");
        }
        child.wait_with_output().expect("wait for connectors")
    }

    pub fn command(&self, args: &[&str]) -> Command {
        self.command_at(&self.url(), args)
    }

    /// Like [`TestDb::command`], reaching the database at `url` (e.g.
    /// through a proxy).
    pub fn command_at(&self, url: &str, args: &[&str]) -> Command {
        let mut cmd = bare_command(self.data_dir());
        cmd.arg("--database-url")
            .arg(url)
            .arg("--data-dir")
            .arg(self.data_dir())
            .args(args);
        cmd
    }

    /// `user create` of `email` in `tenant` with `role`, without a password.
    pub fn user_create(&self, tenant: &str, email: &str, role: &str) -> Output {
        self.cli(&user_create_args(tenant, email, role))
    }

    /// `user create` of `email` in `tenant` with `role`, the password given
    /// on stdin.
    pub fn user_create_with_password(
        &self,
        tenant: &str,
        email: &str,
        role: &str,
        password: &str,
    ) -> Output {
        let mut args = user_create_args(tenant, email, role).to_vec();
        args.push("--password-stdin");
        self.cli_with_stdin(&args, Some(&format!("{password}\n")))
    }

    /// `user remove` of `email` from `tenant`.
    pub fn user_remove(&self, tenant: &str, email: &str) -> Output {
        self.cli(&["user", "remove", "--tenant", tenant, "--email", email])
    }

    /// `token create` for `email` in `tenant`, with `more` arguments
    /// (`--name`, `--scope`).
    pub fn token_create(&self, tenant: &str, email: &str, more: &[&str]) -> Output {
        let mut args = vec!["token", "create", "--tenant", tenant, "--email", email];
        args.extend_from_slice(more);
        self.cli(&args)
    }

    /// Through the command line: migrates, creates tenant `acme` with admin
    /// `a@acme.test`, and returns a new token of theirs with `scopes`.
    pub fn admin_token(&self, scopes: &[&str]) -> String {
        self.create_acme_admin();
        self.new_admin_token(scopes)
    }

    /// Through the command line: migrates and creates tenant `acme` with
    /// admin `a@acme.test`.
    pub fn create_acme_admin(&self) {
        self.create_acme_admin_at(&self.url());
    }

    /// Like [`TestDb::create_acme_admin`], on the database at `url`.
    pub fn create_acme_admin_at(&self, url: &str) {
        self.cli_at(url, &["migrate"]).assert_ok();
        self.cli_at(url, &["tenant", "create", "acme"]).assert_ok();
        self.cli_at(url, &user_create_args("acme", "a@acme.test", "admin"))
            .assert_ok();
    }

    /// Through the command line: a new token of `a@acme.test` with `scopes`.
    pub fn new_admin_token(&self, scopes: &[&str]) -> String {
        self.new_admin_token_at(&self.url(), scopes)
    }

    /// Like [`TestDb::new_admin_token`], on the database at `url`.
    pub fn new_admin_token_at(&self, url: &str, scopes: &[&str]) -> String {
        let mut args = vec![
            "token",
            "create",
            "--tenant",
            "acme",
            "--email",
            "a@acme.test",
        ];
        for s in scopes {
            args.extend(["--scope", s]);
        }
        self.cli_at(url, &args)
            .assert_ok()
            .stdout_text()
            .trim()
            .to_string()
    }
}

fn user_create_args<'a>(tenant: &'a str, email: &'a str, role: &'a str) -> [&'a str; 8] {
    [
        "user", "create", "--tenant", tenant, "--email", email, "--role", role,
    ]
}

/// Output helpers for CLI assertions.
pub trait OutputExt {
    fn stdout_text(&self) -> String;
    fn stderr_text(&self) -> String;
    fn assert_ok(&self) -> &Self;
    /// Non-zero exit with exactly one line on stderr containing `needle`.
    fn assert_one_line_error(&self, needle: &str) -> &Self;
}

impl OutputExt for Output {
    fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }
    fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }
    fn assert_ok(&self) -> &Self {
        assert!(
            self.status.success(),
            "expected success, got {:?}\nstdout: {}\nstderr: {}",
            self.status,
            self.stdout_text(),
            self.stderr_text()
        );
        self
    }
    fn assert_one_line_error(&self, needle: &str) -> &Self {
        let err = self.stderr_text();
        assert!(!self.status.success(), "expected failure; stderr: {err}");
        assert_eq!(
            err.trim_end().lines().count(),
            1,
            "one line expected: {err}"
        );
        assert!(err.starts_with("error: "), "{err}");
        assert!(err.contains(needle), "{needle:?} not in {err}");
        self
    }
}
