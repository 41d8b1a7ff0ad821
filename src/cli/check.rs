//! `mailroom check`: is every configured account usable, and what may the agent do there?

use std::io::Write;
use std::path::Path;

use serde::Serialize;

use crate::backend::Backend;
use crate::config::{Account, Config, SendMode, SendRoute, TeamStateSetting, Tls};
use crate::imap::connect::Target;
use crate::imap::probe::IMPORTANT_CAPABILITIES;
use crate::policy::{identity, rights::Rights};
use crate::triage::folders::{self, Detected, TeamFolders};

/// The report for one account; `--json` prints an array of these.
#[derive(Debug, Clone, Serialize, Default)]
pub struct AccountReport {
    pub name: String,
    /// "imap" or "maildir".
    pub kind: &'static str,
    /// `host:port (tls)` for IMAP, the path for Maildir.
    pub location: String,
    pub mailbox: String,
    /// The raw MYRIGHTS string; null when the server has no ACL (or offline).
    pub rights: Option<String>,
    /// The rights in force, from MYRIGHTS or inferred from SELECT.
    pub effective_rights: Option<String>,
    /// Where `effective_rights` come from: "myrights", "select" (no ACL) or "filesystem" (Maildir).
    pub rights_source: Option<&'static str>,
    /// The mailroom actions those rights allow.
    pub actions: Vec<&'static str>,
    /// The capabilities mailroom uses that the server offers.
    pub capabilities: Vec<String>,
    pub missing_capabilities: Vec<&'static str>,
    pub read_only: Option<bool>,
    pub permanent_flags: Vec<String>,
    pub keywords_permanent: Option<bool>,
    /// Where team state lives: "keywords"; "folders" where keywords are not permanent on a
    /// writable mailbox (or `team_state = "folders"`); "read-only" when this agent cannot
    /// change it (READ-ONLY, or no `w`).
    pub team_state: Option<&'static str>,
    /// The account's `team_state` setting: "auto", "keywords" or "folders".
    pub team_state_setting: &'static str,
    /// With the folder mapping, the team folders, e.g.
    /// `shared/support/{Assigned/<agent>,Pending,Done}`.
    pub team_folders: Option<String>,
    /// The mailbox's hierarchy delimiter (from LIST), for `team_folders`.
    #[serde(skip)]
    pub delimiter: Option<char>,
    pub messages: Option<u32>,
    /// The send mode: "as", "on-behalf" or "none".
    pub send: &'static str,
    pub identity: Option<identity::SendIdentity>,
    /// How mail leaves: "smtp host:port (tls)", "sendmail", "file DIR".
    pub send_route: Option<String>,
    pub smtp_login: Option<String>,
    pub mail_from_accepted: Option<String>,
    /// The server software where `ID` names it: "dovecot", "cyrus" or null.
    pub server: Option<crate::imap::predict::Server>,
    /// With the folder mapping, each team folder this agent needs: there, or creatable?
    pub team_folder_checks: Vec<crate::imap::predict::TeamFolder>,
    /// With keywords, whether this agent can store its longest keyword.
    pub keyword_probe: Option<crate::imap::predict::KeywordProbe>,
    /// With keywords, the mailbox's user flags against the server's limit.
    pub user_flags: Option<crate::imap::predict::UserFlags>,
    /// Whether `\Seen` is "shared" by the team, "per-agent" or "unknown".
    pub read_state: Option<&'static str>,
    pub read_state_reason: Option<String>,
    /// The Sent folder the server has, looked up when none is configured or it is missing.
    pub sent_found: Option<String>,
    /// The team policy in force and who may change it (IMAP accounts).
    pub policy: Option<super::check_policy::PolicyReport>,
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
    pub usable: bool,
}

/// Checks every account (in parallel); offline skips the network.
pub fn check_accounts(config: &Config, offline: bool) -> Vec<AccountReport> {
    std::thread::scope(|scope| {
        let handles: Vec<_> = config
            .accounts
            .iter()
            .map(|a| scope.spawn(move || check_account(config, a, offline)))
            .collect();
        handles
            .into_iter()
            .zip(&config.accounts)
            .map(|(h, a)| {
                h.join().unwrap_or_else(|_| AccountReport {
                    name: a.name.clone(),
                    errors: vec!["internal error while checking this account".into()],
                    ..AccountReport::default()
                })
            })
            .collect()
    })
}

fn check_account(config: &Config, account: &Account, offline: bool) -> AccountReport {
    let mut r = AccountReport {
        name: account.name.clone(),
        send: account.send.as_str(),
        ..AccountReport::default()
    };
    match identity::identity(account, &config.agent, &account.address) {
        Ok(id) => r.identity = Some(id),
        Err(_) => r.identity = None,
    }
    if let Some(imap) = &account.imap {
        r.kind = "imap";
        r.location = format!("{}:{} ({})", imap.host, imap.port(), tls_name(imap.tls));
        r.mailbox = imap.mailbox.clone();
        if !offline {
            check_imap(config, account, imap, &mut r);
            if r.errors.is_empty() {
                super::check_policy::apply(account, &config.agent.id, &mut r);
            }
        } else {
            super::check_policy::apply_offline(account, &mut r);
        }
    } else if let Some(m) = &account.maildir {
        r.kind = "maildir";
        r.location = m.path.display().to_string();
        r.mailbox = m.mailbox.clone();
        check_maildir(account, m, &mut r);
    }
    check_send(config, account, offline, &mut r);
    let setting = account
        .imap
        .as_ref()
        .map(|i| i.team_state)
        .unwrap_or_default();
    r.team_state_setting = setting.as_str();
    r.team_state = team_state(&r, setting);
    if r.team_state == Some("folders")
        || (r.team_state == Some("read-only") && setting == TeamStateSetting::Folders)
    {
        r.team_folders = Some(TeamFolders::new(&r.mailbox, r.delimiter).describe());
    }
    if setting == TeamStateSetting::Keywords
        && r.keywords_permanent == Some(false)
        && r.team_state == Some("keywords")
    {
        r.warnings.push(
            "team_state = \"keywords\" but the server does not keep new keywords (no \\* in PERMANENTFLAGS): claims and status will not stick; use \"auto\" or \"folders\"".into(),
        );
    }
    r.usable = r.errors.is_empty();
    r
}

/// Where team state lives, once the mailbox was opened: the setting, or the one decision
/// `triage::folders::detect` makes (a read-only agent first: its PERMANENTFLAGS are empty
/// because of its rights, not because the server lacks keywords).
fn team_state(r: &AccountReport, setting: TeamStateSetting) -> Option<&'static str> {
    r.keywords_permanent?;
    let rights = r
        .effective_rights
        .as_deref()
        .map(Rights::parse)
        .unwrap_or_else(|| Rights::parse("lrwstipekxa"));
    let detected = folders::detect(r.read_only == Some(true), &r.permanent_flags, &rights);
    Some(match (detected, setting) {
        (Detected::ReadOnly, _) => "read-only",
        (_, TeamStateSetting::Folders) => "folders",
        (_, TeamStateSetting::Keywords) => "keywords",
        (d, TeamStateSetting::Auto) => d.as_str(),
    })
}

fn tls_name(tls: Tls) -> &'static str {
    match tls {
        Tls::Implicit => "implicit TLS",
        Tls::Starttls => "STARTTLS",
        Tls::None => "no TLS",
    }
}

fn apply_rights(r: &mut AccountReport, rights: Rights) {
    r.effective_rights = Some(rights.to_string());
    r.actions = rights.actions().into_iter().map(|a| a.name()).collect();
    if !rights.has('l') || !rights.has('r') {
        r.errors.push(format!(
            "the agent cannot read mailbox {:?} (rights {:?}; `l` and `r` are needed)",
            crate::sanitize::single_line(&r.mailbox),
            rights.to_string()
        ));
    } else if !rights.has('w') {
        r.warnings.push(
            "no `w` right: triage (claim, assign, status) is read-only for this agent".into(),
        );
    }
}

fn check_imap(
    config: &Config,
    account: &Account,
    imap: &crate::config::Imap,
    r: &mut AccountReport,
) {
    let target = Target {
        account: &account.name,
        config: imap,
    };
    let sent = match account.sent_copy {
        crate::config::SentCopy::Append => imap.sent.as_deref(),
        _ => None,
    };
    let append = account.sent_copy == crate::config::SentCopy::Append;
    let ask = crate::imap::predict::Ask {
        agent: &config.agent.id,
        team_state: imap.team_state,
        find_sent: append && imap.sent.is_none(),
    };
    let probe = match crate::imap::probe::probe(&target, &imap.mailbox, sent, &ask) {
        Ok(p) => p,
        Err(e) => {
            r.errors.push(e.to_string());
            return;
        }
    };
    r.capabilities = IMPORTANT_CAPABILITIES
        .iter()
        .filter(|c| probe.has(c))
        .map(|c| c.to_string())
        .collect();
    r.missing_capabilities = IMPORTANT_CAPABILITIES
        .iter()
        .copied()
        .filter(|c| !probe.has(c))
        .collect();
    for missing in &r.missing_capabilities {
        let consequence = match *missing {
            "IDLE" => "live updates fall back to polling",
            "CONDSTORE" => "claims cannot be atomic (no UNCHANGEDSINCE) and sync is slower",
            "QRESYNC" => "expunges are found by a UID diff instead of VANISHED",
            "ACL" => "rights are inferred from SELECT (READ-ONLY, PERMANENTFLAGS)",
            "MOVE" => "moves use COPY + EXPUNGE",
            "UIDPLUS" => "a moved or appended message's new UID is not reported",
            _ => "",
        };
        r.warnings
            .push(format!("the server lacks {missing}: {consequence}"));
    }
    r.rights = probe.myrights.clone();
    r.read_only = Some(probe.read_only);
    r.permanent_flags = probe.permanent_flags.clone();
    r.keywords_permanent = Some(probe.keywords_permanent());
    r.delimiter = probe.delimiter;
    r.messages = Some(probe.exists);
    r.rights_source = Some(if probe.myrights.is_some() {
        "myrights"
    } else {
        "select"
    });
    apply_rights(r, probe.rights);
    super::check_triage::apply(r, probe.predicted);
    if probe.sent_exists == Some(false)
        && let Some(sent) = &imap.sent
    {
        r.warnings.push(format!(
            "sent_copy = \"append\" but the Sent folder {:?} does not exist{}",
            crate::sanitize::single_line(sent),
            super::check_triage::sent_hint(r)
        ));
    }
    if append && account.send != SendMode::None && imap.sent.is_none() {
        r.warnings.push(format!(
            "sent_copy = \"append\" but no `imap.sent` folder is configured{}",
            super::check_triage::sent_hint(r)
        ));
    }
}

fn check_maildir(account: &Account, m: &crate::config::Maildir, r: &mut AccountReport) {
    let mut backend = match crate::backend::maildir::MaildirBackend::open(&account.name, &m.path) {
        Ok(b) => b,
        Err(e) => {
            r.errors.push(e.to_string());
            return;
        }
    };
    match backend.status(&m.mailbox) {
        Ok(status) => {
            r.messages = Some(status.exists);
            r.read_only = Some(status.read_only);
            r.permanent_flags = status.permanent_flags.clone();
            r.keywords_permanent = Some(status.keywords_permanent());
        }
        Err(e) => {
            r.errors.push(e.to_string());
            return;
        }
    }
    match backend.rights(&m.mailbox) {
        Ok(rights) => {
            r.rights_source = Some("filesystem");
            apply_rights(r, rights);
        }
        Err(e) => r.errors.push(e.to_string()),
    }
}

fn check_send(config: &Config, account: &Account, offline: bool, r: &mut AccountReport) {
    let route = account.send_route();
    r.send_route = route.map(|route| match route {
        SendRoute::Smtp(s) => format!("smtp {}:{} ({})", s.host, s.port(), tls_name(s.tls)),
        SendRoute::Sendmail(s) => format!("sendmail: {}", s.command),
        SendRoute::File(f) => format!("file {}", f.dir.display()),
    });
    if account.send == SendMode::None {
        return;
    }
    match route {
        Some(SendRoute::Smtp(smtp)) if !offline => {
            let mail_from = r.identity.as_ref().map(|i| i.mail_from.clone());
            match crate::smtp::probe::probe(&account.name, smtp, mail_from.as_deref()) {
                Ok(p) => {
                    r.smtp_login = p.authenticated_as;
                    r.mail_from_accepted = p.mail_from;
                }
                // The Send As hint only explains a refused envelope sender, not TLS or login.
                Err(e) => r.errors.push(match (account.send, e.stage) {
                    (SendMode::As, crate::smtp::SmtpStage::MailFrom) => format!(
                        "{e} — Send As needs the server to accept the shared address as envelope sender"
                    ),
                    _ => e.to_string(),
                }),
            }
        }
        Some(SendRoute::File(f)) => {
            if let Err(e) = std::fs::create_dir_all(&f.dir) {
                r.errors.push(format!(
                    "cannot create the outgoing folder {}: {e}",
                    f.dir.display()
                ));
            }
        }
        _ => {}
    }
    let _ = config;
}

/// Prints the human-readable report; returns whether every account is usable.
pub fn print_text(
    reports: &[AccountReport],
    warnings: &[crate::config::Problem],
    config_path: &Path,
    out: &mut dyn std::io::Write,
) -> std::io::Result<bool> {
    use crate::sanitize::single_line as s;
    writeln!(
        out,
        "config  {} (valid)",
        s(&config_path.display().to_string())
    )?;
    for w in warnings {
        writeln!(out, "  warning  {}", s(&w.to_string()))?;
    }
    let mut all_ok = true;
    for r in reports {
        all_ok &= r.usable;
        writeln!(out)?;
        writeln!(
            out,
            "{}  {}",
            s(&r.name),
            if r.usable { "ok" } else { "NOT USABLE" }
        )?;
        writeln!(
            out,
            "  {:<9} {}, mailbox {}{}",
            r.kind,
            s(&r.location),
            s(&r.mailbox),
            r.messages
                .map(|n| format!(" ({n} messages)"))
                .unwrap_or_default()
        )?;
        if !r.capabilities.is_empty() || !r.missing_capabilities.is_empty() {
            writeln!(
                out,
                "  {:<9} {}{}",
                "caps",
                r.capabilities.join(" "),
                if r.missing_capabilities.is_empty() {
                    String::new()
                } else {
                    format!("  (missing: {})", r.missing_capabilities.join(" "))
                }
            )?;
        }
        if let Some(eff) = &r.effective_rights {
            let source = match (&r.rights, r.rights_source) {
                (Some(raw), _) => format!("MYRIGHTS {}", s(raw)),
                (None, Some("filesystem")) => {
                    "Maildir: from the folder's file permissions".to_string()
                }
                (None, _) => format!(
                    "no ACL: inferred from SELECT ({}PERMANENTFLAGS {})",
                    if r.read_only == Some(true) {
                        "READ-ONLY, "
                    } else {
                        ""
                    },
                    s(&r.permanent_flags.join(" "))
                ),
            };
            writeln!(out, "  {:<9} {eff} ({source})", "rights")?;
            writeln!(out, "  {:<9} {}", "actions", r.actions.join(", "))?;
        }
        let folders = r.team_folders.as_deref().map(s).unwrap_or_default();
        let keywords = match (r.team_state, r.team_state_setting, r.keywords_permanent) {
            (Some("read-only"), _, _) => Some(
                "read-only for this agent: team state is visible but cannot be changed".to_string(),
            ),
            (Some("keywords"), "keywords", Some(false)) => {
                Some("not permanent, but team_state = \"keywords\": team state is not kept".into())
            }
            (Some("keywords"), _, _) => {
                Some("permanent: team state is kept in IMAP keywords".to_string())
            }
            (Some(_), "folders", Some(true)) => Some(format!(
                "permanent, but team_state = \"folders\": team state maps to folders (a claim is the move itself): {folders}"
            )),
            (Some(_), _, _) => Some(format!(
                "not permanent: team state maps to folders (a claim is the move itself): {folders}"
            )),
            (None, _, _) => None,
        };
        if let Some(k) = keywords {
            writeln!(out, "  {:<9} {k}", "keywords")?;
        }
        super::check_triage::print(r, out)?;
        let send = match (&r.identity, r.send) {
            (_, "none") => "none: this agent may not send from this account".to_string(),
            (Some(id), mode) => format!(
                "{mode}: From {}, {}, MAIL FROM {}",
                s(&id.from),
                id.sender
                    .as_deref()
                    .map(|x| format!("Sender {}", s(x)))
                    .unwrap_or_else(|| "no Sender".into()),
                s(&id.mail_from)
            ),
            (None, mode) => mode.to_string(),
        };
        writeln!(out, "  {:<9} {send}", "send")?;
        if let Some(route) = &r.send_route {
            let mut line = s(route);
            if let Some(login) = &r.smtp_login {
                line.push_str(&format!(", login {}", s(login)));
            }
            if let Some(from) = &r.mail_from_accepted {
                line.push_str(&format!(", MAIL FROM:<{}> accepted", s(from)));
            }
            writeln!(out, "  {:<9} {line}", "via")?;
        }
        super::check_policy::print(r, out)?;
        for w in &r.warnings {
            writeln!(out, "  {:<9} {}", "warning", s(w))?;
        }
        for e in &r.errors {
            writeln!(out, "  {:<9} {}", "ERROR", s(e))?;
        }
    }
    Ok(all_ok)
}

/// The whole `check` command: exit 0 when every account is usable, 1 otherwise.
pub fn run(config_path: Option<&Path>, offline: bool, json: bool) -> std::process::ExitCode {
    use std::process::ExitCode;
    let mut out = std::io::stdout().lock();
    let loaded = match super::load_config(config_path) {
        Ok(l) => l,
        Err(e) => {
            if json {
                let problems: Vec<String> = match &e {
                    crate::config::ConfigError::Invalid { problems, .. } => {
                        problems.iter().map(|p| p.to_string()).collect()
                    }
                    other => vec![other.to_string()],
                };
                let v = serde_json::json!({ "config_errors": problems });
                // Problems quote the file's text: the safe encoder keeps its controls escaped.
                if let Ok(text) = crate::sanitize::to_json_compact(&v) {
                    let _ = writeln!(out, "{text}");
                }
            }
            let _ = writeln!(
                std::io::stderr(),
                "mailroom: {}",
                crate::sanitize::multi_line(&e.to_string())
            );
            return ExitCode::from(1);
        }
    };
    let mut reports = check_accounts(&loaded.config, offline);
    // Account-level config warnings belong in that account's report (and so in --json).
    let mut global_warnings = Vec::new();
    for w in &loaded.warnings {
        match reports
            .iter_mut()
            .find(|r| Some(&r.name) == w.account.as_ref())
        {
            Some(r) => r.warnings.insert(0, format!("`{}`: {}", w.key, w.message)),
            None => global_warnings.push(w.clone()),
        }
    }
    let ok = reports.iter().all(|r| r.usable);
    if json {
        match crate::sanitize::to_json_pretty(&reports) {
            Ok(s) => {
                let _ = writeln!(out, "{s}");
            }
            Err(e) => {
                let _ = writeln!(std::io::stderr(), "mailroom: cannot encode the report: {e}");
                return ExitCode::from(1);
            }
        }
    } else if print_text(&reports, &global_warnings, &loaded.config.source, &mut out).is_err() {
        return ExitCode::from(1);
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
