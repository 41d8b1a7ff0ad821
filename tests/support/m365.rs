//! A rewriting proxy that makes the test bed's REAL Dovecot look like Microsoft 365 (Exchange
//! Online) IMAP, for folder mode (issue 16; facts in /work/shared/TESTBED.md):
//!
//! - `PERMANENTFLAGS` becomes `(\Seen \Answered \Flagged \Deleted \Draft $MDNSent)` without
//!   `\*` (only the flags Dovecot offered too: a read-only session keeps its empty list), and
//!   the untagged `FLAGS` of a SELECT the same list;
//! - `STORE`/`UID STORE` naming any other keyword is refused with a tagged `NO` by the proxy
//!   itself (never forwarded), the way Exchange refuses it; system flags and `$MDNSent` pass;
//! - `ACL`, `RIGHTS=…`, `CONDSTORE`, `QRESYNC`, `METADATA`, `METADATA-SERVER` (and
//!   `COMPRESS=DEFLATE`, `STARTTLS`, which a rewriting proxy cannot relay) leave every capability
//!   list: the greeting's, the login's tagged `OK [CAPABILITY …]` and `* CAPABILITY`; the ACL and
//!   METADATA commands are answered `BAD` without being forwarded; `MOVE`, `UIDPLUS`, `IDLE` stay;
//! - `NAMESPACE` answers personal only: `* NAMESPACE (("" "/")) NIL NIL`.
//!
//! TLS: none. The proxy speaks plain IMAP to its client on 127.0.0.1 and plain IMAP to
//! Dovecot's plain loopback port (`Testbed::imap_plain_port`): a mailroom account points at
//! [`M365Proxy::port`] with `tls = "none"` (allowed for a loopback host). Literals pass through
//! in both directions (an APPEND's from the client, a FETCH's from the server); only the text
//! around them is looked at.
//!
//! ```ignore
//! let proxy = M365Proxy::start(tb.imap_plain_port);
//! let mut imap = RawImap::connect(proxy.port());
//! ```
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

/// The flags Exchange Online keeps, in its order.
pub const PERMANENT: [&str; 6] = [
    "\\Seen",
    "\\Answered",
    "\\Flagged",
    "\\Deleted",
    "\\Draft",
    "$MDNSent",
];

/// Capabilities Exchange Online does not offer (compared without case; `RIGHTS=` by prefix).
const HIDDEN: [&str; 8] = [
    "ACL",
    "CONDSTORE",
    "QRESYNC",
    "METADATA",
    "METADATA-SERVER",
    "COMPRESS=DEFLATE",
    "STARTTLS",
    "NOTIFY",
];

/// Commands of the hidden extensions, answered `BAD` by the proxy.
const REFUSED_COMMANDS: [&str; 7] = [
    "GETACL",
    "SETACL",
    "DELETEACL",
    "LISTRIGHTS",
    "MYRIGHTS",
    "GETMETADATA",
    "SETMETADATA",
];

pub struct M365Proxy {
    port: u16,
    stop: Arc<AtomicBool>,
    sockets: Arc<Mutex<Vec<TcpStream>>>,
    refused: Arc<Mutex<Vec<String>>>,
}

const TICK: Duration = Duration::from_millis(20);

impl M365Proxy {
    /// Listens on 127.0.0.1 (a free port) and relays each connection, rewritten, to Dovecot's
    /// plain IMAP port 127.0.0.1:`target`.
    pub fn start(target: u16) -> M365Proxy {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().expect("proxy address").port();
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let proxy = M365Proxy {
            port,
            stop: Arc::new(AtomicBool::new(false)),
            sockets: Arc::default(),
            refused: Arc::default(),
        };
        let (stop, sockets, refused) = (
            proxy.stop.clone(),
            proxy.sockets.clone(),
            proxy.refused.clone(),
        );
        thread::spawn(move || {
            while !stop.load(Ordering::SeqCst) {
                let Ok((client, _)) = listener.accept() else {
                    thread::sleep(TICK);
                    continue;
                };
                let _ = client.set_nonblocking(false);
                let Ok(server) = TcpStream::connect(("127.0.0.1", target)) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                if let (Ok(c), Ok(s)) = (client.try_clone(), server.try_clone()) {
                    sockets.lock().expect("proxy sockets").extend([c, s]);
                }
                relay(client, server, refused.clone());
            }
        });
        proxy
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The commands the proxy answered itself (refused keyword STOREs, ACL/METADATA commands).
    pub fn refused(&self) -> Vec<String> {
        self.refused.lock().expect("refused commands").clone()
    }
}

impl Drop for M365Proxy {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        for s in self.sockets.lock().expect("proxy sockets").iter() {
            let _ = s.shutdown(Shutdown::Both);
        }
    }
}

fn relay(client: TcpStream, server: TcpStream, refused: Arc<Mutex<Vec<String>>>) {
    let (Ok(client_read), Ok(server_read)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let to_client = Arc::new(Mutex::new(client));
    let to_client2 = to_client.clone();
    // Server → client: rewrite response lines, pass literals through.
    thread::spawn(move || {
        let mut from = BufReader::new(server_read);
        let _ = pump(&mut from, &to_client2);
        if let Ok(c) = to_client2.lock() {
            let _ = c.shutdown(Shutdown::Both);
        }
    });
    // Client → server: refuse what Exchange refuses, forward the rest.
    thread::spawn(move || {
        let mut from = BufReader::new(client_read);
        let mut server = server;
        loop {
            let mut line = Vec::new();
            match from.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            if let Some(reply) = refusal(&line) {
                refused
                    .lock()
                    .expect("refused commands")
                    .push(String::from_utf8_lossy(&line).trim_end().to_string());
                let Ok(mut c) = to_client.lock() else { break };
                if c.write_all(reply.as_bytes()).is_err() {
                    break;
                }
                continue;
            }
            if server.write_all(&line).is_err() {
                break;
            }
            // The rest of the command after each literal.
            let mut ok = true;
            let mut cur = line;
            while let Some(n) = literal(&cur) {
                let copied = std::io::copy(&mut (&mut from).take(n), &mut server);
                cur = Vec::new();
                if !matches!(copied, Ok(c) if c == n)
                    || from.read_until(b'\n', &mut cur).unwrap_or(0) == 0
                    || server.write_all(&cur).is_err()
                {
                    ok = false;
                    break;
                }
            }
            if !ok {
                break;
            }
        }
        let _ = server.shutdown(Shutdown::Both);
    });
}

/// Relays one response at a time (its first line rewritten, then each literal and the line
/// after it untouched) while holding the client's writer, so that nothing the other direction
/// writes (a refusal) lands inside a response.
fn pump(from: &mut impl BufRead, to: &Mutex<TcpStream>) -> std::io::Result<()> {
    loop {
        let mut line = Vec::new();
        if from.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let mut n = literal(&line);
        let mut out = to
            .lock()
            .map_err(|_| std::io::Error::other("client writer poisoned"))?;
        out.write_all(&rewrite_response(&line))?;
        while let Some(len) = n {
            let copied = std::io::copy(&mut from.take(len), &mut *out)?;
            if copied != len {
                return Ok(());
            }
            let mut rest = Vec::new();
            if from.read_until(b'\n', &mut rest)? == 0 {
                return Ok(());
            }
            n = literal(&rest);
            out.write_all(&rest)?;
        }
        out.flush()?;
    }
}

/// The length of the literal announced at the end of `line` (`{N}` or `{N+}` before CRLF).
pub fn literal(line: &[u8]) -> Option<u64> {
    let text = std::str::from_utf8(line).ok()?;
    let text = text
        .strip_suffix("\r\n")
        .or_else(|| text.strip_suffix('\n'))?;
    let inner = text.strip_suffix('}')?;
    let open = inner.rfind('{')?;
    let digits = inner[open + 1..].trim_end_matches('+');
    digits.parse().ok()
}

/// The proxy's own answer to a client command Exchange refuses, if `line` is one.
fn refusal(line: &[u8]) -> Option<String> {
    let text = std::str::from_utf8(line).ok()?.trim_end();
    let mut words = text.split(' ');
    let tag = words.next()?;
    let mut command = words.next()?.to_ascii_uppercase();
    if command == "UID" {
        command = words.next()?.to_ascii_uppercase();
    }
    if REFUSED_COMMANDS.contains(&command.as_str()) {
        return Some(format!("{tag} BAD Command Argument Error. 11\r\n"));
    }
    if command != "STORE" {
        return None;
    }
    let _set = words.next()?;
    let item = words.next()?.to_ascii_uppercase();
    if !item.contains("FLAGS") {
        return None;
    }
    let flags: Vec<&str> = words
        .flat_map(|w| w.split(['(', ')']))
        .filter(|w| !w.is_empty())
        .collect();
    let keyword = flags
        .iter()
        .any(|f| !f.starts_with('\\') && !f.eq_ignore_ascii_case("$MDNSent"));
    keyword.then(|| format!("{tag} NO Command Argument Error. 12\r\n"))
}

/// The response line rewritten the way Exchange Online would say it.
fn rewrite_response(line: &[u8]) -> Vec<u8> {
    let Ok(text) = std::str::from_utf8(line) else {
        return line.to_vec();
    };
    let upper = text.to_ascii_uppercase();
    if upper.starts_with("* NAMESPACE ") {
        return b"* NAMESPACE ((\"\" \"/\")) NIL NIL\r\n".to_vec();
    }
    if upper.starts_with("* FLAGS (") {
        return format!("* FLAGS ({})\r\n", PERMANENT.join(" ")).into_bytes();
    }
    if let Some(at) = upper.find("[PERMANENTFLAGS (") {
        let start = at + "[PERMANENTFLAGS (".len();
        if let Some(len) = text[start..].find(')') {
            let offered: Vec<&str> = text[start..start + len].split(' ').collect();
            let any = offered.contains(&"\\*");
            let kept: Vec<&str> = PERMANENT
                .iter()
                .copied()
                .filter(|f| offered.contains(f) || (*f == "$MDNSent" && any))
                .collect();
            return format!(
                "{}{}{}",
                &text[..start],
                kept.join(" "),
                &text[start + len..]
            )
            .into_bytes();
        }
    }
    if upper.starts_with("* CAPABILITY ") {
        let caps = strip_caps(&text["* CAPABILITY ".len()..]);
        return format!("* CAPABILITY {caps}\r\n").into_bytes();
    }
    if let Some(at) = upper.find("[CAPABILITY ") {
        let start = at + "[CAPABILITY ".len();
        if let Some(len) = text[start..].find(']') {
            return format!(
                "{}{}{}",
                &text[..start],
                strip_caps(&text[start..start + len]),
                &text[start + len..]
            )
            .into_bytes();
        }
    }
    line.to_vec()
}

fn strip_caps(caps: &str) -> String {
    caps.split_whitespace()
        .filter(|c| {
            let up = c.to_ascii_uppercase();
            !HIDDEN.contains(&up.as_str()) && !up.starts_with("RIGHTS=")
        })
        .collect::<Vec<_>>()
        .join(" ")
}
