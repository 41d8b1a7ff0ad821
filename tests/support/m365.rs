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
//! - `NAMESPACE` answers personal only: `* NAMESPACE (("" "/")) NIL NIL`;
//! - `AUTHENTICATE XOAUTH2` (advertised as `AUTH=XOAUTH2`) is answered by the proxy: the SASL
//!   `user=<shared address>^Aauth=Bearer <token>^A^A` is decoded, the token looked up among
//!   those a test allowed ([`M365Proxy::allow_token`]: token → test-bed agent), and the session
//!   logged in to Dovecot as the delegated `<shared>*<agent>` with the agent's password (the
//!   way Exchange opens a shared mailbox for a delegate's token). An unknown token, or a `user=`
//!   that is no shared account, gets `NO AUTHENTICATE failed.` and reaches nothing.
//!
//! Fault switches (for the folder-mode claim tests): [`M365Proxy::refuse_create`] (CREATE
//! answered `NO [NOPERM]`, as for an agent without the `k` right),
//! [`M365Proxy::refuse_move_into`] (a MOVE into a folder answered `NO [NOPERM]`, as without `i`
//! there), [`M365Proxy::drop_moves`] (a token's next MOVEs: the connection is dropped before
//! the command is forwarded, or right after it was executed, before its answer reaches the
//! client), [`M365Proxy::hide_move`] (no MOVE capability: a client copies and expunges).
//! [`M365Proxy::commands`] lists every command line a client sent.
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

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use super::testbed::Testbed;
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
    shared: Arc<Shared>,
}

/// When a dropped MOVE's connection goes away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DropAt {
    /// The MOVE never reaches the server.
    BeforeForwarding,
    /// The server executes the MOVE; its answer never reaches the client.
    AfterForwarding,
}

/// What every connection of one proxy shares: its answers, tokens and fault switches.
#[derive(Default)]
struct Shared {
    refused: Mutex<Vec<String>>,
    commands: Mutex<Vec<String>>,
    /// Bearer token → the test-bed agent it stands for.
    tokens: Mutex<HashMap<String, String>>,
    refuse_create: AtomicBool,
    hide_move: AtomicBool,
    refuse_move_into: Mutex<Option<String>>,
    /// Token → (when, how many MOVEs still to drop).
    drops: Mutex<HashMap<String, (DropAt, usize)>>,
}

impl Shared {
    fn refuse(&self, line: &[u8]) {
        self.refused
            .lock()
            .expect("refused commands")
            .push(String::from_utf8_lossy(line).trim_end().to_string());
    }

    /// Whether this MOVE of a session authenticated with `token` is to be dropped, and when.
    fn drop_move(&self, token: Option<&str>) -> Option<DropAt> {
        let mut drops = self.drops.lock().expect("drops");
        let (at, left) = drops.get_mut(token?)?;
        if *left == 0 {
            return None;
        }
        *left -= 1;
        Some(*at)
    }
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
            shared: Arc::default(),
        };
        let (stop, sockets, shared) = (
            proxy.stop.clone(),
            proxy.sockets.clone(),
            proxy.shared.clone(),
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
                relay(client, server, shared.clone());
            }
        });
        proxy
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The commands the proxy answered itself (refused keyword STOREs, ACL/METADATA commands,
    /// and what a fault switch refused).
    pub fn refused(&self) -> Vec<String> {
        self.shared
            .refused
            .lock()
            .expect("refused commands")
            .clone()
    }

    /// Every command line clients sent (the first line of each; an XOAUTH2 response shown as
    /// `<sasl>`), in the order they arrived.
    pub fn commands(&self) -> Vec<String> {
        self.shared.commands.lock().expect("commands").clone()
    }

    /// Lets `AUTHENTICATE XOAUTH2` with bearer `token` in, as test-bed agent `agent` acting
    /// for the shared account of `user=` (the delegated login `<shared>*<agent>`).
    pub fn allow_token(&self, token: &str, agent: &str) {
        self.shared
            .tokens
            .lock()
            .expect("tokens")
            .insert(token.to_string(), agent.to_string());
    }

    /// CREATE is answered `NO [NOPERM]` (never forwarded) while `on`: an agent without `k`.
    pub fn refuse_create(&self, on: bool) {
        self.shared.refuse_create.store(on, Ordering::SeqCst);
    }

    /// `MOVE` leaves the capability lists of sessions that start while `on` (a server without
    /// MOVE: clients copy and expunge).
    pub fn hide_move(&self, on: bool) {
        self.shared.hide_move.store(on, Ordering::SeqCst);
    }

    /// A MOVE (or COPY) whose target is `folder` (as sent, quotes removed) is answered
    /// `NO [NOPERM]` (never forwarded); `None` lifts it.
    pub fn refuse_move_into(&self, folder: Option<&str>) {
        *self.shared.refuse_move_into.lock().expect("refuse move") = folder.map(str::to_string);
    }

    /// The next `count` MOVEs of sessions authenticated with `token` drop their connection, at
    /// `at`.
    pub fn drop_moves(&self, token: &str, at: DropAt, count: usize) {
        self.shared
            .drops
            .lock()
            .expect("drops")
            .insert(token.to_string(), (at, count));
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

fn relay(client: TcpStream, server: TcpStream, shared: Arc<Shared>) {
    let (Ok(client_read), Ok(server_read)) = (client.try_clone(), server.try_clone()) else {
        return;
    };
    let to_client = Arc::new(Mutex::new(client));
    let to_client2 = to_client.clone();
    // The tag of a MOVE whose answer is swallowed (DropAt::AfterForwarding).
    let swallow: Arc<Mutex<Option<String>>> = Arc::default();
    let swallow2 = swallow.clone();
    let hide_move = shared.hide_move.load(Ordering::SeqCst);
    let server_closer = server.try_clone();
    // Server → client: rewrite response lines, pass literals through.
    thread::spawn(move || {
        let mut from = BufReader::new(server_read);
        let _ = pump(&mut from, &to_client2, &swallow2, hide_move);
        if let Ok(c) = to_client2.lock() {
            let _ = c.shutdown(Shutdown::Both);
        }
        if let Ok(s) = &server_closer {
            let _ = s.shutdown(Shutdown::Both);
        }
    });
    // Client → server: refuse what Exchange refuses, forward the rest.
    thread::spawn(move || {
        let mut from = BufReader::new(client_read);
        let mut server = server;
        let mut token: Option<String> = None;
        let reply = |text: String| -> bool {
            match to_client.lock() {
                Ok(mut c) => c.write_all(text.as_bytes()).is_ok(),
                Err(_) => false,
            }
        };
        loop {
            let mut line = Vec::new();
            match from.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {}
            }
            shared
                .commands
                .lock()
                .expect("commands")
                .push(String::from_utf8_lossy(&line).trim_end().to_string());
            let (tag, command, rest) = parse_command(&line);
            if command == "AUTHENTICATE" && rest.trim().eq_ignore_ascii_case("XOAUTH2") {
                // The client's SASL response comes after an empty challenge.
                if !reply("+ \r\n".into()) {
                    break;
                }
                let mut sasl = Vec::new();
                if from.read_until(b'\n', &mut sasl).unwrap_or(0) == 0 {
                    break;
                }
                shared
                    .commands
                    .lock()
                    .expect("commands")
                    .push("<sasl>".into());
                match xoauth2_login(&shared, &sasl) {
                    Some((login, password, t)) => {
                        token = Some(t);
                        let forwarded = format!("{tag} LOGIN \"{login}\" \"{password}\"\r\n");
                        if server.write_all(forwarded.as_bytes()).is_err() {
                            break;
                        }
                    }
                    None => {
                        shared.refuse(&line);
                        if !reply(format!("{tag} NO AUTHENTICATE failed.\r\n")) {
                            break;
                        }
                    }
                }
                continue;
            }
            if let Some(answer) = refusal(&line).or_else(|| fault_refusal(&shared, &line)) {
                shared.refuse(&line);
                if !reply(answer) {
                    break;
                }
                continue;
            }
            let dropped = (command == "MOVE")
                .then(|| shared.drop_move(token.as_deref()))
                .flatten();
            match dropped {
                Some(DropAt::BeforeForwarding) => break,
                Some(DropAt::AfterForwarding) => {
                    // The pump swallows everything from now on and closes both sides once
                    // the server's tagged answer (the MOVE done) has come.
                    *swallow.lock().expect("swallow") = Some(tag.to_string());
                }
                None => {}
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
        if swallow.lock().map(|s| s.is_none()).unwrap_or(true) {
            let _ = server.shutdown(Shutdown::Both);
            if let Ok(c) = to_client.lock() {
                let _ = c.shutdown(Shutdown::Both);
            }
        }
    });
}

/// `tag`, the command (upper case; `UID` skipped) and the rest of a command line.
fn parse_command(line: &[u8]) -> (String, String, String) {
    let text = String::from_utf8_lossy(line);
    let text = text.trim_end();
    let mut words = text.splitn(3, ' ');
    let tag = words.next().unwrap_or_default().to_string();
    let mut command = words.next().unwrap_or_default().to_ascii_uppercase();
    let mut rest = words.next().unwrap_or_default().to_string();
    if command == "UID" {
        let mut more = rest.splitn(2, ' ');
        command = more.next().unwrap_or_default().to_ascii_uppercase();
        rest = more.next().unwrap_or_default().to_string();
    }
    (tag, command, rest)
}

/// The delegated Dovecot login for an XOAUTH2 response (base64 of `user=..^Aauth=Bearer ..^A^A`):
/// (`<shared>*<agent>`, the agent's password, the token), or `None` when refused.
fn xoauth2_login(shared: &Shared, sasl: &[u8]) -> Option<(String, &'static str, String)> {
    let decoded = base64_decode(String::from_utf8_lossy(sasl).trim())?;
    let text = String::from_utf8(decoded).ok()?;
    let mut user = None;
    let mut token = None;
    for part in text.split('\x01') {
        if let Some(u) = part.strip_prefix("user=") {
            user = Some(u.to_string());
        } else if let Some(t) = part.strip_prefix("auth=Bearer ") {
            token = Some(t.to_string());
        }
    }
    let (user, token) = (user?, token?);
    let agent = shared.tokens.lock().ok()?.get(&token)?.clone();
    let account = user.split('@').next()?.to_ascii_lowercase();
    if !super::testbed::SHARED.contains(&account.as_str()) {
        return None;
    }
    Some((
        format!("{account}*{agent}"),
        Testbed::password(&agent),
        token,
    ))
}

/// Standard base64 (padding optional); `None` on any other character.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    let (mut acc, mut bits) = (0u32, 0u32);
    for c in text.bytes().filter(|&c| c != b'=') {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        } as u32;
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

/// The proxy's answer to a command a fault switch refuses (CREATE, MOVE into a folder).
fn fault_refusal(shared: &Shared, line: &[u8]) -> Option<String> {
    let (tag, command, rest) = parse_command(line);
    if command == "CREATE" && shared.refuse_create.load(Ordering::SeqCst) {
        return Some(format!("{tag} NO [NOPERM] Permission denied\r\n"));
    }
    if command == "MOVE" || command == "COPY" {
        let refused = shared.refuse_move_into.lock().ok()?.clone()?;
        let target = rest.split_once(' ')?.1.trim().trim_matches('"');
        if target == refused {
            return Some(format!("{tag} NO [NOPERM] Permission denied\r\n"));
        }
    }
    None
}

/// Relays one response at a time (its first line rewritten, then each literal and the line
/// after it untouched) while holding the client's writer, so that nothing the other direction
/// writes (a refusal) lands inside a response.
fn pump(
    from: &mut impl BufRead,
    to: &Mutex<TcpStream>,
    swallow: &Mutex<Option<String>>,
    hide_move: bool,
) -> std::io::Result<()> {
    loop {
        let mut line = Vec::new();
        if from.read_until(b'\n', &mut line)? == 0 {
            return Ok(());
        }
        let dropping = swallow.lock().ok().and_then(|s| s.clone());
        if let Some(tag) = dropping {
            // A dropped MOVE: nothing more reaches the client; its tagged answer ends it all.
            if line.starts_with(format!("{tag} ").as_bytes()) {
                return Ok(());
            }
            continue;
        }
        let mut n = literal(&line);
        let mut out = to
            .lock()
            .map_err(|_| std::io::Error::other("client writer poisoned"))?;
        out.write_all(&rewrite_response(&line, hide_move))?;
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
fn rewrite_response(line: &[u8], hide_move: bool) -> Vec<u8> {
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
        let caps = strip_caps(&text["* CAPABILITY ".len()..], hide_move);
        return format!("* CAPABILITY {caps}\r\n").into_bytes();
    }
    if let Some(at) = upper.find("[CAPABILITY ") {
        let start = at + "[CAPABILITY ".len();
        if let Some(len) = text[start..].find(']') {
            return format!(
                "{}{}{}",
                &text[..start],
                strip_caps(&text[start..start + len], hide_move),
                &text[start + len..]
            )
            .into_bytes();
        }
    }
    line.to_vec()
}

/// The capabilities without what Exchange lacks; before login (an `AUTH=` list) with
/// `AUTH=XOAUTH2`, which the proxy answers itself; without `MOVE` when `hide_move`.
fn strip_caps(caps: &str, hide_move: bool) -> String {
    let mut kept: Vec<&str> = caps
        .split_whitespace()
        .filter(|c| {
            let up = c.to_ascii_uppercase();
            let hidden = HIDDEN.contains(&up.as_str())
                || up.starts_with("RIGHTS=")
                || up == "AUTH=XOAUTH2"
                || (hide_move && up == "MOVE");
            !hidden
        })
        .collect();
    if kept
        .iter()
        .any(|c| c.to_ascii_uppercase().starts_with("AUTH="))
    {
        kept.push("AUTH=XOAUTH2");
    }
    kept.join(" ")
}
