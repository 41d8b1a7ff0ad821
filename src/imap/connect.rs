//! Opening an authenticated IMAP session: implicit TLS, STARTTLS done by hand, or plaintext on
//! loopback only; then LOGIN, SASL PLAIN with an authzid, or XOAUTH2.
//!
//! STARTTLS follows the lessons of CVE-2020-14093/14954/28896: a PREAUTH greeting aborts,
//! bytes that arrived before the TLS handshake are discarded, a missing STARTTLS capability
//! or a bad greeting closes the connection, and nothing is sent in cleartext but CAPABILITY
//! and STARTTLS.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use super::ImapError;
pub use super::clock::Arm;
use super::clock::Clock;
use super::list_filter::ListFilter;
use crate::config::{self, AuthMethod, Secret, Tls};
use crate::net::{self, Server};

/// The byte stream under an IMAP client.
///
/// Every read is charged to a [`ReadBudget`]: a hostile or broken server cannot make one
/// response grow memory without bound, because the engine grants each command a budget and
/// a read past it fails. The budget also carries each command's overall deadline (see
/// [`super::clock`]): before every read and write the socket's timeout is set to what is left
/// of it, so a server dripping a byte at a time cannot hold a command forever.
#[derive(Debug)]
pub struct Stream {
    kind: Kind,
    budget: ReadBudget,
    /// The socket timeouts last set, for the text of a timeout.
    read_timeout: Duration,
    write_timeout: Duration,
}

#[derive(Debug)]
enum Kind {
    Tls(Box<native_tls::TlsStream<TcpStream>>),
    /// Only for `tls = "none"` on a loopback host.
    Plain(TcpStream),
}

/// Bytes a connection may still read before the current command counts as hostile, and the
/// current command's deadline.
#[derive(Debug, Clone)]
pub struct ReadBudget(Arc<BudgetShared>);

#[derive(Debug)]
struct BudgetShared {
    bytes: AtomicU64,
    clock: Mutex<Clock>,
    list_filter: Mutex<ListFilter>,
}

/// The default grant per command: far above any sane response to the commands mailroom sends
/// (fetch batches are sized well below it), far below what would hurt the machine.
pub const DEFAULT_READ_BUDGET: u64 = 64 * 1024 * 1024;

impl ReadBudget {
    /// A budget of `bytes`, whose commands each get `deadline` (plus the allowance for the
    /// bytes they move, see [`net::Deadline`]).
    pub fn new(bytes: u64, deadline: Duration) -> ReadBudget {
        ReadBudget(Arc::new(BudgetShared {
            bytes: AtomicU64::new(bytes),
            clock: Mutex::new(Clock::new(deadline)),
            list_filter: Mutex::new(ListFilter::default()),
        }))
    }

    /// Grants `bytes` for the next command(s), with the account's deadline armed.
    pub fn grant(&self, bytes: u64) {
        self.grant_with(bytes, Arm::Default);
    }

    /// Grants `bytes` and arms the deadline as `arm` says for the next command(s): a specific
    /// one, or none at all for a wait that has its own timeout (IDLE).
    pub fn grant_with(&self, bytes: u64, arm: Arm) {
        self.0.bytes.store(bytes, Ordering::Relaxed);
        self.clock().arm(arm);
    }

    /// Switches the dropping of unparsable LIST/LSUB lines on or off (see
    /// [`super::list_filter`]): on around a LIST whose good entries are worth having.
    pub fn skip_bad_list_lines(&self, on: bool) {
        self.list_filter().set(on);
    }

    /// The LIST/LSUB lines skipped since the last call, terminal-safe.
    pub fn skipped_list_lines(&self) -> Vec<String> {
        self.list_filter().take_skipped()
    }

    /// Switches the capture of `* NAMESPACE` lines on or off (the imap crate cannot parse
    /// them; see [`super::list_filter`]).
    pub fn capture_namespace(&self, on: bool) {
        self.list_filter().set_namespace(on);
    }

    /// The `* NAMESPACE` lines captured since the last call, as sent.
    pub fn captured_namespace(&self) -> Vec<Vec<u8>> {
        self.list_filter().take_namespaces()
    }

    fn list_filter(&self) -> MutexGuard<'_, ListFilter> {
        self.0
            .list_filter
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn clock(&self) -> MutexGuard<'_, Clock> {
        // Poisoned only if a thread panicked while holding it; the clock is still usable.
        self.0
            .clock
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn charge(&self, n: usize) -> std::io::Result<()> {
        let bytes = &self.0.bytes;
        let n = n as u64;
        let before = bytes.fetch_sub(n.min(bytes.load(Ordering::Relaxed)), Ordering::Relaxed);
        if before < n {
            bytes.store(0, Ordering::Relaxed);
            return Err(std::io::Error::other(
                "the server sent more data than any answer to this command can need",
            ));
        }
        Ok(())
    }
}

impl Stream {
    /// The stream, and a handle on its socket for shutting it down from another thread.
    fn new(kind: Kind, budget: ReadBudget) -> (Stream, Shutdown) {
        let socket = match &kind {
            Kind::Tls(s) => s.get_ref().try_clone().ok(),
            Kind::Plain(s) => s.try_clone().ok(),
        };
        let stream = Stream {
            kind,
            budget,
            read_timeout: net::IO_TIMEOUT,
            write_timeout: net::IO_TIMEOUT,
        };
        (stream, Shutdown(socket.map(Arc::new)))
    }

    fn tcp(&self) -> &TcpStream {
        match &self.kind {
            Kind::Tls(s) => s.get_ref(),
            Kind::Plain(s) => s,
        }
    }
}

impl Stream {
    /// A read through the LIST filter: what it lets through, read ahead as needed.
    fn read_filtered(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let mut raw = vec![0u8; buf.len().max(4096)];
        loop {
            let n = self.budget.list_filter().take(buf);
            if n > 0 {
                return Ok(n);
            }
            let got = self.read_raw(&mut raw)?;
            let mut filter = self.budget.list_filter();
            filter.feed(raw.get(..got).unwrap_or_default());
            if got == 0 {
                return Ok(filter.take(buf));
            }
        }
    }

    fn read_raw(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if let Some(t) = self.budget.clock().timeout(net::IO_TIMEOUT)? {
            self.tcp().set_read_timeout(Some(t))?;
            self.read_timeout = t;
        }
        let result = match &mut self.kind {
            Kind::Tls(s) => s.read(buf),
            Kind::Plain(s) => s.read(buf),
        };
        let n = match result {
            Ok(n) => n,
            Err(e) if net::is_timeout(&e) => {
                return Err(self.budget.clock().timed_out(self.read_timeout));
            }
            Err(e) => return Err(e),
        };
        self.budget.charge(n)?;
        self.budget.clock().moved(n);
        Ok(n)
    }
}

impl Read for Stream {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        if self.budget.list_filter().active() {
            self.read_filtered(buf)
        } else {
            self.read_raw(buf)
        }
    }
}

impl Write for Stream {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let timeout = {
            let mut clock = self.budget.clock();
            // A new command re-arms the deadline before its first byte goes out.
            clock.writing(buf);
            clock.timeout(net::IO_TIMEOUT)?
        };
        if let Some(t) = timeout {
            self.tcp().set_write_timeout(Some(t))?;
            self.write_timeout = t;
        }
        let result = match &mut self.kind {
            Kind::Tls(s) => s.write(buf),
            Kind::Plain(s) => s.write(buf),
        };
        match result {
            Ok(n) => {
                self.budget.clock().written(buf.get(..n).unwrap_or(buf));
                Ok(n)
            }
            Err(e) if net::is_timeout(&e) => Err(self.budget.clock().timed_out(self.write_timeout)),
            Err(e) => Err(e),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        match &mut self.kind {
            Kind::Tls(s) => s.flush(),
            Kind::Plain(s) => s.flush(),
        }
    }
}

impl imap::extensions::idle::SetReadTimeout for Stream {
    fn set_read_timeout(&mut self, timeout: Option<std::time::Duration>) -> imap::Result<()> {
        // `None` would block forever on a dead peer: fall back to the normal I/O timeout.
        let timeout = timeout.unwrap_or(net::IO_TIMEOUT);
        self.read_timeout = timeout;
        self.tcp()
            .set_read_timeout(Some(timeout))
            .map_err(imap::Error::Io)
    }
}

/// Shuts a connection down from another thread, waking a blocked read (IDLE).
#[derive(Debug, Clone)]
pub struct Shutdown(Option<Arc<TcpStream>>);

impl Shutdown {
    pub fn now(&self) {
        if let Some(s) = &self.0 {
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    }

    /// Bounds every read on the socket from now on (a liveness check waits seconds, not the
    /// normal I/O timeout); `None` restores the normal timeout.
    pub fn read_timeout(&self, timeout: Option<std::time::Duration>) {
        if let Some(s) = &self.0 {
            let _ = s.set_read_timeout(Some(timeout.unwrap_or(net::IO_TIMEOUT)));
        }
    }
}

pub type Session = imap::Session<Stream>;

/// Where and how to reach one account's IMAP server.
pub struct Target<'a> {
    pub account: &'a str,
    pub config: &'a config::Imap,
}

impl Target<'_> {
    pub fn server(&self) -> Server {
        Server {
            host: self.config.host.clone(),
            port: self.config.port(),
        }
    }

    fn err(&self, kind: super::ErrorKind) -> ImapError {
        ImapError {
            account: self.account.to_string(),
            server: self.server(),
            kind: Box::new(kind),
        }
    }
}

/// Longest line accepted before TLS is up (greeting, CAPABILITY): a hostile server gets no
/// more memory than this.
const MAX_PLAIN_LINE: usize = 16 * 1024;

/// Connects and reads the greeting; returns a client ready to authenticate.
pub fn connect(
    target: &Target<'_>,
    budget: &ReadBudget,
) -> Result<(imap::Client<Stream>, Shutdown), ImapError> {
    connect_within(target, budget, net::IO_TIMEOUT)
}

/// Whether the server answers at all: a TCP connection, the TLS handshake and the greeting,
/// each read and write bounded by `timeout`; no login. Cheap enough to ask every few seconds
/// while an account is offline, so it reconnects as soon as the network is back.
pub fn probe(target: &Target<'_>, timeout: std::time::Duration) -> Result<(), ImapError> {
    let budget = ReadBudget::new(MAX_PLAIN_LINE as u64 * 4, timeout);
    connect_within(target, &budget, timeout).map(|_| ())
}

fn connect_within(
    target: &Target<'_>,
    budget: &ReadBudget,
    timeout: std::time::Duration,
) -> Result<(imap::Client<Stream>, Shutdown), ImapError> {
    use super::ErrorKind as K;
    let cfg = target.config;
    let server = target.server();
    if cfg.tls == Tls::None && !config::is_loopback(&cfg.host) {
        return Err(target.err(K::InsecureRefused));
    }
    // Without TLS, the name must resolve to loopback only: "localhost" could be anything.
    let tcp = if cfg.tls == Tls::None {
        net::tcp_connect_loopback_only(&server)
    } else {
        net::tcp_connect(&server)
    }
    .map_err(|e| target.err(K::Connect(e)))?;
    let set_timeout = |tcp: &TcpStream, t| {
        tcp.set_read_timeout(Some(t))
            .and_then(|()| tcp.set_write_timeout(Some(t)))
            .map_err(|e| target.err(K::Connect(e)))
    };
    set_timeout(&tcp, timeout)?;
    // STARTTLS and the TLS handshake read through code that is not ours: a watchdog cuts the
    // connection if they do not end within the deadline.
    let watchdog = match cfg.tls {
        Tls::None => None,
        Tls::Implicit => Some("TLS handshake"),
        Tls::Starttls => Some("greeting, STARTTLS and TLS handshake"),
    }
    .map(|what| net::Watchdog::arm(&tcp, what, cfg.deadline()))
    .transpose()
    .map_err(|e| target.err(K::Connect(e)))?;
    let explain = |e: ImapError| match watchdog.as_ref().and_then(net::Watchdog::fired) {
        Some(text) => target.err(K::Protocol(text)),
        None => e,
    };
    let (kind, greeted) = match cfg.tls {
        Tls::Implicit => (
            Kind::Tls(Box::new(handshake(target, tcp).map_err(explain)?)),
            false,
        ),
        // The greeting came before STARTTLS; the session continues where it was.
        Tls::Starttls => {
            let tcp = starttls_negotiate(target, tcp).map_err(explain)?;
            (
                Kind::Tls(Box::new(handshake(target, tcp).map_err(explain)?)),
                true,
            )
        }
        Tls::None => (Kind::Plain(tcp), false),
    };
    drop(watchdog);
    let (stream, shutdown) = Stream::new(kind, budget.clone());
    let mut client = imap::Client::new(stream);
    if !greeted {
        let greeting = client.read_greeting().map_err(|e| match e {
            imap::Error::Io(e) => target.err(K::Connect(e)),
            e => target.err(K::Greeting(describe(&e))),
        })?;
        check_greeting(target, &greeting)?;
    }
    if timeout != net::IO_TIMEOUT
        && let Some(tcp) = &shutdown.0
    {
        set_timeout(tcp, net::IO_TIMEOUT)?;
    }
    Ok((client, shutdown))
}

fn check_greeting(target: &Target<'_>, greeting: &[u8]) -> Result<(), ImapError> {
    use super::ErrorKind as K;
    let line = String::from_utf8_lossy(greeting);
    let upper = line.to_ascii_uppercase();
    if upper.starts_with("* OK") {
        Ok(())
    } else if upper.starts_with("* PREAUTH") {
        Err(target.err(K::Preauth))
    } else {
        Err(target.err(K::Greeting(crate::sanitize::single_line(line.trim_end()))))
    }
}

fn handshake(
    target: &Target<'_>,
    tcp: TcpStream,
) -> Result<native_tls::TlsStream<TcpStream>, ImapError> {
    use super::ErrorKind as K;
    let connector = net::tls_connector(target.config.ca_file.as_deref())
        .map_err(|e| target.err(K::Tls(e.to_string())))?;
    let host = target
        .config
        .host
        .trim_start_matches('[')
        .trim_end_matches(']');
    connector.connect(host, tcp).map_err(|e| {
        let msg = match e {
            native_tls::HandshakeError::Failure(e) => e.to_string(),
            native_tls::HandshakeError::WouldBlock(_) => "handshake interrupted".to_string(),
        };
        target.err(K::Tls(msg))
    })
}

/// Greeting, CAPABILITY and STARTTLS in cleartext; returns the bare socket for the handshake.
fn starttls_negotiate(target: &Target<'_>, tcp: TcpStream) -> Result<TcpStream, ImapError> {
    use super::ErrorKind as K;
    let io = |e: std::io::Error| target.err(K::Connect(e));
    let mut writer = tcp.try_clone().map_err(io)?;
    // The reader's buffer is dropped before the handshake: whatever the server (or a man in
    // the middle) sent ahead of TLS is discarded, never read as if it were protected.
    let mut reader = BufReader::new(tcp.try_clone().map_err(io)?);
    let greeting = read_plain_line(target, &mut reader)?;
    check_greeting(target, greeting.as_bytes())?;

    writer.write_all(b"M0 CAPABILITY\r\n").map_err(io)?;
    let mut has_starttls = false;
    loop {
        let line = read_plain_line(target, &mut reader)?;
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("* CAPABILITY ") {
            has_starttls |= upper.split_ascii_whitespace().any(|c| c == "STARTTLS");
        } else if upper.starts_with("M0 ") {
            if !upper.starts_with("M0 OK") {
                return Err(target.err(K::Greeting(format!(
                    "CAPABILITY failed: {}",
                    crate::sanitize::single_line(line.trim_end())
                ))));
            }
            break;
        }
    }
    if !has_starttls {
        return Err(target.err(K::NoStarttls));
    }
    writer.write_all(b"M1 STARTTLS\r\n").map_err(io)?;
    loop {
        let line = read_plain_line(target, &mut reader)?;
        let upper = line.to_ascii_uppercase();
        if upper.starts_with("M1 ") {
            if !upper.starts_with("M1 OK") {
                return Err(target.err(K::Tls(format!(
                    "the server refused STARTTLS: {}",
                    crate::sanitize::single_line(line.trim_end())
                ))));
            }
            break;
        }
    }
    drop(reader);
    drop(writer);
    Ok(tcp)
}

fn read_plain_line(
    target: &Target<'_>,
    reader: &mut BufReader<TcpStream>,
) -> Result<String, ImapError> {
    use super::ErrorKind as K;
    let mut buf = Vec::new();
    let n = reader
        .by_ref()
        .take(MAX_PLAIN_LINE as u64)
        .read_until(b'\n', &mut buf)
        .map_err(|e| target.err(K::Connect(e)))?;
    if n == 0 {
        return Err(target.err(K::Greeting("the server closed the connection".into())));
    }
    if !buf.ends_with(b"\n") {
        return Err(target.err(K::Greeting(format!(
            "a line longer than {MAX_PLAIN_LINE} bytes before TLS"
        ))));
    }
    Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// SASL PLAIN with an authorization identity: act as `authzid` with `authcid`'s password.
struct PlainAuth<'a> {
    authzid: &'a str,
    authcid: &'a str,
    password: &'a Secret,
}

impl imap::Authenticator for PlainAuth<'_> {
    type Response = Vec<u8>;
    fn process(&self, _challenge: &[u8]) -> Vec<u8> {
        let mut v = Vec::new();
        v.extend_from_slice(self.authzid.as_bytes());
        v.push(0);
        v.extend_from_slice(self.authcid.as_bytes());
        v.push(0);
        v.extend_from_slice(self.password.expose().as_bytes());
        v
    }
}

/// SASL XOAUTH2: `user=` is the mailbox to open (the shared address on Microsoft 365).
struct XOauth2<'a> {
    user: &'a str,
    token: &'a Secret,
}

impl imap::Authenticator for XOauth2<'_> {
    type Response = String;
    fn process(&self, challenge: &[u8]) -> String {
        // The first (empty) challenge gets the token. A non-empty one is the server's JSON
        // error report: RFC 7628 wants an empty answer, after which the server says NO.
        if challenge.is_empty() {
            format!(
                "user={}\x01auth=Bearer {}\x01\x01",
                self.user,
                self.token.expose()
            )
        } else {
            String::new()
        }
    }
}

/// The secret an IMAP or SMTP table points at: `password`, or the output of its command.
pub fn credential(
    auth: AuthMethod,
    password: Option<&Secret>,
    password_command: Option<&str>,
    token_command: Option<&str>,
) -> Result<Secret, config::SecretError> {
    let command = match auth {
        AuthMethod::Password => {
            if let Some(p) = password {
                return Ok(p.clone());
            }
            password_command
        }
        AuthMethod::Xoauth2 => token_command,
    };
    let Some(command) = command else {
        return Err(config::SecretError::Empty {
            command: "(no password or command configured)".into(),
            stderr: String::new(),
        });
    };
    config::secret::run_secret_command(command, config::secret::SECRET_COMMAND_TIMEOUT)
}

/// An authenticated IMAP connection with what the engine needs beside the session.
pub struct ImapConn {
    pub session: Session,
    /// The read budget of the underlying stream; grant before each command.
    pub budget: ReadBudget,
    shutdown: Shutdown,
    /// Capabilities after login, upper-cased.
    capabilities: Vec<String>,
    /// Extensions switched on in this session (ENABLE).
    pub qresync_enabled: bool,
    pub condstore_enabled: bool,
}

impl ImapConn {
    pub fn has(&self, capability: &str) -> bool {
        self.capabilities
            .iter()
            .any(|c| c.eq_ignore_ascii_case(capability))
    }

    /// A handle that can end this connection from another thread.
    pub fn shutdown_handle(&self) -> Shutdown {
        self.shutdown.clone()
    }
}

/// Connects and authenticates as the account's configuration says, fetching the secret.
pub fn open_session(target: &Target<'_>) -> Result<ImapConn, ImapError> {
    use super::ErrorKind as K;
    let cfg = target.config;
    let secret = credential(
        cfg.auth,
        cfg.password.as_ref(),
        cfg.password_command.as_deref(),
        cfg.token_command.as_deref(),
    )
    .map_err(|e| target.err(K::Secret(e)))?;
    open_session_with(target, &secret)
}

/// Connects and authenticates with a secret already at hand (reconnects, IDLE connections).
pub fn open_session_with(target: &Target<'_>, secret: &Secret) -> Result<ImapConn, ImapError> {
    use super::ErrorKind as K;
    let cfg = target.config;
    for s in [
        Some(cfg.login.as_str()),
        cfg.authzid.as_deref(),
        cfg.user.as_deref(),
    ]
    .into_iter()
    .flatten()
    {
        if s.contains(['\r', '\n', '\0']) {
            return Err(target.err(K::Auth("a login name contains a line break or NUL".into())));
        }
    }
    let budget = ReadBudget::new(DEFAULT_READ_BUDGET, cfg.deadline());
    let (client, shutdown) = connect(target, &budget)?;
    let result = match (cfg.auth, cfg.authzid.as_deref()) {
        (AuthMethod::Xoauth2, _) => {
            let user = cfg.user.as_deref().unwrap_or(&cfg.login);
            client.authenticate(
                "XOAUTH2",
                &XOauth2 {
                    user,
                    token: secret,
                },
            )
        }
        (AuthMethod::Password, Some(authzid)) => client.authenticate(
            "PLAIN",
            &PlainAuth {
                authzid,
                authcid: &cfg.login,
                password: secret,
            },
        ),
        (AuthMethod::Password, None) => client.login(&cfg.login, secret.expose()),
    };
    let mut session = result.map_err(|(e, _client)| target.err(K::Auth(describe(&e))))?;
    budget.grant(DEFAULT_READ_BUDGET);
    let capabilities = session
        .capabilities()
        .map(|caps| {
            super::probe::IMPORTANT_CAPABILITIES
                .iter()
                .chain(super::probe::KNOWN_CAPABILITIES.iter())
                .filter(|c| caps.has_str(c))
                .map(|c| c.to_string())
                .collect()
        })
        .map_err(|e| target.err(K::Protocol(format!("CAPABILITY failed: {}", describe(&e)))))?;
    Ok(ImapConn {
        session,
        budget,
        shutdown,
        capabilities,
        qresync_enabled: false,
        condstore_enabled: false,
    })
}

/// A server's answer as one safe line: the text of NO/BAD, or the error itself.
///
/// Never "Bye Response" unless the server sent BYE, never the OS's EAGAIN text for a timeout.
pub fn describe(e: &imap::Error) -> String {
    let text = match e {
        imap::Error::No(r) => r.information.clone(),
        imap::Error::Bad(r) => r.information.clone(),
        // The imap crate files a line it cannot parse under BYE, with this placeholder text;
        // a real BYE is an untagged line the crate reads on, and shows as a closed connection.
        imap::Error::Bye(b) if b.code.is_none() && b.information == "no explanation given" => {
            "the server sent a response line that is not valid IMAP".to_string()
        }
        imap::Error::Bye(b) => format!("the server ended the session (BYE): {}", b.information),
        imap::Error::ConnectionLost => "the server closed the connection".to_string(),
        imap::Error::Io(io)
            if net::is_timeout(io) && io.kind() == std::io::ErrorKind::WouldBlock =>
        {
            // An OS timeout that did not pass through our stream (EAGAIN's own text is
            // "Resource temporarily unavailable").
            format!(
                "timed out after {} s without an answer from the server",
                net::IO_TIMEOUT.as_secs()
            )
        }
        other => other.to_string(),
    };
    crate::sanitize::single_line(&text)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A scripted server: reads come from `input`, writes are dropped.
    struct Scripted(std::io::Cursor<Vec<u8>>);

    impl Read for Scripted {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.0.read(buf)
        }
    }

    impl Write for Scripted {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    /// What `describe` says of the error a LOGIN gets when the server answers `reply`.
    fn login_error(reply: &str) -> String {
        let client = imap::Client::new(Scripted(std::io::Cursor::new(reply.as_bytes().to_vec())));
        match client.login("alice", "pw") {
            Ok(_) => panic!("login accepted"),
            Err((e, _)) => describe(&e),
        }
    }

    #[test]
    fn no_bye_unless_the_server_sent_bye_and_a_timeout_says_timeout() {
        // An unparsable line: the imap crate files it under BYE, "no explanation given".
        let e = login_error("* ))(( \r\na1 OK done\r\n");
        assert_eq!(e, "the server sent a response line that is not valid IMAP");
        // A server that really said BYE.
        let e = login_error("a1 BYE shutting down\r\n");
        assert_eq!(e, "the server ended the session (BYE): shutting down");
        // The connection closed without a word.
        assert_eq!(login_error(""), "the server closed the connection");
        // EAGAIN is how Linux reports a socket timeout.
        let e = describe(&imap::Error::Io(std::io::ErrorKind::WouldBlock.into()));
        assert_eq!(e, "timed out after 30 s without an answer from the server");
        assert!(!e.contains("temporarily unavailable"));
    }
}
