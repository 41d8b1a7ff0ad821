//! A hostile or broken IMAP server gives a clear error and bounded memory, never a panic or a
//! hang; login strings reach the wire intact but quoted. These servers are deliberately
//! hostile stand-ins on loopback (`tls = "none"`, the explicit opt-out): what a real server
//! does is covered against Dovecot in imap_engine.rs.

use std::io::{BufRead, BufReader, Write};
use std::net::{TcpListener, TcpStream};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

#[derive(Clone, Copy)]
enum Scenario {
    Garbage,
    HugeLiteral,
    UnsolicitedFlood,
    /// Answers SELECT/EXAMINE one byte a second, forever.
    Drip,
    /// Has ACL; its LIST answer holds an unparsable line among good ones.
    BadListLine,
    /// A mailbox of one message whose FETCH says `INTERNALDATE NIL` (the imap crate's reader
    /// panics on it).
    NilDate,
}

/// Answers LOGIN and CAPABILITY normally, then misbehaves on SELECT/EXAMINE.
fn serve(stream: TcpStream, scenario: Scenario, seen: mpsc::Sender<String>) {
    let mut writer = stream.try_clone().unwrap();
    let mut reader = BufReader::new(stream);
    let _ = writer.write_all(b"* OK hostile IMAP ready\r\n");
    let mut line = String::new();
    while reader.read_line(&mut line).map(|n| n > 0).unwrap_or(false) {
        let _ = seen.send(line.clone());
        let mut parts = line.split_whitespace();
        let tag = parts.next().unwrap_or("*").to_string();
        let cmd = parts.next().unwrap_or("").to_ascii_uppercase();
        let reply: Vec<u8> = match cmd.as_str() {
            "LOGIN" => format!("{tag} OK logged in\r\n").into_bytes(),
            "CAPABILITY" => format!("* CAPABILITY IMAP4rev1 ACL\r\n{tag} OK\r\n").into_bytes(),
            "LIST" if matches!(scenario, Scenario::BadListLine) => format!(
                "* LIST () \"/\" INBOX\r\n* LIST () \"/\" Good1\r\n* LIST (\\Bad)) \"/\r\n* LIST () \"/\" Good2\r\n{tag} OK listed\r\n"
            )
            .into_bytes(),
            "MYRIGHTS" if matches!(scenario, Scenario::BadListLine) => {
                let mailbox = parts.next().unwrap_or("x");
                format!("* MYRIGHTS {mailbox} lrswi\r\n{tag} OK\r\n").into_bytes()
            }
            "SELECT" | "EXAMINE" if matches!(scenario, Scenario::NilDate) => format!(
                "* 1 EXISTS\r\n* OK [UIDVALIDITY 7] v\r\n* OK [UIDNEXT 2] n\r\n{tag} OK [READ-WRITE] done\r\n"
            )
            .into_bytes(),
            "UID" if matches!(scenario, Scenario::NilDate) => {
                match parts.next().unwrap_or("").to_ascii_uppercase().as_str() {
                    "SEARCH" => format!("* SEARCH 1\r\n{tag} OK searched\r\n").into_bytes(),
                    "FETCH" => format!(
                        "* 1 FETCH (UID 1 FLAGS () INTERNALDATE NIL RFC822.SIZE 10 BODY[HEADER.FIELDS (REFERENCES)] {{2}}\r\n\r\n ENVELOPE (NIL NIL NIL NIL NIL NIL NIL NIL NIL NIL))\r\n{tag} OK fetched\r\n"
                    )
                    .into_bytes(),
                    _ => format!("{tag} BAD what\r\n").into_bytes(),
                }
            }
            "SELECT" | "EXAMINE" => match scenario {
                Scenario::NilDate => unreachable!("answered above"),
                Scenario::Garbage => {
                    format!("* ))(( \x00\x7f\r\n* 3 FETCH (UID\r\n{tag} OK [READ-WRITE] done\r\n")
                        .into_bytes()
                }
                Scenario::HugeLiteral => {
                    let _ = writer.write_all(b"* 1 FETCH (BODY[] {4294967295}\r\n");
                    let junk = vec![b'A'; 1 << 20];
                    // 200 MiB of literal, far past any budget; stop when the client hangs up.
                    for _ in 0..200 {
                        if writer.write_all(&junk).is_err() {
                            return;
                        }
                    }
                    return;
                }
                Scenario::BadListLine => format!("{tag} OK done\r\n").into_bytes(),
                Scenario::Drip => {
                    for b in b"* OK [UIDVALIDITY 1] still thinking about it"
                        .iter()
                        .cycle()
                    {
                        if writer.write_all(&[*b]).is_err() {
                            return;
                        }
                        thread::sleep(Duration::from_secs(1));
                    }
                    return;
                }
                Scenario::UnsolicitedFlood => {
                    let chunk: Vec<u8> = b"* 1 EXISTS\r\n".repeat(100_000);
                    for _ in 0..200 {
                        if writer.write_all(&chunk).is_err() {
                            return;
                        }
                    }
                    return;
                }
            },
            "LOGOUT" => format!("* BYE\r\n{tag} OK\r\n").into_bytes(),
            _ => format!("{tag} BAD what\r\n").into_bytes(),
        };
        if writer.write_all(&reply).is_err() {
            return;
        }
        line.clear();
    }
}

fn hostile(scenario: Scenario) -> (u16, mpsc::Receiver<String>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        // One connection at a time is enough: list opens one session.
        for stream in listener.incoming().take(4) {
            let Ok(stream) = stream else { return };
            let tx = tx.clone();
            thread::spawn(move || serve(stream, scenario, tx));
        }
    });
    (port, rx)
}

fn config(dir: &std::path::Path, port: u16, login: &str) -> std::path::PathBuf {
    config_with(dir, port, login, "")
}

/// [`config`] with more lines for `[account.imap]`.
fn config_with(dir: &std::path::Path, port: u16, login: &str, imap: &str) -> std::path::PathBuf {
    let path = dir.join("c.toml");
    std::fs::write(
        &path,
        format!(
            "[agent]\nid = \"alice\"\nname = \"A\"\nemail = \"alice@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\nhost = \"127.0.0.1\"\nport = {port}\ntls = \"none\"\nlogin = '{login}'\npassword_command = \"echo pw\"\n{imap}"
        ),
    )
    .unwrap();
    path
}

/// Runs `mailroom list` and samples its resident memory until it exits.
fn list_with_peak_rss(config: &std::path::Path, cache: &std::path::Path) -> (i32, String, u64) {
    let (code, _, stderr, peak) = run_with_peak_rss(config, cache, &["list", "support"]);
    (code, stderr, peak)
}

/// Runs mailroom with `args` and samples its resident memory until it exits: exit code,
/// stdout, stderr, peak RSS in MB.
fn run_with_peak_rss(
    config: &std::path::Path,
    cache: &std::path::Path,
    args: &[&str],
) -> (i32, String, String, u64) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mailroom"))
        .args(["--config", config.to_str().unwrap()])
        .args(args)
        .env("XDG_CACHE_HOME", cache)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let status_path = format!("/proc/{}/status", child.id());
    let mut peak_kb = 0u64;
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if let Ok(text) = std::fs::read_to_string(&status_path)
            && let Some(line) = text.lines().find(|l| l.starts_with("VmRSS:"))
        {
            let kb: u64 = line
                .split_whitespace()
                .nth(1)
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            peak_kb = peak_kb.max(kb);
        }
        assert!(
            Instant::now() < deadline,
            "mailroom hung on a hostile server"
        );
        thread::sleep(Duration::from_millis(5));
    };
    let (mut stdout, mut stderr) = (String::new(), String::new());
    use std::io::Read;
    child
        .stdout
        .take()
        .unwrap()
        .read_to_string(&mut stdout)
        .unwrap();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    (status.code().unwrap_or(-1), stdout, stderr, peak_kb / 1024)
}

#[test]
fn garbage_lines_are_an_error_not_a_panic() {
    let (port, _) = hostile(Scenario::Garbage);
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr, _) = list_with_peak_rss(&config(dir.path(), port, "alice"), dir.path());
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("mailroom:") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[test]
fn a_fetch_the_imap_crate_cannot_read_is_an_error_naming_it_not_a_panic() {
    let (port, seen) = hostile(Scenario::NilDate);
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr, _) = list_with_peak_rss(&config(dir.path(), port, "alice"), dir.path());
    let sent: Vec<String> = seen.try_iter().collect();
    assert!(
        sent.iter().any(|l| l.contains("UID FETCH")),
        "the sync never got to its FETCH: {sent:?}\n{stderr}"
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("UID FETCH") && !stderr.contains("panicked"),
        "{stderr}"
    );
}

#[test]
fn an_absurd_literal_ends_in_an_error_with_bounded_memory() {
    let (port, _) = hostile(Scenario::HugeLiteral);
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr, peak_mb) =
        list_with_peak_rss(&config(dir.path(), port, "alice"), dir.path());
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("more data than any answer"), "{stderr}");
    assert!(peak_mb < 200, "peak RSS {peak_mb} MB");
}

#[test]
fn an_unsolicited_flood_ends_in_an_error_with_bounded_memory() {
    let (port, _) = hostile(Scenario::UnsolicitedFlood);
    let dir = tempfile::tempdir().unwrap();
    let (code, stderr, peak_mb) =
        list_with_peak_rss(&config(dir.path(), port, "alice"), dir.path());
    assert_eq!(code, 1, "{stderr}");
    assert!(peak_mb < 200, "peak RSS {peak_mb} MB");
}

#[test]
fn an_exchange_style_login_passes_through_quoted() {
    let (port, seen) = hostile(Scenario::Garbage);
    let dir = tempfile::tempdir().unwrap();
    let _ = list_with_peak_rss(
        &config(dir.path(), port, r"alice@example.test\support"),
        dir.path(),
    );
    let lines: Vec<String> = seen.try_iter().collect();
    let login = lines
        .iter()
        .find(|l| l.contains("LOGIN"))
        .expect("a LOGIN was sent");
    assert!(
        login.contains(r#""alice@example.test\\support""#),
        "{login:?}"
    );
    assert!(lines.iter().all(|l| !l.contains("STARTTLS")));
}

#[test]
fn a_server_dripping_a_byte_a_second_is_cut_off_by_the_deadline() {
    let (port, _) = hostile(Scenario::Drip);
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let (code, stderr, _) = list_with_peak_rss(
        &config_with(dir.path(), port, "alice", "deadline = 2\n"),
        dir.path(),
    );
    let took = started.elapsed();
    assert_eq!(code, 1, "{stderr}");
    assert!(took < Duration::from_secs(15), "took {took:?}: {stderr}");
    // The error names the account, the server, the command and the deadline.
    assert!(
        stderr.contains(&format!("account \"support\": IMAP 127.0.0.1:{port}")),
        "{stderr}"
    );
    assert!(
        stderr.contains("SELECT did not complete within 2 s (deadline)")
            || stderr.contains("EXAMINE did not complete within 2 s (deadline)"),
        "{stderr}"
    );
}

#[test]
fn access_skips_an_unparsable_list_entry_with_a_warning_and_reports_the_rest() {
    let (port, _) = hostile(Scenario::BadListLine);
    let dir = tempfile::tempdir().unwrap();
    let (code, stdout, stderr, _) =
        run_with_peak_rss(&config(dir.path(), port, "alice"), dir.path(), &["access"]);
    assert_eq!(code, 0, "{stdout}\n{stderr}");
    for good in ["INBOX", "Good1", "Good2"] {
        assert!(
            stdout
                .lines()
                .any(|l| l.trim_start().starts_with(good) && l.contains("you: lrswi")),
            "{good}: {stdout}"
        );
    }
    assert!(
        stdout
            .contains("warning: skipped a LIST entry that is not valid IMAP: * LIST (\\Bad)) \"/"),
        "{stdout}"
    );
    assert!(
        stderr.contains("mailroom: access: warning: account \"support\": skipped a LIST entry"),
        "{stderr}"
    );
    assert!(
        !stdout.contains("Bye") && !stderr.contains("Bye"),
        "{stdout}\n{stderr}"
    );
}
