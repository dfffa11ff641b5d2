//! The real binary as a child process, for tests that kill it, stop it or
//! read its log.

use std::fs::{File, OpenOptions};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

pub struct ServerProcess {
    child: Child,
    pub address: String,
}

/// Settings every child server gets; `extra` adds or overrides.
fn base_env(database_url: &str, outbox: &Path) -> Vec<(String, String)> {
    [
        ("DATABASE_URL", database_url.to_owned()),
        ("KEY_FILE", crate::helpers::key_file_of(database_url).display().to_string()),
        ("DATABASE_POOL_SIZE", "8".into()),
        ("BIND", "127.0.0.1:0".into()),
        ("OUTBOX_DIR", outbox.display().to_string()),
        ("HTTP_WORKERS", "2".into()),
        ("FORM_MIN_TIME", "0s".into()),
        ("RUST_LOG", "info".into()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect()
}

/// Runs a command of the binary to completion; panics if it fails.
pub fn command(database_url: &str, args: &[&str], stdin: Option<&str>) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_undersigned"))
        .args(args)
        .env_clear()
        .env("DATABASE_URL", database_url)
        .env("KEY_FILE", crate::helpers::key_file_of(database_url))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    if let Some(input) = stdin {
        use std::io::Write;
        child.stdin.take().unwrap().write_all(input.as_bytes()).unwrap();
    }
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8(out.stdout).unwrap()
}

/// Makes petition `p` from the command line.
pub fn create_petition(database_url: &str, dir: &Path) {
    let body = dir.join("body.txt");
    std::fs::write(&body, "Release the report.").unwrap();
    command(
        database_url,
        &["petition", "create", "--slug", "p", "--title", "Petition p", "--body-file", body.to_str().unwrap()],
        None,
    );
}

impl ServerProcess {
    /// Starts the server, appending its log to `log`, and waits until it listens.
    // The child is waited for by `kill`, `terminate` or `Drop`.
    #[allow(clippy::zombie_processes)]
    pub fn start(database_url: &str, outbox: &Path, log: &Path, extra: &[(&str, &str)]) -> Self {
        let offset = std::fs::metadata(log).map(|m| m.len()).unwrap_or(0);
        let file = || OpenOptions::new().create(true).append(true).open(log).unwrap();
        let mut env = base_env(database_url, outbox);
        env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
        let mut child = Command::new(env!("CARGO_BIN_EXE_undersigned"))
            .arg("serve")
            .env_clear()
            .envs(env)
            .stdout(Stdio::from(file()))
            .stderr(Stdio::from(file()))
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let text = read_from(log, offset);
            if let Some(at) = text.find("listening address=") {
                let rest = &text[at + "listening address=".len()..];
                let address = rest.split_whitespace().next().unwrap().to_owned();
                return Self { child, address: format!("http://{address}") };
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the server did not start:\n{text}");
            }
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no chance to clean up.
    pub fn kill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// SIGTERM, then waits for the process to exit (at most 60 s).
    pub fn terminate(mut self) -> ExitStatus {
        let status = Command::new("kill").args(["-TERM", &self.pid().to_string()]).status().unwrap();
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                return status;
            }
            assert!(Instant::now() < deadline, "the server did not stop after SIGTERM");
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_from(log: &Path, offset: u64) -> String {
    use std::io::{Read, Seek, SeekFrom};
    let mut text = String::new();
    if let Ok(mut f) = File::open(log) {
        let _ = f.seek(SeekFrom::Start(offset));
        let _ = f.read_to_string(&mut text);
    }
    text
}

/// The whole log.
pub fn read_log(log: &Path) -> String {
    read_from(log, 0)
}

/// A mail written to the outbox directory: (recipient, confirm token), once
/// the file is complete.
pub fn read_mail(path: &Path) -> Option<(String, String)> {
    let raw = std::fs::read(path).ok()?;
    let message = mail_parser::MessageParser::default().parse(&raw)?;
    let to = message.to()?.first()?.address()?.to_owned();
    let text = message.body_text(0)?;
    let at = text.find("/s/")? + 3;
    let token: String =
        text[at..].chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect();
    (token.len() >= 20).then_some((to, token))
}
