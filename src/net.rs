//! Network basics shared by IMAP and SMTP: trust roots, timeouts, server names.

use std::fmt;
use std::net::{TcpStream, ToSocketAddrs};
use std::path::Path;
use std::time::Duration;

/// How long to wait for a TCP connection to be accepted.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one read or write may block before the server counts as unresponsive.
pub const IO_TIMEOUT: Duration = Duration::from_secs(30);

/// `host:port` for messages, with an IPv6 literal bracketed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Server {
    pub host: String,
    pub port: u16,
}

impl fmt::Display for Server {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let host = crate::mail::sanitize::single_line(&self.host);
        if host.contains(':') && !host.starts_with('[') {
            write!(f, "[{host}]:{}", self.port)
        } else {
            write!(f, "{host}:{}", self.port)
        }
    }
}

/// Connects with a timeout to the first address of `host` that answers.
pub fn tcp_connect(server: &Server) -> std::io::Result<TcpStream> {
    let host = server.host.trim_start_matches('[').trim_end_matches(']');
    let mut last = None;
    for addr in (host, server.port).to_socket_addrs()? {
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

/// The PEM blocks of a CA file, each as its own PEM text (a file may hold several roots).
pub fn read_pem_certificates(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read ca_file {}: {e}", path.display()))?;
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
        return Err(format!(
            "ca_file {} holds no PEM certificate",
            path.display()
        ));
    }
    Ok(blocks)
}

/// A TLS connector trusting the system roots plus `ca_file`; hostname verification stays on.
pub fn tls_connector(ca_file: Option<&Path>) -> Result<native_tls::TlsConnector, String> {
    let mut builder = native_tls::TlsConnector::builder();
    builder.min_protocol_version(Some(native_tls::Protocol::Tlsv12));
    if let Some(path) = ca_file {
        for pem in read_pem_certificates(path)? {
            let cert = native_tls::Certificate::from_pem(&pem)
                .map_err(|e| format!("ca_file {}: {e}", path.display()))?;
            builder.add_root_certificate(cert);
        }
    }
    builder
        .build()
        .map_err(|e| format!("cannot set up TLS: {e}"))
}

/// Standard base64 (RFC 4648) for SASL responses.
pub fn base64_encode(data: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(i.as_bytes()), o);
        }
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
}
