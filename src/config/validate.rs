//! Semantic checks a TOML parser cannot make. Each problem names the account and key.

use std::collections::BTreeSet;
use std::path::Path;

use super::error::Problem;
use super::model::{Account, AuthMethod, Config, Tls};
use super::template;

#[derive(Debug, Default)]
pub struct Report {
    pub errors: Vec<Problem>,
    pub warnings: Vec<Problem>,
}

pub fn is_valid_agent_id(id: &str) -> bool {
    !id.is_empty()
        && id.bytes().all(|b| {
            b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'.' | b'_' | b'-')
        })
}

/// A conservative addr-spec check: `local@domain`, printable ASCII, no spaces or specials
/// that would need quoting in a header.
pub fn is_valid_address(addr: &str) -> bool {
    let Some((local, domain)) = addr.rsplit_once('@') else {
        return false;
    };
    let atom_ok = |s: &str| {
        !s.is_empty()
            && s.len() <= 254
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"!#$%&'*+/=?^_`{|}~.-".contains(&b))
            && !s.starts_with('.')
            && !s.ends_with('.')
            && !s.contains("..")
    };
    atom_ok(local)
        && atom_ok(domain)
        && domain
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
}

/// True for hosts whose traffic cannot leave the machine.
pub fn is_loopback(host: &str) -> bool {
    let h = host.trim_start_matches('[').trim_end_matches(']');
    if h.eq_ignore_ascii_case("localhost") {
        return true;
    }
    h.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip.is_loopback())
}

fn has_control(s: &str) -> bool {
    s.chars().any(char::is_control)
}

pub fn validate(config: &Config) -> Report {
    let mut r = Report::default();
    let agent = &config.agent;
    if !is_valid_agent_id(&agent.id) {
        r.errors.push(Problem::new(
            None,
            "agent.id",
            format!(
                "{:?} is not a valid agent id: use only a-z, 0-9, '.', '_' and '-' (it becomes part of IMAP keywords)",
                crate::sanitize::single_line(&agent.id)
            ),
        ));
    }
    if has_control(&agent.name) {
        r.errors.push(Problem::new(
            None,
            "agent.name",
            "contains a control character (line breaks are not allowed in a header)",
        ));
    }
    if !is_valid_address(&agent.email) {
        r.errors.push(Problem::new(
            None,
            "agent.email",
            format!(
                "{:?} is not an email address",
                crate::sanitize::single_line(&agent.email)
            ),
        ));
    }
    for (key, value) in &agent.fields {
        // Values go into every signature, so into outgoing mail and onto screens: line breaks
        // are how a multi-line field is written; any other control (tab, CR, ESC, C1) is not.
        if let Some(c) = value.chars().find(|&c| c.is_control() && c != '\n') {
            r.errors.push(Problem::new(
                None,
                format!("agent.fields.{}", crate::sanitize::single_line(key)),
                format!(
                    "contains the control character U+{:04X} (only line breaks are allowed)",
                    u32::from(c)
                ),
            ));
        }
    }

    for (name, sig) in &config.signatures {
        for (key, text) in [
            ("text", Some(&sig.text)),
            ("disclaimer", sig.disclaimer.as_ref()),
        ] {
            if let Some(text) = text
                && let Err(e) = template::parse(text, &agent.fields)
            {
                r.errors.push(Problem::new(
                    None,
                    format!("signature.{name}.{key}"),
                    e.to_string(),
                ));
            }
        }
    }

    if config.accounts.is_empty() {
        r.errors.push(Problem::new(
            None,
            "account",
            "no [[account]] is configured: add at least one shared mailbox",
        ));
    }
    let mut names = BTreeSet::new();
    for account in &config.accounts {
        if !names.insert(account.name.as_str()) {
            r.errors.push(Problem::new(
                Some(&account.name),
                "name",
                "another [[account]] has the same name",
            ));
        }
        validate_account(config, account, &mut r);
    }

    if let Some(columns) = &config.ui.columns {
        let mut seen = BTreeSet::new();
        for c in columns {
            if !names.contains(c.as_str()) {
                r.errors.push(Problem::new(
                    None,
                    "ui.columns",
                    format!(
                        "{:?} names no account (accounts: {})",
                        crate::sanitize::single_line(c),
                        names.iter().copied().collect::<Vec<_>>().join(", ")
                    ),
                ));
            } else if !seen.insert(c.as_str()) {
                r.errors.push(Problem::new(
                    None,
                    "ui.columns",
                    format!("{c:?} is listed twice"),
                ));
            }
        }
    }
    if let Err(e) = super::theme::ThemeSpec::resolve(&config.ui.theme, &config.source) {
        r.errors.push(Problem::new(None, "ui.theme", e.to_string()));
    }
    super::notify::validate(&config.ui.notify, &mut r.errors);
    let book = &config.compose.address_book_command;
    if book.first().is_some_and(|p| p.trim().is_empty())
        || book.iter().any(|a| a.contains(['\n', '\r', '\0']))
    {
        r.errors.push(Problem::new(
            None,
            "compose.address_book_command",
            "give the program and its arguments as a list, e.g. [\"khard\", \"email\", \"--parsable\"]",
        ));
    }
    if super::View::parse(&config.ui.view).is_none() {
        r.errors.push(Problem::new(
            None,
            "ui.view",
            format!(
                "{:?} is not a view: use open, mine, unassigned, pending, done or all",
                crate::sanitize::single_line(&config.ui.view)
            ),
        ));
    }
    for (a, email) in &config.team.emails {
        if !is_valid_agent_id(a) {
            r.errors.push(Problem::new(
                None,
                "team.emails",
                format!(
                    "{:?} is not a valid agent id: use only a-z, 0-9, '.', '_' and '-'",
                    crate::sanitize::single_line(a)
                ),
            ));
        }
        if !is_valid_address(email) {
            r.errors.push(Problem::new(
                None,
                "team.emails",
                format!(
                    "{:?} (for {}) is not an email address",
                    crate::sanitize::single_line(email),
                    crate::sanitize::single_line(a)
                ),
            ));
        }
    }
    for a in &config.team.agents {
        if !is_valid_agent_id(a) {
            r.errors.push(Problem::new(
                None,
                "team.agents",
                format!(
                    "{:?} is not a valid agent id: use only a-z, 0-9, '.', '_' and '-'",
                    crate::sanitize::single_line(a)
                ),
            ));
        }
    }
    if let Some(text) = &config.insight.business_hours
        && let Err(e) = super::BusinessHours::parse(text)
    {
        r.errors.push(Problem::new(
            None,
            "insight.business_hours",
            crate::sanitize::single_line(&e.to_string()),
        ));
    }
    if let Some(text) = &config.agent.timezone
        && let Err(e) = crate::triage::when::zone_named(text)
    {
        r.errors.push(Problem::new(
            None,
            "agent.timezone",
            crate::sanitize::single_line(&e.to_string()),
        ));
    }
    if let Some(text) = &config.insight.timezone_offset
        && let Err(e) = super::parse_offset(text)
    {
        r.errors.push(Problem::new(
            None,
            "insight.timezone_offset",
            crate::sanitize::single_line(&e.to_string()),
        ));
    }
    // The keymap is built here once so a bad binding stops the program before the screen
    // opens, with the key's name, rather than becoming a key that silently does nothing.
    if let Err(problems) = super::keys::Bindings::from_config(&config.keys) {
        for p in problems {
            r.errors.push(Problem::new(None, p.key, p.message));
        }
    }
    r
}

fn validate_account(config: &Config, a: &Account, r: &mut Report) {
    let acct = Some(a.name.as_str());
    let mut err = |key: &str, msg: String| r.errors.push(Problem::new(acct, key, msg));
    if a.name.is_empty() || has_control(&a.name) {
        err(
            "name",
            "must be non-empty and free of control characters".into(),
        );
    }
    if !is_valid_address(&a.address) {
        err(
            "address",
            format!(
                "{:?} is not an email address",
                crate::sanitize::single_line(&a.address)
            ),
        );
    }
    for alias in &a.aliases {
        if !is_valid_address(alias) {
            err(
                "aliases",
                format!(
                    "{:?} is not an email address",
                    crate::sanitize::single_line(alias)
                ),
            );
        }
    }
    if a.display_name.as_deref().is_some_and(has_control) {
        err(
            "display_name",
            "contains a control character (line breaks are not allowed in a header)".into(),
        );
    }
    if a.notes_folder
        .as_deref()
        .is_some_and(|f| f.trim().is_empty() || has_control(f))
    {
        err(
            "notes_folder",
            "must be a non-empty folder name without control characters".into(),
        );
    }
    if a.archive_folder
        .as_deref()
        .is_some_and(|f| f.trim().is_empty() || has_control(f))
    {
        err(
            "archive_folder",
            "must be a non-empty folder name without control characters".into(),
        );
    }
    match &a.signature {
        Some(sig) if !config.signatures.contains_key(sig) => err(
            "signature",
            format!(
                "signature {sig:?} does not exist (defined: {})",
                if config.signatures.is_empty() {
                    "none".to_string()
                } else {
                    config
                        .signatures
                        .keys()
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                }
            ),
        ),
        _ => {}
    }

    match (&a.imap, &a.maildir) {
        (None, None) => err(
            "imap",
            "the account has neither [account.imap] nor [account.maildir]: mailroom does not know where its mail is".into(),
        ),
        (Some(_), Some(_)) => err(
            "maildir",
            "the account has both [account.imap] and [account.maildir]: keep one".into(),
        ),
        _ => {}
    }
    if let Some(imap) = &a.imap {
        let (low, high) = super::model::MAX_PART_BYTES_RANGE;
        if !(low..=high).contains(&imap.max_part_bytes) {
            err(
                "imap.max_part_bytes",
                format!(
                    "{} is outside {low}..={high} (64 KiB to 64 MiB; default {})",
                    imap.max_part_bytes,
                    super::model::DEFAULT_MAX_PART_BYTES
                ),
            );
        }
        if imap.tls == Tls::None && !is_loopback(&imap.host) {
            err(
                "imap.tls",
                format!(
                    "tls = \"none\" is only allowed for a loopback host, not {:?}: use \"implicit\" or \"starttls\"",
                    crate::sanitize::single_line(&imap.host)
                ),
            );
        }
        for (key, value) in [
            ("imap.mailbox", Some(&imap.mailbox)),
            ("imap.sent", imap.sent.as_ref()),
        ] {
            if let Some(v) = value
                && (v.is_empty() || v.contains(['\r', '\n', '\0']))
            {
                err(
                    key,
                    "must be a non-empty mailbox name without line breaks or NUL".into(),
                );
            }
        }
        for (key, value) in [
            ("imap.login", Some(&imap.login)),
            ("imap.authzid", imap.authzid.as_ref()),
            ("imap.user", imap.user.as_ref()),
        ] {
            if let Some(v) = value
                && (v.is_empty() || v.contains(['\r', '\n', '\0']))
            {
                err(
                    key,
                    "must be non-empty and free of line breaks and NUL".into(),
                );
            }
        }
        credential_problems(
            "imap",
            imap.auth,
            imap.password.is_some(),
            imap.password_command.is_some(),
            imap.token_command.is_some(),
            &mut err,
        );
    }
    if let Some(m) = &a.maildir
        && !m.path.is_dir()
    {
        err(
            "maildir.path",
            format!("{} is not a directory", m.path.display()),
        );
    }

    let routes = [a.smtp.is_some(), a.sendmail.is_some(), a.file.is_some()]
        .iter()
        .filter(|b| **b)
        .count();
    if routes > 1 {
        err(
            "smtp",
            "configure only one of [account.smtp], [account.sendmail], [account.file]".into(),
        );
    }
    if routes == 0 && a.send != super::model::SendMode::None {
        err(
            "send",
            format!(
                "send = {:?} needs one of [account.smtp], [account.sendmail] or [account.file] (or send = \"none\")",
                a.send.as_str()
            ),
        );
    }
    if let Some(smtp) = &a.smtp {
        if smtp.tls == Tls::None && !is_loopback(&smtp.host) {
            err(
                "smtp.tls",
                format!(
                    "tls = \"none\" is only allowed for a loopback host, not {:?}: use \"implicit\" or \"starttls\"",
                    crate::sanitize::single_line(&smtp.host)
                ),
            );
        }
        let has_login = smtp.login.is_some();
        if has_login {
            credential_problems(
                "smtp",
                smtp.auth,
                smtp.password.is_some(),
                smtp.password_command.is_some(),
                smtp.token_command.is_some(),
                &mut err,
            );
        } else if smtp.password.is_some()
            || smtp.password_command.is_some()
            || smtp.token_command.is_some()
            || smtp.authzid.is_some()
        {
            err(
                "smtp.login",
                "credentials are configured but no login: set `login`".into(),
            );
        }
    }
    if let Some(s) = &a.sendmail
        && s.command.trim().is_empty()
    {
        err("sendmail.command", "must not be empty".into());
    }

    if a.send == super::model::SendMode::OnBehalf
        && let (Some((_, agent_domain)), Some((_, shared_domain))) = (
            config.agent.email.rsplit_once('@'),
            a.address.rsplit_once('@'),
        )
        && !agent_domain.eq_ignore_ascii_case(shared_domain)
        && a.envelope_from == super::model::EnvelopeFrom::Agent
    {
        r.warnings.push(Problem::new(
            acct,
            "envelope_from",
            format!(
                "on-behalf mail goes out with MAIL FROM {} whose domain differs from {}: SPF/DMARC may fail at the recipient",
                config.agent.email, a.address
            ),
        ));
    }
}

fn credential_problems(
    table: &str,
    auth: AuthMethod,
    password: bool,
    password_command: bool,
    token_command: bool,
    err: &mut impl FnMut(&str, String),
) {
    match auth {
        AuthMethod::Password => {
            if password && password_command {
                err(
                    &format!("{table}.password"),
                    "set either `password` or `password_command`, not both".into(),
                );
            }
            if !password && !password_command {
                err(
                    &format!("{table}.password_command"),
                    "no credentials: set `password_command` (recommended) or `password`".into(),
                );
            }
            if token_command {
                err(
                    &format!("{table}.token_command"),
                    "is only used with auth = \"xoauth2\"".into(),
                );
            }
        }
        AuthMethod::Xoauth2 => {
            if !token_command {
                err(
                    &format!("{table}.token_command"),
                    "auth = \"xoauth2\" needs `token_command`".into(),
                );
            }
            if password || password_command {
                err(
                    &format!("{table}.auth"),
                    "auth = \"xoauth2\" uses `token_command`, not a password".into(),
                );
            }
        }
    }
}

/// A plaintext `password` in a file that others can read is refused.
pub fn plaintext_password_permissions(config: &Config, path: &Path) -> Option<Problem> {
    let account = config.accounts.iter().find(|a| {
        a.imap.as_ref().is_some_and(|i| i.password.is_some())
            || a.smtp.as_ref().is_some_and(|s| s.password.is_some())
    })?;
    let key = if account.imap.as_ref().is_some_and(|i| i.password.is_some()) {
        "imap.password"
    } else {
        "smtp.password"
    };
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            return Some(Problem::new(
                Some(&account.name),
                key,
                format!(
                    "a plaintext password is in a file that others can read (mode {:o}): run `chmod 600 {}` or use `password_command`",
                    mode & 0o777,
                    path.display()
                ),
            ));
        }
    }
    let _ = (account, key, path);
    None
}
