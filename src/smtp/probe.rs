//! What `mailroom check` learns from an SMTP submission server: TLS, login, and whether the
//! envelope sender the account's send mode needs is accepted.

use std::fmt;
use std::time::Duration;

use lettre::transport::smtp::authentication::{Credentials, Mechanism};
use lettre::transport::smtp::client::{Certificate, SmtpConnection, TlsParameters};
use lettre::transport::smtp::extension::ClientId;

use super::starttls_guard::{Guard as StarttlsGuard, Mode as GuardMode};
use super::{SmtpError, SmtpStage};
use crate::config::{self, AuthMethod, Tls};
use crate::net::{Server, TlsSetupError};

#[derive(Debug, Clone, Default)]
pub struct Probe {
    pub tls: bool,
    /// The login that authenticated (with the authzid when delegated).
    pub authenticated_as: Option<String>,
    /// The envelope sender tried with `MAIL FROM`, and whether the server took it.
    pub mail_from: Option<String>,
}

/// A command written as-is; callers only pass validated addresses and base64.
struct Raw(String);

impl fmt::Display for Raw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}\r\n", self.0)
    }
}

/// lettre's own per-read timeout, on its loopback connection to the relay: above the relay's
/// (idle for [`crate::net::IO_TIMEOUT`], or a stage's deadline), so the relay, which knows
/// why, always ends a stuck conversation first.
const TIMEOUT: Duration = Duration::from_secs(crate::net::IO_TIMEOUT.as_secs() + 10);

/// A submission connection: connected, TLS as configured, authenticated when a login is set.
/// Returns the connection and who it is authenticated as.
pub fn open(
    account: &str,
    cfg: &config::Smtp,
) -> Result<(SmtpConnection, Option<String>), SmtpError> {
    open_staged(account, cfg).map(|(conn, who, _)| (conn, who))
}

/// The stage deadlines of an open connection (see [`super::starttls_guard`]): each later
/// stage is begun with [`Stages::begin`], and a failure explained with [`Stages::explain`].
pub struct Stages {
    guard: StarttlsGuard,
    deadline: Duration,
}

impl Stages {
    /// Starts `stage` (e.g. `MAIL FROM/RCPT TO/DATA`, `QUIT`) with the account's deadline.
    pub fn begin(&self, stage: &str) {
        self.guard.begin(stage, self.deadline);
    }

    /// `fallback`, unless the connection was cut because a stage missed its deadline.
    pub fn explain(&self, fallback: SmtpError) -> SmtpError {
        match self.guard.deadline_passed() {
            Some(text) => SmtpError {
                message: text,
                ..fallback
            },
            None => fallback,
        }
    }
}

/// [`open`], keeping the stage deadlines for the rest of the conversation.
pub fn open_staged(
    account: &str,
    cfg: &config::Smtp,
) -> Result<(SmtpConnection, Option<String>, Stages), SmtpError> {
    let server = Server {
        host: cfg.host.clone(),
        port: cfg.port(),
    };
    let err = SmtpError::maker(account, cfg);
    if cfg.tls == Tls::None && !config::is_loopback(&cfg.host) {
        return Err(err(
            SmtpStage::Setup,
            "tls = \"none\" is only allowed for loopback hosts".into(),
        ));
    }
    let host = cfg
        .host
        .trim_start_matches('[')
        .trim_end_matches(']')
        .to_string();
    let tls = tls_parameters(&host, cfg.ca_file.as_deref())
        .map_err(|e| err(SmtpStage::Setup, e.to_string()))?;
    let hello = ClientId::default();
    // Every connection goes through a relay that keeps each stage's overall deadline.
    // STARTTLS's also refuses plaintext injected around the upgrade (lettre would read it as
    // if it came inside TLS); TLS itself stays end to end. With `tls = "none"`, what the name
    // resolves to must be loopback: that is what goes on the wire.
    let (mode, first_stage) = match cfg.tls {
        Tls::Starttls => (GuardMode::Starttls, "connect and greeting"),
        Tls::Implicit => (GuardMode::Relay, "connect, TLS and greeting"),
        Tls::None => (GuardMode::RelayLoopbackOnly, "connect and greeting"),
    };
    let deadline = cfg.deadline();
    let guard = StarttlsGuard::start_with(&server, mode, first_stage, deadline)
        .map_err(|e| err(SmtpStage::Connect, format!("cannot connect: {e}")))?;
    // A failure the guard caused is explained by the guard, not by lettre's view of it.
    let guarded = |fallback: SmtpError| -> SmtpError {
        if let Some(text) = guard.deadline_passed() {
            return SmtpError {
                message: text,
                ..fallback
            };
        }
        if let Some(violation) = guard.violation() {
            return err(SmtpStage::Tls, violation.to_string());
        }
        match guard.error() {
            Some(relay) => SmtpError {
                message: format!("{} ({relay})", fallback.message),
                ..fallback
            },
            None => fallback,
        }
    };
    // Implicit TLS: the handshake runs through the relay, verified against the real host name.
    let implicit = (cfg.tls == Tls::Implicit).then_some(&tls);
    let mut conn =
        SmtpConnection::connect(guard.local_addr(), Some(TIMEOUT), &hello, implicit, None)
            .map_err(|e| {
                // Implicit TLS handshakes inside connect; a certificate problem is a TLS failure.
                guarded(if is_tls_failure(&e) {
                    err(
                        SmtpStage::Tls,
                        format!(
                            "TLS failed: {} (is the server's certificate trusted? see `ca_file`)",
                            describe(&e)
                        ),
                    )
                } else {
                    err(
                        SmtpStage::Connect,
                        format!("cannot connect: {}", describe(&e)),
                    )
                })
            })?;
    if cfg.tls == Tls::Starttls {
        guard.begin("STARTTLS", deadline);
        if let Some(violation) = guard.violation() {
            conn.abort();
            return Err(err(SmtpStage::Tls, violation.to_string()));
        }
        if !conn.can_starttls() {
            conn.abort();
            return Err(err(
                SmtpStage::Tls,
                "the server does not offer STARTTLS; refusing to continue in cleartext (use tls = \"implicit\" if it speaks SMTPS)".into(),
            ));
        }
        conn.starttls(&tls, &hello).map_err(|e| {
            guarded(err(
                SmtpStage::Tls,
                if e.is_permanent() || e.is_transient() {
                    format!("the server refused STARTTLS: {}", describe(&e))
                } else {
                    format!(
                        "STARTTLS failed: {} (is the server's certificate trusted? see `ca_file`)",
                        describe(&e)
                    )
                },
            ))
        })?;
        // Belt and braces: a cut the handshake somehow survived is still a refusal.
        if let Some(violation) = guard.violation() {
            conn.abort();
            return Err(err(SmtpStage::Tls, violation.to_string()));
        }
    }
    let mut authenticated_as = None;
    if let Some(login) = &cfg.login {
        guard.begin("AUTH", deadline);
        let secret = crate::imap::connect::credential(
            cfg.auth,
            cfg.password.as_ref(),
            cfg.password_command.as_deref(),
            cfg.token_command.as_deref(),
        )
        .map_err(|e| err(SmtpStage::Auth, format!("cannot get the password: {e}")))?;
        let result = match (cfg.auth, cfg.authzid.as_deref()) {
            (AuthMethod::Xoauth2, _) => conn.auth(
                &[Mechanism::Xoauth2],
                &Credentials::new(login.clone(), secret.expose().to_string()),
            ),
            // lettre's PLAIN has no authzid: send the SASL response ourselves.
            (AuthMethod::Password, Some(authzid)) => {
                let mut sasl = Vec::new();
                sasl.extend_from_slice(authzid.as_bytes());
                sasl.push(0);
                sasl.extend_from_slice(login.as_bytes());
                sasl.push(0);
                sasl.extend_from_slice(secret.expose().as_bytes());
                conn.command(Raw(format!(
                    "AUTH PLAIN {}",
                    crate::mail::encoding::base64_encode(&sasl)
                )))
            }
            (AuthMethod::Password, None) => conn.auth(
                &[Mechanism::Plain, Mechanism::Login],
                &Credentials::new(login.clone(), secret.expose().to_string()),
            ),
        };
        result.map_err(|e| {
            guarded(err(
                SmtpStage::Auth,
                format!("login as {login:?} refused: {}", describe(&e)),
            ))
        })?;
        authenticated_as = Some(match &cfg.authzid {
            Some(z) => format!("{login} as {z}"),
            None => login.clone(),
        });
    }
    Ok((conn, authenticated_as, Stages { guard, deadline }))
}

/// Connects, authenticates, and tries `MAIL FROM:<mail_from>` (then RSET), sending nothing.
pub fn probe(
    account: &str,
    cfg: &config::Smtp,
    mail_from: Option<&str>,
) -> Result<Probe, SmtpError> {
    let (mut conn, authenticated_as, stages) = open_staged(account, cfg)?;
    let err = SmtpError::maker(account, cfg);
    let mut probe = Probe {
        tls: conn.is_encrypted(),
        authenticated_as,
        ..Probe::default()
    };
    if let Some(from) = mail_from {
        if !config::is_valid_address(from) {
            return Err(err(
                SmtpStage::Setup,
                format!("{from:?} is not a valid envelope sender"),
            ));
        }
        stages.begin("MAIL FROM");
        conn.command(Raw(format!("MAIL FROM:<{from}>")))
            .map_err(|e| {
                stages.explain(err(
                    SmtpStage::MailFrom,
                    format!("the server refuses MAIL FROM:<{from}>: {}", describe(&e)),
                ))
            })?;
        stages.begin("RSET");
        let _ = conn.command(Raw("RSET".into()));
        probe.mail_from = Some(from.to_string());
    }
    stages.begin("QUIT");
    let _ = conn.quit();
    Ok(probe)
}

/// TLS for SMTP: system roots plus `ca_file`, hostname verification on.
pub fn tls_parameters(
    host: &str,
    ca_file: Option<&std::path::Path>,
) -> Result<TlsParameters, TlsSetupError> {
    let mut builder = TlsParameters::builder(host.to_string());
    if let Some(path) = ca_file {
        for pem in crate::net::read_pem_certificates(path)? {
            let cert = Certificate::from_pem(&pem).map_err(|e| TlsSetupError::BadCertificate {
                file: path.to_path_buf(),
                reason: e.to_string(),
            })?;
            builder = builder.add_root_certificate(cert);
        }
    }
    builder.build().map_err(|e| TlsSetupError::Library {
        reason: e.to_string(),
    })
}

/// Whether an error comes from TLS. lettre files a failed handshake under "Connection error"
/// with the TLS library's error as its source, so the kind alone does not tell.
fn is_tls_failure(e: &lettre::transport::smtp::Error) -> bool {
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        if inner.is::<native_tls::Error>()
            || inner.is::<native_tls::HandshakeError<std::net::TcpStream>>()
        {
            return true;
        }
        source = inner.source();
    }
    e.is_tls()
}

/// One line for an SMTP error, with the server's code and text where there is one; a timeout
/// says so rather than the OS's EAGAIN text ("Resource temporarily unavailable").
pub fn describe(e: &lettre::transport::smtp::Error) -> String {
    let mut source = std::error::Error::source(e);
    while let Some(inner) = source {
        if let Some(io) = inner.downcast_ref::<std::io::Error>()
            && io.kind() == std::io::ErrorKind::WouldBlock
        {
            return format!(
                "timed out after {} s without an answer from the server",
                TIMEOUT.as_secs()
            );
        }
        source = inner.source();
    }
    crate::sanitize::single_line(&crate::net::error_chain(e))
}
