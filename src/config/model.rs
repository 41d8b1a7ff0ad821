//! The configuration file's shape, as users write it (see `man 5 mailroom.toml`).
//!
//! Every table denies unknown keys so a typo is reported with its line, not ignored.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde::Deserialize;

use super::secret::Secret;

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub agent: Agent,
    #[serde(default)]
    pub ui: Ui,
    #[serde(default, rename = "account")]
    pub accounts: Vec<Account>,
    #[serde(default, rename = "signature")]
    pub signatures: BTreeMap<String, Signature>,
    /// Key bindings that replace the defaults, per context.
    #[serde(default)]
    pub keys: Keys,
    /// The team: who messages can be assigned to.
    #[serde(default)]
    pub team: Team,
    /// `[insight]`: how `mailroom stats` counts time (business hours, timezone).
    #[serde(default)]
    pub insight: Insight,
    /// `[compose]`: the compose pane's address book.
    #[serde(default)]
    pub compose: ComposeSettings,
    /// Where this configuration was read from; set by the loader, not by the file.
    #[serde(skip)]
    pub source: PathBuf,
}

/// The person at the keyboard.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Agent {
    pub id: String,
    pub name: String,
    pub email: String,
    /// The zone snooze times are typed and shown in: an IANA name (`Europe/Berlin`) or a fixed
    /// offset (`+01:00`); `None` is the system's (`triage::when::agent_zone`).
    pub timezone: Option<String>,
    #[serde(default)]
    pub fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ui {
    #[serde(default = "default_theme")]
    pub theme: String,
    /// Side-by-side order of accounts; `None` means every account in file order.
    pub columns: Option<Vec<String>>,
    /// The team view every column starts in: open, mine, unassigned, pending, done or all.
    #[serde(default = "default_view")]
    pub view: String,
    /// `[ui.notify]`: new mail and assignments while mailroom runs.
    #[serde(default)]
    pub notify: super::notify::Notify,
    /// The program `o` in the reader hands a file to, as an argument vector (no shell); the
    /// file's path is added last. `$BROWSER`, when set, opens HTML parts instead.
    #[serde(default = "default_open_command")]
    pub open_command: Vec<String>,
    /// How the accounts are laid out: auto, columns, tabs or focus (`config::Layout`).
    #[serde(default)]
    pub layout: super::Layout,
    /// `mark_read`: when a message becomes read (issue 18).
    #[serde(default)]
    pub mark_read: MarkRead,
}

/// `ui.mark_read`: when mailroom marks a message read (`\Seen`, shared with the team where
/// the server shares read state).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MarkRead {
    /// Shown in the reader for a short while (`ui::screen::read_state::OPEN_DELAY_SECS`),
    /// and replied to.
    #[default]
    Open,
    /// Replied to only.
    Reply,
    /// Never: only Space marks a message read.
    Never,
}

impl Default for Ui {
    fn default() -> Self {
        Ui {
            theme: default_theme(),
            columns: None,
            view: default_view(),
            notify: super::notify::Notify::default(),
            open_command: default_open_command(),
            layout: super::Layout::default(),
            mark_read: MarkRead::default(),
        }
    }
}

fn default_open_command() -> Vec<String> {
    vec!["xdg-open".to_string()]
}

fn default_view() -> String {
    "open".to_string()
}

/// `[compose]`: settings of the compose pane.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ComposeSettings {
    /// The address book program To/Cc/Bcc completion asks (aerc's contract), as an argument
    /// vector (no shell): the query is added last; it prints `address<TAB>name` lines. Empty:
    /// no address book (completion uses the account's mail alone).
    #[serde(default)]
    pub address_book_command: Vec<String>,
}

/// `[team]`: the roster `A` (assign) offers; agents seen in keywords are offered too.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Team {
    #[serde(default)]
    pub agents: Vec<String>,
    /// Agent id → the agent's own address: a `Sender:` with it is that agent (stats, audit).
    #[serde(default)]
    pub emails: BTreeMap<String, String>,
}

/// `[insight]`: business hours and the timezone that `mailroom stats` counts in. Both are
/// checked in validation (`BusinessHours::parse`, `parse_offset`).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Insight {
    /// e.g. `"Mon-Fri 09:00-17:00"`: response times then count only time inside these hours.
    pub business_hours: Option<String>,
    /// A fixed UTC offset such as `"+01:00"` for business hours, the weekday×hour table and
    /// bare dates given to `--since`/`--until`; default UTC.
    pub timezone_offset: Option<String>,
}

fn default_theme() -> String {
    "default".to_string()
}

/// `[keys.CONTEXT]` tables: action name → key or keys. Actions and keys are checked in
/// validation (`config::keys`), where each problem can be named `keys.CONTEXT.ACTION`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Keys {
    #[serde(default)]
    pub list: BTreeMap<String, KeyList>,
    #[serde(default)]
    pub reader: BTreeMap<String, KeyList>,
    #[serde(default)]
    pub compose: BTreeMap<String, KeyList>,
    #[serde(default)]
    pub command: BTreeMap<String, KeyList>,
}

/// One key (`"F"`) or several (`["j", "Down"]`); an empty list unbinds the action.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyList(pub Vec<String>);

impl KeyList {
    pub fn as_slice(&self) -> &[String] {
        &self.0
    }
}

impl<'de> Deserialize<'de> for KeyList {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<KeyList, D::Error> {
        struct Visitor;
        impl<'de> serde::de::Visitor<'de> for Visitor {
            type Value = KeyList;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("a key such as \"j\" or \"Ctrl-d\", or a list of keys")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<KeyList, E> {
                Ok(KeyList(vec![v.to_string()]))
            }
            fn visit_seq<S: serde::de::SeqAccess<'de>>(
                self,
                mut seq: S,
            ) -> Result<KeyList, S::Error> {
                let mut v = Vec::new();
                while let Some(k) = seq.next_element::<String>()? {
                    v.push(k);
                }
                Ok(KeyList(v))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum SendMode {
    /// From: the shared address, no Sender.
    As,
    /// From: the shared address, Sender: the agent.
    OnBehalf,
    /// Sending from this account is refused.
    None,
}

impl SendMode {
    pub fn as_str(self) -> &'static str {
        match self {
            SendMode::As => "as",
            SendMode::OnBehalf => "on-behalf",
            SendMode::None => "none",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum SentCopy {
    /// mailroom appends the sent message to the account's Sent folder.
    #[default]
    Append,
    /// The server keeps its own copy (Gmail, Exchange).
    Server,
    /// No copy is kept.
    None,
}

impl SentCopy {
    pub fn as_str(self) -> &'static str {
        match self {
            SentCopy::Append => "append",
            SentCopy::Server => "server",
            SentCopy::None => "none",
        }
    }
}

/// Which address goes into SMTP `MAIL FROM` in on-behalf mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum EnvelopeFrom {
    #[default]
    Agent,
    Shared,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Account {
    pub name: String,
    pub address: String,
    pub display_name: Option<String>,
    #[serde(default)]
    pub aliases: Vec<String>,
    pub send: SendMode,
    pub signature: Option<String>,
    #[serde(default)]
    pub sent_copy: SentCopy,
    #[serde(default)]
    pub envelope_from: EnvelopeFrom,
    pub imap: Option<Imap>,
    pub maildir: Option<Maildir>,
    pub smtp: Option<Smtp>,
    pub sendmail: Option<Sendmail>,
    pub file: Option<FileOutbox>,
    /// Where internal notes are appended. Default: `Notes` beside the IMAP mailbox
    /// (`shared/support/INBOX` → `shared/support/Notes`), or `Notes` of the Maildir.
    pub notes_folder: Option<String>,
    /// Where `done` also moves a message (optional): e.g. `shared/support/Archive`.
    pub archive_folder: Option<String>,
    /// Where the team policy is published. Default: `Policy` in the mailbox's tree (a child of
    /// `shared/support`, a sibling of an `INBOX`), named with the server's own hierarchy.
    pub policy_folder: Option<String>,
    /// Why the team policy lowered `send` (set by `policy::team::apply`, never read from TOML).
    #[serde(skip)]
    pub policy_reason: Option<String>,
    /// The version of the team policy applied to this account (set by `policy::team::apply`,
    /// never read from TOML): what an outbox entry records it was built under.
    #[serde(skip)]
    pub policy_version: Option<u64>,
    /// Ask for read receipts: every message sent from this account carries
    /// `Disposition-Notification-To:` with the address it is From (the shared address).
    #[serde(default)]
    pub request_read_receipt: bool,
}

impl Account {
    /// The display name shown in From:, falling back to the account name.
    pub fn display_name(&self) -> &str {
        self.display_name.as_deref().unwrap_or(&self.name)
    }

    pub fn send_route(&self) -> Option<SendRoute<'_>> {
        if let Some(s) = &self.smtp {
            Some(SendRoute::Smtp(s))
        } else if let Some(s) = &self.sendmail {
            Some(SendRoute::Sendmail(s))
        } else {
            self.file.as_ref().map(SendRoute::File)
        }
    }
}

/// How an account's outgoing mail leaves the machine.
#[derive(Debug, Clone, Copy)]
pub enum SendRoute<'a> {
    Smtp(&'a Smtp),
    Sendmail(&'a Sendmail),
    File(&'a FileOutbox),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Tls {
    /// TLS from the first byte (IMAPS 993, SMTPS 465).
    Implicit,
    /// Plain connection upgraded with STARTTLS before anything else is sent.
    Starttls,
    /// No TLS at all: only accepted for loopback hosts.
    None,
}

impl Tls {
    pub fn as_str(self) -> &'static str {
        match self {
            Tls::Implicit => "implicit",
            Tls::Starttls => "starttls",
            Tls::None => "none",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum AuthMethod {
    /// LOGIN, or SASL PLAIN when `authzid` is set.
    #[default]
    Password,
    /// SASL XOAUTH2 with a bearer token from `token_command`.
    Xoauth2,
}

/// Credentials shared by the IMAP and SMTP tables.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Imap {
    pub host: String,
    pub port: Option<u16>,
    #[serde(default = "tls_implicit")]
    pub tls: Tls,
    pub ca_file: Option<PathBuf>,
    pub login: String,
    pub authzid: Option<String>,
    #[serde(default)]
    pub auth: AuthMethod,
    pub password: Option<Secret>,
    pub password_command: Option<String>,
    pub token_command: Option<String>,
    /// XOAUTH2 `user=`; the shared address for Microsoft 365 shared mailboxes.
    pub user: Option<String>,
    #[serde(default = "inbox")]
    pub mailbox: String,
    pub sent: Option<String>,
    /// Where team state lives on this server (see `triage::folders`).
    #[serde(default)]
    pub team_state: TeamStateSetting,
    /// Parts larger than this (bytes on the wire) are not downloaded when a message is opened:
    /// they are listed with their size and streamed to disk when saved (`imap::parts`).
    #[serde(default = "default_max_part_bytes")]
    pub max_part_bytes: u64,
    /// Seconds one IMAP command may take overall (plus an allowance for the bytes it moves).
    pub deadline: Option<u64>,
}

/// Default of `max_part_bytes` (`[account.imap]`): parts larger than this (on the wire) are not
/// downloaded when a message is opened, and a message up to this size is fetched whole.
pub const DEFAULT_MAX_PART_BYTES: u64 = 4 * 1024 * 1024;
/// What `max_part_bytes` may be: enough for any text, at most one IMAP read budget (64 MiB).
pub const MAX_PART_BYTES_RANGE: (u64, u64) = (64 * 1024, 64 * 1024 * 1024);

fn default_max_part_bytes() -> u64 {
    DEFAULT_MAX_PART_BYTES
}

/// `team_state` of `[account.imap]`: keep team state in IMAP keywords, or in folders beside the
/// mailbox (a claim is the move; no flag); `auto` decides from the PERMANENTFLAGS (`\*` or not).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum TeamStateSetting {
    #[default]
    Auto,
    Keywords,
    Folders,
}

impl TeamStateSetting {
    pub fn as_str(self) -> &'static str {
        match self {
            TeamStateSetting::Auto => "auto",
            TeamStateSetting::Keywords => "keywords",
            TeamStateSetting::Folders => "folders",
        }
    }
}

/// `deadline` seconds as a duration: the default when unset, at least one second.
fn deadline(seconds: Option<u64>) -> std::time::Duration {
    seconds
        .map(|s| std::time::Duration::from_secs(s.max(1)))
        .unwrap_or(crate::net::DEFAULT_DEADLINE)
}

impl Imap {
    /// The overall deadline of each command (see [`crate::net::Deadline`]).
    pub fn deadline(&self) -> std::time::Duration {
        deadline(self.deadline)
    }

    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            Tls::Implicit => 993,
            Tls::Starttls | Tls::None => 143,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Maildir {
    /// The account's Maildir++ root: INBOX is the root itself, other folders are `.Name`.
    pub path: PathBuf,
    #[serde(default = "inbox")]
    pub mailbox: String,
    pub sent: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Smtp {
    pub host: String,
    pub port: Option<u16>,
    #[serde(default = "tls_starttls")]
    pub tls: Tls,
    pub ca_file: Option<PathBuf>,
    pub login: Option<String>,
    pub authzid: Option<String>,
    #[serde(default)]
    pub auth: AuthMethod,
    pub password: Option<Secret>,
    pub password_command: Option<String>,
    pub token_command: Option<String>,
    /// Seconds each SMTP stage may take overall (plus an allowance for the bytes it moves).
    pub deadline: Option<u64>,
}

impl Smtp {
    /// The overall deadline of each stage (see [`crate::net::Deadline`]).
    pub fn deadline(&self) -> std::time::Duration {
        deadline(self.deadline)
    }

    pub fn port(&self) -> u16 {
        self.port.unwrap_or(match self.tls {
            Tls::Implicit => 465,
            Tls::Starttls => 587,
            Tls::None => 25,
        })
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sendmail {
    /// Run through `sh -c`; the message arrives on stdin, recipients are appended as arguments.
    pub command: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FileOutbox {
    /// Each sent message is written here as one `.eml` file instead of being transmitted.
    pub dir: PathBuf,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Default)]
#[serde(rename_all = "kebab-case")]
pub enum Placement {
    /// Under the new text, above the quoted message.
    #[default]
    BelowReply,
    /// At the very end, under the quote.
    Bottom,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Signature {
    pub text: String,
    pub disclaimer: Option<String>,
    #[serde(default)]
    pub placement: Placement,
    #[serde(default)]
    pub required: bool,
}

fn tls_implicit() -> Tls {
    Tls::Implicit
}
fn tls_starttls() -> Tls {
    Tls::Starttls
}
fn inbox() -> String {
    "INBOX".to_string()
}
