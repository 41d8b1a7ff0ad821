//! A byte relay between lettre and the SMTP server that refuses plaintext injected around
//! STARTTLS.
//!
//! # Why this exists
//!
//! lettre's `SmtpConnection::starttls` sends `STARTTLS`, reads the `220` through its
//! `BufReader`, then upgrades the socket *under* that reader without discarding what it has
//! already buffered. A man-in-the-middle who appends lines after `220 Ready to start TLS` (in
//! the same segment) has them read as the first answers *inside* TLS: a fake EHLO, even a fake
//! final `250` for a message the server refused. This is the STARTTLS command injection class
//! of CVE-2011-0411 (Postfix, server side) and CVE-2020-14954 (Mutt, client side: bytes
//! buffered before the handshake read as if protected). lettre offers no public way to build
//! its stream from our own TLS stream, so we cannot do the upgrade ourselves.
//!
//! # What it does
//!
//! For `tls = "starttls"`, lettre connects in plaintext to this guard on `127.0.0.1` instead
//! of the server; the guard holds the real TCP connection and copies bytes both ways. lettre
//! still gets `TlsParameters` naming the *real* host: the TLS session, with certificate and
//! host name verification, runs end to end between lettre and the server. The guard never
//! sees plaintext after STARTTLS and holds no key; it only relays ciphertext.
//!
//! Before TLS the guard follows the conversation line by line:
//! - it forwards server lines only while the client has a command (or the greeting) awaiting
//!   its reply; server bytes after the last awaited reply is complete are unsolicited, and
//!   would sit in lettre's buffer until after the handshake: refused;
//! - once the server's final `220` answer to `STARTTLS` arrives, exactly that reply is
//!   forwarded; any other server byte before the client's first TLS byte (a handshake record,
//!   0x16) is an injection: both connections are closed and [`Violation`] says why.
//!
//! After the client's first TLS byte the guard is a plain two-way copy. Either side closing
//! ends both directions; a relay idle in both directions for [`crate::net::IO_TIMEOUT`] is
//! closed, so a stuck server cannot keep its threads alive.
//!
//! # Stage deadlines
//!
//! Every SMTP connection goes through a guard, whatever its `tls` mode: for implicit TLS and
//! for `tls = "none"` it is a plain two-way copy from the start ([`Mode::Relay`]). That makes it
//! the one place where each stage of the conversation (connect and greeting, STARTTLS, AUTH,
//! the mail transaction, QUIT) gets an overall deadline ([`Guard::begin`]): lettre's timeouts
//! are per read, and a server dripping a byte at a time would hold a send forever. Bytes moved
//! either way extend the deadline at [`crate::net::MIN_RATE`], so a big message's DATA over a
//! slow link finishes. Once a stage's deadline passes, both connections are closed and
//! [`Guard::deadline_passed`] says which stage did not complete in time.

use std::collections::VecDeque;
use std::fmt;
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread;
use std::time::{Duration, Instant};

use crate::net::{CONNECT_TIMEOUT, Deadline, IO_TIMEOUT, Server};

/// How often the relay threads wake to look at the stage deadline.
const POLL: Duration = Duration::from_millis(200);

/// What the guard does with the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `tls = "starttls"`: follow the plaintext conversation and refuse injected bytes.
    Starttls,
    /// Implicit TLS: copy bytes both ways from the start.
    Relay,
    /// `tls = "none"`: copy bytes both ways; the server must resolve to loopback only.
    RelayLoopbackOnly,
}

/// A server line longer than this before TLS is refused (lettre's own limit is 1000).
const MAX_PLAIN_LINE: usize = 8192;
/// First byte of a TLS handshake record (ClientHello).
const TLS_HANDSHAKE: u8 = 0x16;

/// Why the guard cut the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Violation {
    /// Server bytes after the `220` to STARTTLS and before the client's TLS handshake.
    AfterStarttls,
    /// Server bytes before TLS that no command asked for.
    Unsolicited,
    /// A server line before TLS longer than any SMTP reply line.
    LineTooLong,
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Violation::AfterStarttls => {
                "the server sent data after agreeing to STARTTLS, before the TLS handshake: possible man-in-the-middle; refusing to continue"
            }
            Violation::Unsolicited => {
                "the server sent data no command asked for, before the TLS handshake: possible man-in-the-middle; refusing to continue"
            }
            Violation::LineTooLong => {
                "the server sent an overlong line before the TLS handshake; refusing to continue"
            }
        })
    }
}

/// What the guard knows of the conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Plaintext SMTP, followed line by line.
    Plain,
    /// The server said `220` to STARTTLS; the client has not sent its first TLS byte yet.
    AwaitingHandshake,
    /// TLS started: bytes are copied as they come.
    Relay,
    /// One side closed or the guard gave up.
    Closed,
}

struct State {
    phase: Phase,
    /// Replies the server owes, oldest first: `true` for the one to STARTTLS. The greeting is
    /// owed from the start.
    awaited: VecDeque<bool>,
    /// The start of the client's current line (enough to recognise `STARTTLS`).
    client_line: Vec<u8>,
    /// The client's current line is longer than `client_line` keeps: not a STARTTLS.
    client_line_long: bool,
    /// Server bytes not yet forwarded: at most an incomplete line.
    server_pending: Vec<u8>,
    violation: Option<Violation>,
    /// The first I/O problem of the relay, with what it was doing.
    error: Option<String>,
    last_activity: Instant,
    /// The current stage and its deadline.
    stage: Option<(String, Deadline)>,
    /// Set when a stage's deadline passed: the stage, the deadline, what it means.
    deadline_passed: Option<String>,
}

impl State {
    fn fail(&mut self, message: String) {
        if self.error.is_none() {
            self.error = Some(message);
        }
        self.phase = Phase::Closed;
    }

    /// Counts `n` bytes moved (extending the stage's deadline); gives up once it has passed.
    /// Returns whether the relay goes on.
    fn tick(&mut self, n: usize) -> bool {
        let Some((stage, deadline)) = self.stage.as_mut() else {
            return true;
        };
        deadline.moved(n);
        if deadline.left().is_some() {
            return true;
        }
        let text = deadline.error(stage).to_string();
        self.deadline_passed = Some(text.clone());
        self.fail(text);
        false
    }

    fn refuse(&mut self, violation: Violation) {
        if self.violation.is_none() {
            self.violation = Some(violation);
        }
        self.phase = Phase::Closed;
    }

    /// Notes client bytes before TLS: each complete line is a command awaiting one reply.
    fn client_plain(&mut self, data: &[u8]) {
        for &b in data {
            if b == b'\n' {
                let starttls = !self.client_line_long
                    && self
                        .client_line
                        .trim_ascii()
                        .eq_ignore_ascii_case(b"STARTTLS");
                self.awaited.push_back(starttls);
                self.client_line.clear();
                self.client_line_long = false;
            } else if self.client_line.len() < 32 {
                self.client_line.push(b);
            } else {
                self.client_line_long = true;
            }
        }
    }

    /// Takes server bytes before TLS; returns the complete, awaited lines to forward, or
    /// records a violation (then the connection is to be closed).
    fn server_plain(&mut self, data: &[u8]) -> Vec<u8> {
        self.server_pending.extend_from_slice(data);
        let mut forward = Vec::new();
        while self.phase == Phase::Plain {
            let Some(end) = self.server_pending.iter().position(|&b| b == b'\n') else {
                if self.server_pending.len() > MAX_PLAIN_LINE {
                    self.refuse(Violation::LineTooLong);
                }
                break;
            };
            if end >= MAX_PLAIN_LINE {
                self.refuse(Violation::LineTooLong);
                break;
            }
            let Some(&starttls) = self.awaited.front() else {
                self.refuse(Violation::Unsolicited);
                break;
            };
            let line: Vec<u8> = self.server_pending.drain(..=end).collect();
            // `NNN-text` continues a reply; `NNN text` or `NNN` ends it.
            let last = line.get(3) != Some(&b'-');
            forward.extend_from_slice(&line);
            if last {
                self.awaited.pop_front();
                if starttls && line.starts_with(b"220") {
                    self.phase = Phase::AwaitingHandshake;
                    if !self.server_pending.is_empty() {
                        self.refuse(Violation::AfterStarttls);
                    }
                }
            }
        }
        if self.phase == Phase::Closed {
            forward.clear();
        }
        forward
    }
}

/// What both relay threads and the [`Guard`] handle see.
struct Shared {
    state: Mutex<State>,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A poisoned lock means a relay thread panicked; its state is still the best we have.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// A running guard: lettre connects to [`Guard::local_addr`].
pub struct Guard {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Guard {
    /// Connects to `server` (with the timeouts of all SMTP connections) and listens on
    /// `127.0.0.1` for the one plaintext connection lettre will make.
    pub fn start(server: &Server) -> io::Result<Guard> {
        Guard::start_with(
            server,
            Mode::Starttls,
            "connect and greeting",
            crate::net::DEFAULT_DEADLINE,
        )
    }

    /// Connects to `server` as `mode` says, with `deadline` armed for the first stage,
    /// `stage` (connect and greeting).
    pub fn start_with(
        server: &Server,
        mode: Mode,
        stage: &str,
        deadline: Duration,
    ) -> io::Result<Guard> {
        let stage = Some((stage.to_string(), Deadline::start(deadline)));
        let upstream = match mode {
            Mode::RelayLoopbackOnly => crate::net::tcp_connect_loopback_only(server)?,
            Mode::Starttls | Mode::Relay => crate::net::tcp_connect(server)?,
        };
        // The relay wakes often to look at the stage deadline; idleness is still IO_TIMEOUT.
        upstream.set_read_timeout(Some(POLL))?;
        upstream.set_write_timeout(Some(POLL))?;
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
            .map_err(|e| io::Error::new(e.kind(), format!("SMTP relay: cannot listen: {e}")))?;
        let addr = listener.local_addr()?;
        listener.set_nonblocking(true)?;
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                phase: match mode {
                    Mode::Starttls => Phase::Plain,
                    Mode::Relay | Mode::RelayLoopbackOnly => Phase::Relay,
                },
                awaited: VecDeque::from([false]),
                client_line: Vec::new(),
                client_line_long: false,
                server_pending: Vec::new(),
                violation: None,
                error: None,
                last_activity: Instant::now(),
                stage,
                deadline_passed: None,
            }),
        });
        let relay = Arc::clone(&shared);
        thread::Builder::new()
            .name("smtp-starttls-guard".into())
            .spawn(move || run(listener, upstream, &relay))?;
        Ok(Guard { addr, shared })
    }

    /// Where lettre connects, in plaintext.
    pub fn local_addr(&self) -> SocketAddr {
        self.addr
    }

    /// Why the guard cut the connection, if it did.
    pub fn violation(&self) -> Option<Violation> {
        self.shared.lock().violation
    }

    /// The relay's first I/O problem, if any (with what it was doing).
    pub fn error(&self) -> Option<String> {
        self.shared.lock().error.clone()
    }

    /// Starts a stage of the conversation (e.g. `AUTH`) with its own overall deadline.
    pub fn begin(&self, stage: &str, deadline: Duration) {
        self.shared.lock().stage = Some((stage.to_string(), Deadline::start(deadline)));
    }

    /// Why the guard cut the connection if a stage did not complete within its deadline:
    /// `AUTH did not complete within 120 s (deadline); …`.
    pub fn deadline_passed(&self) -> Option<String> {
        self.shared.lock().deadline_passed.clone()
    }
}

fn run(listener: TcpListener, upstream: TcpStream, shared: &Arc<Shared>) {
    let client = match accept_one(&listener) {
        Ok(c) => c,
        Err(e) => {
            shared.lock().fail(format!("SMTP relay: {e}"));
            let _ = upstream.shutdown(Shutdown::Both);
            return;
        }
    };
    // Exactly one connection: nobody else may reach the server through this port.
    drop(listener);
    let clones = (|| Ok::<_, io::Error>((client.try_clone()?, upstream.try_clone()?)))();
    let (client2, upstream2) = match clones {
        Ok(c) => c,
        Err(e) => {
            shared.lock().fail(format!("SMTP relay: {e}"));
            close(&client, &upstream);
            return;
        }
    };
    let to_server = Arc::clone(shared);
    let spawned = thread::Builder::new()
        .name("smtp-starttls-guard-up".into())
        .spawn(move || client_to_server(&client2, &upstream2, &to_server));
    if let Err(e) = spawned {
        shared
            .lock()
            .fail(format!("SMTP relay: cannot start the relay: {e}"));
        close(&client, &upstream);
        return;
    }
    server_to_client(&upstream, &client, shared);
}

/// Accepts one connection within [`CONNECT_TIMEOUT`].
fn accept_one(listener: &TcpListener) -> io::Result<TcpStream> {
    let deadline = Instant::now() + CONNECT_TIMEOUT;
    loop {
        match listener.accept() {
            Ok((stream, _)) => {
                stream.set_nonblocking(false)?;
                stream.set_read_timeout(Some(POLL))?;
                stream.set_write_timeout(Some(POLL))?;
                stream.set_nodelay(true)?;
                return Ok(stream);
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                if Instant::now() >= deadline {
                    return Err(io::Error::new(
                        io::ErrorKind::TimedOut,
                        "the SMTP client did not connect to the guard in time",
                    ));
                }
                thread::sleep(Duration::from_millis(5));
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

fn close(a: &TcpStream, b: &TcpStream) {
    let _ = a.shutdown(Shutdown::Both);
    let _ = b.shutdown(Shutdown::Both);
}

/// One read for the relay: `Ok(None)` at the end of the stream or when the relay is over
/// (closed by the other direction, idle both ways for [`IO_TIMEOUT`], or past the stage's
/// deadline).
fn read_some(from: &mut &TcpStream, buf: &mut [u8], shared: &Shared, what: &str) -> Option<usize> {
    loop {
        match from.read(buf) {
            Ok(0) => return None,
            Ok(n) => return shared.lock().tick(n).then_some(n),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                let mut st = shared.lock();
                if st.phase == Phase::Closed || !st.tick(0) {
                    return None;
                }
                if st.last_activity.elapsed() >= IO_TIMEOUT {
                    st.fail(format!(
                        "SMTP relay: timed out after {} s with no data either way",
                        IO_TIMEOUT.as_secs()
                    ));
                    return None;
                }
            }
            Err(e) => {
                let mut st = shared.lock();
                // After the other direction closed, a failed read is just the shutdown.
                if st.phase != Phase::Closed {
                    st.fail(format!("SMTP relay: reading from {what}: {e}"));
                }
                return None;
            }
        }
    }
}

/// Writes all of `data`, waking every [`POLL`] to look at the stage deadline: a peer that
/// reads a byte at a time cannot hold the relay either.
fn write_all(to: &mut &TcpStream, mut data: &[u8], shared: &Shared, what: &str) -> bool {
    let mut stalled_since = Instant::now();
    while !data.is_empty() {
        match to.write(data) {
            Ok(0) => {
                shared
                    .lock()
                    .fail(format!("SMTP relay: writing to {what}: connection closed"));
                return false;
            }
            Ok(n) => {
                data = &data[n..];
                stalled_since = Instant::now();
                if !shared.lock().tick(n) {
                    return false;
                }
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                let mut st = shared.lock();
                if st.phase == Phase::Closed || !st.tick(0) {
                    return false;
                }
                if stalled_since.elapsed() >= IO_TIMEOUT {
                    st.fail(format!(
                        "SMTP relay: writing to {what}: timed out after {} s",
                        IO_TIMEOUT.as_secs()
                    ));
                    return false;
                }
            }
            Err(e) => {
                let mut st = shared.lock();
                if st.phase != Phase::Closed {
                    st.fail(format!("SMTP relay: writing to {what}: {e}"));
                }
                return false;
            }
        }
    }
    true
}

fn client_to_server(client: &TcpStream, server: &TcpStream, shared: &Shared) {
    let mut buf = vec![0u8; 16 * 1024];
    let (mut from, mut to) = (client, server);
    while let Some(n) = read_some(&mut from, &mut buf, shared, "the SMTP client") {
        let data = &buf[..n];
        {
            let mut st = shared.lock();
            st.last_activity = Instant::now();
            match st.phase {
                Phase::Closed => break,
                Phase::Relay => {}
                // The state changes before the bytes leave: the server's answer to them can
                // only arrive after.
                Phase::AwaitingHandshake if data.first() == Some(&TLS_HANDSHAKE) => {
                    st.phase = Phase::Relay;
                }
                Phase::AwaitingHandshake => {
                    // Still plaintext after all: keep following the conversation.
                    st.phase = Phase::Plain;
                    st.client_plain(data);
                }
                Phase::Plain => st.client_plain(data),
            }
        }
        if !write_all(&mut to, data, shared, "the server") {
            break;
        }
    }
    shared.lock().phase = Phase::Closed;
    close(client, server);
}

fn server_to_client(server: &TcpStream, client: &TcpStream, shared: &Shared) {
    let mut buf = vec![0u8; 16 * 1024];
    let (mut from, mut to) = (server, client);
    while let Some(n) = read_some(&mut from, &mut buf, shared, "the server") {
        let data = &buf[..n];
        let forward = {
            let mut st = shared.lock();
            st.last_activity = Instant::now();
            match st.phase {
                Phase::Closed => break,
                Phase::Relay => None,
                Phase::AwaitingHandshake => {
                    st.refuse(Violation::AfterStarttls);
                    break;
                }
                Phase::Plain => {
                    let lines = st.server_plain(data);
                    if st.phase == Phase::Closed {
                        break;
                    }
                    Some(lines)
                }
            }
        };
        let out = forward.as_deref().unwrap_or(data);
        if !out.is_empty() && !write_all(&mut to, out, shared, "the SMTP client") {
            break;
        }
    }
    // The violation (if any) is recorded before the sockets close: lettre's failure is
    // always explained by the time it sees it.
    shared.lock().phase = Phase::Closed;
    close(server, client);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state() -> State {
        State {
            phase: Phase::Plain,
            awaited: VecDeque::from([false]),
            client_line: Vec::new(),
            client_line_long: false,
            server_pending: Vec::new(),
            violation: None,
            error: None,
            last_activity: Instant::now(),
            stage: None,
            deadline_passed: None,
        }
    }

    #[test]
    fn normal_conversation_passes() {
        let mut st = state();
        assert_eq!(st.server_plain(b"220 hi\r\n"), b"220 hi\r\n");
        st.client_plain(b"EHLO me\r\n");
        assert_eq!(st.server_plain(b"250-x\r\n250-STA"), b"250-x\r\n");
        assert_eq!(
            st.server_plain(b"RTTLS\r\n250 8BITMIME\r\n"),
            b"250-STARTTLS\r\n250 8BITMIME\r\n"
        );
        st.client_plain(b"starttls\r\n");
        assert_eq!(st.server_plain(b"220 go\r\n"), b"220 go\r\n");
        assert_eq!(st.phase, Phase::AwaitingHandshake);
        assert_eq!(st.violation, None);
    }

    #[test]
    fn bytes_after_220_are_refused() {
        let mut st = state();
        st.server_plain(b"220 hi\r\n");
        st.client_plain(b"STARTTLS\r\n");
        assert!(st.server_plain(b"220 go ahead\r\n250 fake\r\n").is_empty());
        assert_eq!(st.violation, Some(Violation::AfterStarttls));
        assert_eq!(st.phase, Phase::Closed);
    }

    #[test]
    fn unsolicited_lines_before_starttls_are_refused() {
        let mut st = state();
        st.server_plain(b"220 hi\r\n");
        st.client_plain(b"EHLO me\r\n");
        // A reply for a STARTTLS not yet sent, queued behind the EHLO answer.
        assert!(
            st.server_plain(b"250 STARTTLS\r\n220 go\r\n250 fake\r\n")
                .is_empty()
        );
        assert_eq!(st.violation, Some(Violation::Unsolicited));
    }

    #[test]
    fn refused_starttls_stays_plain() {
        let mut st = state();
        st.server_plain(b"220 hi\r\n");
        st.client_plain(b"STARTTLS\r\n");
        assert_eq!(st.server_plain(b"454 no\r\n"), b"454 no\r\n");
        assert_eq!(st.phase, Phase::Plain);
        assert_eq!(st.violation, None);
    }

    #[test]
    fn overlong_lines_are_refused() {
        let mut st = state();
        st.server_plain(&vec![b'2'; MAX_PLAIN_LINE + 1]);
        assert_eq!(st.violation, Some(Violation::LineTooLong));
    }

    /// A guard in front of a server that accepts and stays silent; returns the guard, the
    /// server's end of the connection and lettre's (here: the test's) end.
    fn relay_to_silent_server() -> (Guard, TcpStream, TcpStream) {
        let server = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).unwrap();
        let port = server.local_addr().unwrap().port();
        let guard = Guard::start(&Server {
            host: "127.0.0.1".into(),
            port,
        })
        .unwrap();
        let (upstream, _) = server.accept().unwrap();
        upstream
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        let client = TcpStream::connect(guard.local_addr()).unwrap();
        client
            .set_read_timeout(Some(Duration::from_secs(10)))
            .unwrap();
        (guard, upstream, client)
    }

    #[test]
    fn client_closing_closes_the_server_side() {
        let (guard, mut upstream, client) = relay_to_silent_server();
        drop(client);
        let mut buf = [0u8; 16];
        assert_eq!(upstream.read(&mut buf).unwrap(), 0);
        assert_eq!(guard.violation(), None);
    }

    #[test]
    fn server_closing_closes_the_client_side() {
        let (guard, upstream, mut client) = relay_to_silent_server();
        (&upstream).write_all(b"220 hi\r\n").unwrap();
        drop(upstream);
        let mut got = Vec::new();
        client.read_to_end(&mut got).unwrap();
        assert_eq!(got, b"220 hi\r\n");
        assert_eq!(guard.violation(), None);
    }

    #[test]
    fn injection_closes_both_sides() {
        let (guard, mut upstream, mut client) = relay_to_silent_server();
        upstream.write_all(b"220 hi\r\n").unwrap();
        let mut buf = [0u8; 64];
        assert_eq!(client.read(&mut buf).unwrap(), 8);
        client.write_all(b"STARTTLS\r\n").unwrap();
        assert_eq!(upstream.read(&mut buf).unwrap(), 10);
        upstream.write_all(b"220 go\r\n250 fake\r\n").unwrap();
        // Closed (or reset) on both sides, nothing of the injected bytes forwarded.
        let mut got = Vec::new();
        let _ = client.read_to_end(&mut got);
        assert!(got.is_empty(), "{got:?}");
        assert!(!matches!(upstream.read(&mut buf), Ok(n) if n > 0));
        assert_eq!(guard.violation(), Some(Violation::AfterStarttls));
    }
}
