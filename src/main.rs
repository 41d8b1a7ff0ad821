//! The `mailroom` binary: parses the command line and hands over to the library.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "mailroom",
    version,
    about = "Triage shared team mailboxes (support@, sales@, billing@) side by side, in the terminal",
    long_about = "Triage shared team mailboxes (support@, sales@, billing@) side by side, in the terminal.\n\n\
        Without a command, mailroom opens the column view of every configured account.\n\
        The configuration is read from $XDG_CONFIG_HOME/mailroom/config.toml unless --config is given;\n\
        see mailroom(1), mailroom.toml(5) and config.example.toml.",
    after_help = "Exit status: 0 success; 1 a check found an unusable account, the configuration is invalid, or a command failed; 2 bad command-line usage.\n\
        Environment: MAILROOM_CONFIG (like --config), XDG_CONFIG_HOME, XDG_DATA_HOME, NO_COLOR."
)]
struct Cli {
    /// Configuration file (default: $XDG_CONFIG_HOME/mailroom/config.toml)
    #[arg(
        long,
        short = 'c',
        global = true,
        value_name = "PATH",
        env = "MAILROOM_CONFIG"
    )]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Validate the configuration, then log in to every account and report what the agent may do
    ///
    /// Also predicts triage problems before the first claim, each as a warning: team folders
    /// missing that this agent may not create (the `k` right), keywords the server would refuse
    /// (their length, Cyrus' table of 100 user flags), whether `\Seen` is shared by the team or
    /// per agent, and the server's Sent folder when none is configured. Changes no message.
    ///
    /// Shows the team policy in force per IMAP account (version, who published it, when, the
    /// folder) or "no team policy (the local config rules)", warns about policy messages that
    /// were skipped, and about anyone (you included) who may insert into or delete from the
    /// policy folder without being an administrator: everyone's rights (GETACL) where you hold
    /// `a`, else only yours (MYRIGHTS); on servers without ACL it says that tamper-evidence rests
    /// on the server's own folder permissions.
    Check {
        /// Only validate the configuration (and local Maildirs); no network
        #[arg(long)]
        offline: bool,
        /// Print one JSON object per account (an array) instead of text
        #[arg(long)]
        json: bool,
    },
    /// List the messages of an account's mailbox, newest first (or in another --sort order)
    #[command(
        after_help = "SEARCH (--search QUERY, the syntax of :search in the column view):\n  \
            invoice               a word in the headers or the body (Maildir, --offline: headers)\n  \
            \"order #97916\"        a phrase (the quotes are not searched for)\n  \
            from:acme to:sales@ subject:\"late delivery\" body:refund\n  \
            since:2026-12-01 before:yesterday since:7d   days in [insight] timezone_offset (UTC when unset)\n  \
            is:unread is:read is:flagged is:answered\n  \
            assigned:bob assigned:me status:open|pending|done|snoozed\n  \
            a b   both      a or b   either      -a   not a      (a or b) c   grouping\n\
            A wrong term is named with its column, and nothing is listed (exit status 1)."
    )]
    List {
        /// The account's `name` from the configuration
        account: String,
        /// Print a JSON array instead of a table
        #[arg(long)]
        json: bool,
        /// Show at most N messages (the first N in the order listed: by default the newest)
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        /// Order: date (newest arrival first, as the column view), waiting (oldest first),
        /// sender or subject (A to Z, ties newest first), due (waiting for a first response
        /// first, the earliest due first); the keys of the TUI's `:sort`
        #[arg(
            long,
            value_name = "KEY",
            default_value = "date",
            value_parser = clap::builder::PossibleValuesParser::new(
                mailroom::mail::sort::Sort::KEYS.map(|s| s.name())
            ),
        )]
        sort: String,
        /// Only what the local header cache holds; no network
        #[arg(long)]
        offline: bool,
        /// Only the messages matching QUERY, in the syntax of :search: words, "phrases",
        /// from: to: subject: body: since: before: is: assigned: status:, or, -, ( )
        #[arg(long, value_name = "QUERY")]
        search: Option<String>,
    },
    /// Show one message: sanitized headers, readable text and attachments (never marks it
    /// read); parts above the account's max_part_bytes stay on the server until saved
    Show {
        /// The account's `name` from the configuration
        account: String,
        /// The message's UID (the first column of `list`)
        uid: u32,
        /// The message exactly as stored (in caret form when printed to a terminal)
        #[arg(long)]
        raw: bool,
        /// Save attachment N (as numbered in the output; repeatable) instead of showing the
        /// message; parts that were not downloaded are streamed from the server
        #[arg(long, value_name = "N")]
        save: Vec<usize>,
        /// Where --save writes (an existing folder; default: the current one)
        #[arg(long, value_name = "DIR", default_value = ".", requires = "save")]
        to: std::path::PathBuf,
    },
    /// Send a message from a shared account, through the same identity and signature policy as
    /// the compose pane (queued in the durable outbox first)
    #[command(
        after_help = "The account's team policy (its policy folder; the copy kept by the last read \
            when the server cannot be reached) is applied first: it wins where it speaks, and the \
            local `send` can only narrow it. A lowered mode is said on standard error; an agent the \
            policy gives no mode is refused with its reason; a required team signature and \
            disclaimer replace your own; a broken newer policy is reported and skipped. Exit status \
            1 when the message was not delivered (refused, deferred, uncertain)."
    )]
    Send(mailroom::cli::send::SendArgs),
    /// List the outbox (queued, deferred, failed, uncertain and damaged entries); --retry sends
    /// what can be sent, --retry ID --force an uncertain message
    #[command(
        long_about = "List the outbox: every message not yet delivered and filed, with its state \
            (queued, sending, submitted, deferred, failed, uncertain), attempts and last error, and \
            every entry that cannot be used (damaged, or an orphan .eml/.json file, with its path).\n\n\
            An uncertain message went out whole but no reply from the server was recorded (the \
            process was killed, or the connection died, between the end of the data and the reply): \
            it may have been delivered. It is shown with the time, the server and its Message-ID, and \
            whether the account's Sent folder holds a copy with that Message-ID (servers that file \
            Sent themselves, sent_copy = \"server\"). It is never sent again on its own, not by \
            --retry nor by the column view: `mailroom outbox --retry ID --force` sends it again.\n\n\
            Before a retry transmits a message, the account's team policy is read again: a message \
            its agent may no longer send that way, or that lacks the team signature the policy now \
            requires, is held (failed, its error starting with \"held:\") instead of sent.\n\n\
            Exit status 1 when a message is failed or uncertain, an entry is damaged or orphaned, or \
            the outbox cannot be read; 0 otherwise."
    )]
    Outbox(mailroom::cli::outbox::OutboxArgs),
    /// Replies the team policy holds for review: list them, show one, approve (send it with
    /// your identity) or return one to its author with a note
    #[command(
        after_help = "ID: the item's UID in the review folder, or the short id `list` shows.\n\
            Exit status: 0 success; 1 an unknown account or item, an item already decided by \
            another approver, an agent who may not approve, an unreachable server, or an \
            approved reply that was not delivered (see `mailroom outbox`)."
    )]
    Review(mailroom::cli::review::ReviewArgs),
    /// Who sent what, as which identity and mode, to whom, when, with what result: the local
    /// audit log and every account's Sent folder merged (one row per message), newest first
    #[command(
        long_about = "Who sent what, as which identity and mode, to whom, when, with what result.\n\n\
            Merges the local audit log (every send attempt on this machine, refusals and deferrals \
            included) with the copies in each account's Sent folder (every message filed, from any \
            machine). An audit record and its Sent copy are one row (source \"log+sent\"); a copy \
            without a local record says \"sent (no local record)\". Mode is \"on-behalf\" when the \
            message has a Sender that differs from From, else \"as\". Rows are newest first; times are UTC.",
        after_help = "Exit status: 0 success; 1 a Sent folder could not be read (the rows from every other source are still printed), or the audit log's directory is unknown."
    )]
    Audit {
        /// Only this account (its `name` from the configuration)
        #[arg(long, value_name = "NAME")]
        account: Option<String>,
        /// Only rows attributed to this agent id ("unknown" for unattributed Sent copies)
        #[arg(long, value_name = "ID")]
        agent: Option<String>,
        /// Only rows from this time on: YYYY-MM-DD (midnight UTC) or RFC 3339
        /// (2026-11-27T14:03:00Z, 2026-11-27T15:03:00+01:00)
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Print a JSON array of rows instead of text
        #[arg(long)]
        json: bool,
    },
    /// Rights on every configured shared mailbox and its folders: yours (MYRIGHTS), everyone's
    /// (GETACL) where you hold `a`, risky grants flagged
    #[command(
        long_about = "Rights on every configured shared mailbox and its folders.\n\n\
            For each IMAP account: the configured mailbox and every selectable folder beside or below \
            it (LIST \"<parent>/*\", e.g. shared/support/*; LIST \"*\" when the mailbox has no parent), \
            with your rights (MYRIGHTS) and, where you hold `a`, every identifier's rights (GETACL). \
            Rights are shown without the obsolete c/d. Flagged: `anyone` or `authenticated` holding \
            rights (public); more than one identifier besides `owner` holding `a` (several-admins); \
            an identifier with l or r but neither w nor i that holds t, e or x (read-role-deletes); \
            on the team policy folder, anyone but its administrators (the policy's `administrators` \
            and holders of `a`) holding i, t, e or x (policy-writable). \
            Maildir accounts are local folders without ACL.",
        after_help = "Exit status: 0 the report is complete (even with risky grants); 1 an account could not be examined (unreachable server, login refused, a failed command) — every other account is still reported."
    )]
    Access {
        /// Print a JSON array (one object per account) instead of text
        #[arg(long)]
        json: bool,
    },
    /// Claim, assign or change the team state of a message (IMAP keywords, or team folders on servers without them; atomic claims)
    #[command(
        after_help = "Several messages: `mailroom triage support 118,120 121 done`, or every message matching a search (the language of `list --search`): `mailroom triage support --search 'from:payments' done`. Each message is applied on its own and reported on its own line (with --json: an array, one object per UID); exit status 1 when any was not applied."
    )]
    Triage {
        /// The account's `name` from the configuration
        account: String,
        /// UID[,UID…] [UID…] (none with --search), then the action: claim | assign AGENT |
        /// unassign | pending | done | reopen | snooze WHEN (WHEN: YYYY-MM-DDTHH:MM in UTC, or
        /// +30m, +4h, +2d)
        #[arg(required = true, num_args = 1.., value_name = "UID… ACTION")]
        words: Vec<String>,
        /// Act on every message of the account's mailbox matching QUERY (as `list --search`)
        #[arg(long, value_name = "QUERY")]
        search: Option<String>,
        /// With the folder mapping: the team folder the UID is in (Pending, Done,
        /// Assigned/AGENT; default the account's mailbox)
        #[arg(long = "in", value_name = "FOLDER")]
        folder: Option<String>,
        /// Print JSON
        #[arg(long)]
        json: bool,
        /// Skip the client-side rights check (the server still decides)
        #[arg(long)]
        force: bool,
    },
    /// Add an internal note to a message: appended to the account's notes folder as a message
    /// from you, threaded to the customer's message, never sent (needs the `i` right there)
    Note {
        /// The account's `name` from the configuration
        account: String,
        /// The message's UID
        uid: u32,
        /// The note's text (words are joined with spaces; "-" reads standard input; put "--"
        /// before text that starts with "-")
        #[arg(required = true, value_name = "TEXT")]
        text: Vec<String>,
        /// Print JSON (folder, UID, Message-ID of the note)
        #[arg(long)]
        json: bool,
    },
    /// List the internal notes of a message (and of later messages of its thread), oldest first
    Notes {
        /// The account's `name` from the configuration
        account: String,
        /// The message's UID
        uid: u32,
        /// Print JSON
        #[arg(long)]
        json: bool,
    },
    /// Response times per mailbox and per agent: received, answered, unanswered (oldest
    /// waiting), first-response median and p90, by weekday and hour
    #[command(
        long_about = "Response times per mailbox and per agent, computed from the mail itself.\n\n\
            A customer message is a message of the account's mailbox whose INTERNALDATE (when the \
            server received it) lies in the window, not from the account's own address or aliases, \
            and not an automatic report. Its first response is the earliest message of the account's \
            Sent folder whose In-Reply-To or References names it; the response time is the \
            difference of the two INTERNALDATEs (never the Date: header), counted in business hours \
            only when [insight] business_hours is set. Median and p90 use the nearest-rank method. \
            A Sent message is attributed to the agent of its Sender: (on behalf), else its \
            X-Mailroom-Agent: (send as), else the local audit log, else \"unknown\". Nothing is \
            marked read. See mailroom(1).",
        after_help = "DATE: YYYY-MM-DD, YYYY-MM-DDTHH:MM[:SS], or a time ago such as 12h, 7d, 4w; read in the [insight] timezone_offset (default UTC; a time ending in Z is UTC). A bare --until date includes that day.\n\
            Exit status: 0 success; 1 an unknown account, a bad date, an unreachable server or an unreadable folder."
    )]
    Stats {
        /// Accounts to report (their `name`s); default: every account
        #[arg(value_name = "ACCOUNT")]
        accounts: Vec<String>,
        /// Count customer messages received from DATE on (inclusive)
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// Count customer messages received before DATE (a bare date: up to its end); their
        /// replies may come later
        #[arg(long, value_name = "DATE")]
        until: Option<String>,
        /// Print the whole report as JSON (durations in seconds)
        #[arg(long)]
        json: bool,
    },
    /// List the reply templates an account offers: the team policy's and your own
    ///
    /// Team templates come from the policy in force (read from the server, else the copy kept
    /// from the last read); personal ones are [template.NAME] in the config. A team template wins
    /// over a personal one of the same name. Use one with `mailroom send --template NAME` or the
    /// compose pane's template picker.
    Templates {
        /// The account's `name` from the configuration
        account: String,
        /// Print the list as JSON
        #[arg(long)]
        json: bool,
    },
    /// The team policy of a shared mailbox (held in its policy folder): show, history, diff,
    /// publish (validate, append, lock the folder)
    #[command(
        long_about = "The team policy of a shared mailbox: a TOML document (see policy.example.toml \
            and mailroom.toml(5), TEAM POLICY) held as a message in the account's policy folder \
            (default: the child folder Policy of its mailbox's tree; `policy_folder` overrides). \
            The newest valid policy message is in force; older ones are its history; a newer one \
            that fails validation is reported and skipped.\n\n\
            publish validates FILE (errors with line:column; nothing is appended on error), refuses \
            a version not newer than the one in force, appends it (creating the folder when missing, \
            which needs `k`), then locks the folder when you hold the `a` right there: you, the \
            policy's administrators and holders of `a` keep their rights, everyone else keeps at \
            most `lr`. Without `a` it says that the folder is not locked.",
        after_help = "Exit status: 0 success; 1 an unknown account, a FILE that fails validation or is not newer than the policy in force, an unreachable server or a refused command (show: the kept copy is shown but the server was not read), or publish could not lock after appending."
    )]
    Policy(mailroom::cli::policy::PolicyArgs),
    /// Build a local demo workspace (three shared Maildir mailboxes, no server) and open it
    Demo {
        /// Where to build it (default: $XDG_DATA_HOME/mailroom/demo)
        #[arg(long, value_name = "DIR")]
        dir: Option<PathBuf>,
        /// Only build the workspace and print the path of its config file
        #[arg(long)]
        print_config: bool,
        /// Delete an existing demo workspace in DIR and build it anew
        #[arg(long)]
        reset: bool,
    },
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(code) => code,
        Err(e) => {
            // Errors carry untrusted text (server answers, file names): one sanitized line each.
            let mut msg = format!("mailroom: {e}");
            for cause in e.chain().skip(1) {
                // Many errors already print their source in their own text: say it once.
                let cause = cause.to_string();
                if !cause.is_empty() && !msg.contains(&cause) {
                    msg.push_str(&format!(": {cause}"));
                }
            }
            let _ = writeln!(
                std::io::stderr(),
                "{}",
                mailroom::sanitize::multi_line(&msg)
            );
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Some(Command::Check { offline, json }) => Ok(mailroom::cli::check::run(
            cli.config.as_deref(),
            offline,
            json,
        )),
        Some(Command::List {
            account,
            json,
            limit,
            sort,
            offline,
            search,
        }) => {
            let loaded = mailroom::cli::load_config(cli.config.as_deref())?;
            // clap has checked the name.
            let sort = mailroom::mail::sort::Sort::parse(&sort).unwrap_or_default();
            mailroom::cli::list::run(
                &loaded.config,
                &account,
                json,
                limit,
                sort,
                offline,
                search.as_deref(),
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Show {
            account,
            uid,
            raw,
            save,
            to,
        }) => {
            let loaded = mailroom::cli::load_config(cli.config.as_deref())?;
            mailroom::cli::show::run(&loaded.config, &account, uid, raw, &save, &to)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Send(args)) => {
            let loaded = mailroom::cli::load_config(cli.config.as_deref())?;
            let sent = mailroom::cli::send::run(&loaded.config, &args)?;
            Ok(if sent {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Some(Command::Triage {
            account,
            words,
            search,
            folder,
            json,
            force,
        }) => {
            let loaded = mailroom::cli::load_config(cli.config.as_deref())?;
            let done = mailroom::cli::triage::run(
                &loaded.config,
                &account,
                &words,
                search.as_deref(),
                folder.as_deref(),
                json,
                force,
            )?;
            Ok(if done {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Some(Command::Note {
            account,
            uid,
            text,
            json,
        }) => {
            let loaded = mailroom::cli::load_config(cli.config.as_deref())?;
            mailroom::cli::note::run_add(&loaded.config, &account, uid, &text, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Notes { account, uid, json }) => {
            let loaded = mailroom::cli::load_config(cli.config.as_deref())?;
            mailroom::cli::note::run_list(&loaded.config, &account, uid, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Audit {
            account,
            agent,
            since,
            json,
        }) => {
            let loaded = mailroom::cli::load_config(cli.config.as_deref())?;
            let args = mailroom::cli::audit::AuditArgs {
                account,
                agent,
                since,
                json,
            };
            let complete = mailroom::cli::audit::run(&loaded.config, &args)?;
            Ok(if complete {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Some(Command::Access { json }) => {
            let loaded = mailroom::cli::load_config(cli.config.as_deref())?;
            let complete = mailroom::cli::access::run(&loaded.config, json)?;
            Ok(if complete {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Some(Command::Outbox(args)) => {
            let loaded = mailroom::cli::load_config(cli.config.as_deref())?;
            let ok = mailroom::cli::outbox::outbox(&loaded.config, &args)?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Some(Command::Review(args)) => {
            let loaded = mailroom::cli::load_config(cli.config.as_deref())?;
            let ok = mailroom::cli::review::run(&loaded.config, &args)?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Some(Command::Stats {
            accounts,
            since,
            until,
            json,
        }) => {
            let loaded = mailroom::cli::load_config(cli.config.as_deref())?;
            let args = mailroom::cli::stats::StatsArgs {
                accounts,
                since,
                until,
                json,
            };
            mailroom::cli::stats::run(&loaded.config, &args)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Templates { account, json }) => {
            let loaded = mailroom::cli::load_config(cli.config.as_deref())?;
            mailroom::cli::templates::run(&loaded.config, &account, json)?;
            Ok(ExitCode::SUCCESS)
        }
        Some(Command::Policy(args)) => {
            let loaded = mailroom::cli::load_config(cli.config.as_deref())?;
            let ok = mailroom::cli::policy::run(&loaded.config, &args)?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            })
        }
        Some(Command::Demo {
            dir,
            print_config,
            reset,
        }) => {
            let dir = match dir {
                Some(d) => d,
                None => mailroom::demo::default_dir()
                    .context("cannot determine a data directory; use --dir")?,
            };
            let ws = mailroom::demo::build_workspace(&dir, reset)
                .with_context(|| format!("building the demo in {}", dir.display()))?;
            if print_config {
                println!("{}", ws.config_path.display());
                return Ok(ExitCode::SUCCESS);
            }
            let loaded = mailroom::config::load(&ws.config_path)?;
            mailroom::ui::run(&loaded.config)?;
            Ok(ExitCode::SUCCESS)
        }
        None => {
            let loaded = mailroom::cli::load_config(cli.config.as_deref())?;
            mailroom::ui::run(&loaded.config)?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
