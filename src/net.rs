//! Network basics shared by IMAP and SMTP: trust roots, timeouts, server names.

use std::fmt;
use std::net::{SocketAddr, TcpStream, ToSocketAddrs};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// How long to wait for a TCP connection to be accepted.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one read or write may block before the server counts as unresponsive.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// The overall deadline of one IMAP command or one SMTP stage when the account sets none
/// (`deadline` in `[account.imap]` / `[account.smtp]`).
pub const DEFAULT_DEADLINE: Duration = Duration::from_secs(120);

/// Bytes per second a transfer is assumed to reach at least: every byte moved extends the
/// deadline by `1 / MIN_RATE` s, so a big transfer making real progress (a 20 MB body over a
/// slow link) finishes, while a server dripping a byte a second is cut off near the base.
pub const MIN_RATE: u64 = 16 * 1024;

/// An overall deadline: a base, plus an allowance for the bytes moved at [`MIN_RATE`].
/// Per-read timeouts alone never stop a server that sends one byte just before each expires.
#[derive(Debug, Clone, Copy)]
pub struct Deadline {
    started: Instant,
    base: Duration,
    moved: u64,
}

impl Deadline {
    pub fn start(base: Duration) -> Deadline {
        Deadline {
            started: Instant::now(),
            base,
            moved: 0,
        }
    }

    /// Counts `n` bytes read or written, extending the deadline.
    pub fn moved(&mut self, n: usize) {
        self.moved = self.moved.saturating_add(n as u64);
    }

    /// The time allowed so far: the base plus the allowance for the bytes moved.
    pub fn limit(&self) -> Duration {
        self.base
            .saturating_add(Duration::from_secs_f64(self.moved as f64 / MIN_RATE as f64))
    }

    /// Time left, or `None` once the deadline has passed.
    pub fn left(&self) -> Option<Duration> {
        self.limit()
            .checked_sub(self.started.elapsed())
            .filter(|d| !d.is_zero())
    }

    /// The error for a passed deadline: `what did not complete within N s (deadline)`.
    pub fn error(&self, what: &str) -> std::io::Error {
        std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            format!(
                "{what} did not complete within {} s (deadline); the server may be overloaded or the network stalled",
                self.limit().as_secs()
            ),
        )
    }
}

/// Shuts a socket down when a deadline passes, for steps whose reads we do not own (a TLS
/// handshake, a line-by-line exchange before TLS). Dropping it disarms it.
pub struct Watchdog {
    cancel: Option<std::sync::mpsc::Sender<()>>,
    fired: std::sync::Arc<std::sync::atomic::AtomicBool>,
    what: String,
    after: Duration,
}

impl Watchdog {
    /// Arms a watchdog on `socket`: `what` (e.g. `TLS handshake`) must end within `after`.
    pub fn arm(socket: &TcpStream, what: &str, after: Duration) -> std::io::Result<Watchdog> {
        use std::sync::atomic::Ordering;
        let socket = socket.try_clone()?;
        let (cancel, cancelled) = std::sync::mpsc::channel::<()>();
        let fired = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&fired);
        std::thread::Builder::new()
            .name("net-watchdog".into())
            .spawn(move || {
                if let Err(std::sync::mpsc::RecvTimeoutError::Timeout) =
                    cancelled.recv_timeout(after)
                {
                    flag.store(true, Ordering::SeqCst);
                    let _ = socket.shutdown(std::net::Shutdown::Both);
                }
            })?;
        Ok(Watchdog {
            cancel: Some(cancel),
            fired,
            what: what.to_string(),
            after,
        })
    }

    /// The deadline error if the watchdog cut the connection, for the step's own failure.
    pub fn fired(&self) -> Option<String> {
        self.fired
            .load(std::sync::atomic::Ordering::SeqCst)
            .then(|| {
                format!(
                    "{} did not complete within {} s (deadline); the server may be overloaded or the network stalled",
                    self.what,
                    self.after.as_secs()
                )
            })
    }
}

impl Drop for Watchdog {
    fn drop(&mut self) {
        // The thread wakes at once (the channel disconnects) and exits without firing.
        self.cancel.take();
    }
}

/// The text for a read or write that timed out, instead of the OS's EAGAIN wording.
pub fn timed_out(what: &str, after: Duration) -> std::io::Error {
    std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        format!(
            "{what}: timed out after {} s without an answer from the server",
            after.as_secs().max(1)
        ),
    )
}

/// Whether an I/O error is a read/write timeout (Linux reports EAGAIN for socket timeouts).
pub fn is_timeout(e: &std::io::Error) -> bool {
    matches!(
        e.kind(),
        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
    )
}

/// `host:port` for messages, with an IPv6 literal bracketed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = crate::sanitize::single_line(&self.host);
        if host.contains(':') && !host.starts_with('[') {
            write!(f, "[{host}]:{}", self.port)
        } else {
            write!(f, "{host}:{}", self.port)
        }
    }
}

/// Connects with a timeout to the first address of `host` that answers.
pub fn tcp_connect(server: &Server) -> std::io::Result<TcpStream> {
    connect_any(resolve(server)?)
}

/// Like [`tcp_connect`], for `tls = "none"`: refuses unless every address the host resolves
/// to is a loopback address. A name like `localhost` passes validation, but only the
/// resolved addresses say whether cleartext stays on this machine.
pub fn tcp_connect_loopback_only(server: &Server) -> std::io::Result<TcpStream> {
    connect_any(resolve_loopback_only(server)?)
}

/// The addresses of `server`, all of them loopback, or an error naming the first that is not.
/// For clients that connect by themselves (lettre): pass them the addresses, not the name,
/// so nothing is resolved twice.
pub fn resolve_loopback_only(server: &Server) -> std::io::Result<Vec<SocketAddr>> {
    let addrs = resolve(server)?;
    // An IPv4-mapped IPv6 address (::ffff:127.0.0.1) is loopback too.
    if let Some(bad) = addrs.iter().find(|a| !a.ip().to_canonical().is_loopback()) {
        return Err(std::io::Error::new(
            std::io::ErrorKind::PermissionDenied,
            format!(
                "{server} resolves to {}, which is not a loopback address: tls = \"none\" is only allowed on loopback",
                bad.ip()
            ),
        ));
    }
    Ok(addrs)
}

fn resolve(server: &Server) -> std::io::Result<Vec<SocketAddr>> {
    let host = server.host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = (host, server.port).to_socket_addrs()?.collect();
    if addrs.is_empty() {
        return Err(std::io::Error::new(
            std::io::ErrorKind::NotFound,
            "the host name has no address",
        ));
    }
    Ok(addrs)
}

fn connect_any(addrs: Vec<SocketAddr>) -> std::io::Result<TcpStream> {
    let mut last = None;
    for addr in addrs {
        match TcpStream::connect_timeout(&addr, CONNECT_TIMEOUT) {
            Ok(s) => {
                s.set_read_timeout(Some(IO_TIMEOUT))?;
                s.set_write_timeout(Some(IO_TIMEOUT))?;
                s.set_nodelay(true)?;
                return Ok(s);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| {
        std::io::Error::new(std::io::ErrorKind::NotFound, "the host name has no address")
    }))
}

/// An error's text followed by those of its sources that it does not already contain: many
/// errors (lettre's, OpenSSL's) print their source in their own message, and a chain written
/// out naively repeats the same text several times.
pub fn error_chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut source = e.source();
    while let Some(inner) = source {
        let text = inner.to_string();
        if !text.is_empty() && !s.contains(&text) {
            s.push_str(": ");
            s.push_str(&text);
        }
        source = inner.source();
    }
    s
}

/// Why TLS could not be set up for a server (before any connection): the `ca_file` or the TLS
/// library.
#[derive(Debug, thiserror::Error)]
pub enum TlsSetupError {
    #[error("cannot read ca_file {}: {source}", file.display())]
    Read {
        file: PathBuf,
        source: std::io::Error,
    },
    #[error("ca_file {} holds no PEM certificate", file.display())]
    NoCertificate { file: PathBuf },
    /// A PEM block the TLS library rejects.
    #[error("ca_file {}: {reason}", file.display())]
    BadCertificate { file: PathBuf, reason: String },
    /// The TLS library could not build a configuration.
    #[error("cannot set up TLS: {reason}")]
    Library { reason: String },
}

/// The PEM blocks of a CA file, each as its own PEM text (a file may hold several roots).
pub fn read_pem_certificates(path: &Path) -> Result<Vec<Vec<u8>>, TlsSetupError> {
    let text = std::fs::read_to_string(path).map_err(|source| TlsSetupError::Read {
        file: path.to_path_buf(),
        source,
    })?;
    let mut blocks = Vec::new();
    let mut current: Option<String> = None;
    for line in text.lines() {
        if line.starts_with("-----BEGIN CERTIFICATE-----") {
            current = Some(String::new());
        }
        if let Some(block) = current.as_mut() {
            block.push_str(line);
            block.push('\n');
        }
        if line.starts_with("-----END CERTIFICATE-----")
            && let Some(block) = current.take()
        {
            blocks.push(block.into_bytes());
        }
    }
    if blocks.is_empty() {
        return Err(TlsSetupError::NoCertificate {
            file: path.to_path_buf(),
        });
    }
    Ok(blocks)
}

/// A TLS connector trusting the system roots plus `ca_file`; hostname verification stays on.
///
/// Built once per `ca_file` and shared: loading the system trust store takes tens of
/// milliseconds, and a sync may open several connections.
pub fn tls_connector(ca_file: Option<&Path>) -> Result<native_tls::TlsConnector, TlsSetupError> {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};
    static BUILT: OnceLock<Mutex<HashMap<Option<PathBuf>, native_tls::TlsConnector>>> =
        OnceLock::new();
    let key = ca_file.map(Path::to_path_buf);
    let built = BUILT.get_or_init(|| Mutex::new(HashMap::new()));
    if let Ok(map) = built.lock()
        && let Some(c) = map.get(&key)
    {
        return Ok(c.clone());
    }
    let connector = build_tls_connector(ca_file)?;
    if let Ok(mut map) = built.lock() {
        map.insert(key, connector.clone());
    }
    Ok(connector)
}

fn build_tls_connector(ca_file: Option<&Path>) -> Result<native_tls::TlsConnector, TlsSetupError> {
    let mut builder = native_tls::TlsConnector::builder();
    builder.min_protocol_version(Some(native_tls::Protocol::Tlsv12));
    if let Some(path) = ca_file {
        for pem in read_pem_certificates(path)? {
            let cert = native_tls::Certificate::from_pem(&pem).map_err(|e| {
                TlsSetupError::BadCertificate {
                    file: path.to_path_buf(),
                    reason: e.to_string(),
                }
            })?;
            builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(|e| TlsSetupError::Library {
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_only_refuses_other_addresses() {
        let server = |host: &str| Server {
            host: host.into(),
            port: 25,
        };
        assert!(resolve_loopback_only(&server("127.0.0.1")).is_ok());
        assert!(resolve_loopback_only(&server("[::1]")).is_ok());
        assert!(resolve_loopback_only(&server("::ffff:127.0.0.2")).is_ok());
        let e = resolve_loopback_only(&server("192.0.2.1")).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
        assert!(e.to_string().contains("192.0.2.1"), "{e}");
        assert!(tcp_connect_loopback_only(&server("10.0.0.1")).is_err());
    }

    #[test]
    fn error_chain_skips_repeated_causes() {
        #[derive(Debug)]
        struct E(&'static str, Option<Box<E>>);
        impl fmt::Display for E {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(self.0)
            }
        }
        impl std::error::Error for E {
            fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
                self.1.as_deref().map(|e| e as _)
            }
        }
        let inner = E("certificate verify failed", None);
        let mid = E(
            "tls error: certificate verify failed",
            Some(Box::new(inner)),
        );
        let top = E("handshake", Some(Box::new(mid)));
        assert_eq!(
            error_chain(&top),
            "handshake: tls error: certificate verify failed"
        );
    }

    #[test]
    fn deadline_grows_with_bytes_moved() {
        let mut d = Deadline::start(Duration::from_secs(2));
        assert_eq!(d.limit(), Duration::from_secs(2));
        assert!(d.left().is_some());
        // A byte a second adds almost nothing; real progress adds its time at MIN_RATE.
        d.moved(1);
        assert_eq!(d.limit().as_secs(), 2);
        d.moved(MIN_RATE as usize * 10);
        assert_eq!(d.limit().as_secs(), 12);
        let e = Deadline::start(Duration::ZERO).error("UID FETCH");
        assert_eq!(e.kind(), std::io::ErrorKind::TimedOut);
        assert!(
            e.to_string()
                .starts_with("UID FETCH did not complete within 0 s (deadline)"),
            "{e}"
        );
        assert!(Deadline::start(Duration::ZERO).left().is_none());
    }

    #[test]
    fn server_display_is_sanitized() {
        let s = Server {
            host: "evil\x1b[2J".into(),
            port: 1,
        };
        assert_eq!(s.to_string(), "evil^[[2J:1");
        let s = Server {
            host: "::1".into(),
            port: 993,
        };
        assert_eq!(s.to_string(), "[::1]:993");
    }

    #[test]
    fn ca_file_refusals_name_the_file() {
        let dir = tempfile::tempdir().unwrap();
        let missing = dir.path().join("missing.pem");
        let e = tls_connector(Some(&missing)).unwrap_err();
        assert!(matches!(&e, TlsSetupError::Read { file, .. } if file == &missing));
        assert!(
            e.to_string()
                .starts_with(&format!("cannot read ca_file {}: ", missing.display())),
            "{e}"
        );
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap();
        let e = read_pem_certificates(&empty).unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("ca_file {} holds no PEM certificate", empty.display())
        );
        let bad = dir.path().join("bad.pem");
        std::fs::write(
            &bad,
            "-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        let e = tls_connector(Some(&bad)).unwrap_err();
        assert!(matches!(&e, TlsSetupError::BadCertificate { file, .. } if file == &bad));
        assert!(
            e.to_string()
                .starts_with(&format!("ca_file {}: ", bad.display())),
            "{e}"
        );
    }
}
