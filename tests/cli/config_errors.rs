//! Broken configurations get precise errors (file, line, column; account and key), never a panic.

use std::path::Path;

use mailroom::config::{self, ConfigError};

const VALID: &str = r#"
[agent]
id = "alice"
name = "Alice Example"
email = "alice@example.test"
[agent.fields]
title = "Support Engineer"

[ui]
columns = ["support", "sales"]

[[account]]
name = "support"
address = "support@example.test"
display_name = "Example Support"
aliases = ["help@example.test"]
send = "as"
signature = "support"
[account.imap]
host = "127.0.0.1"
port = 11993
login = "alice"
password_command = "echo pw"
mailbox = "shared/support/INBOX"
sent = "shared/support/Sent"
[account.smtp]
host = "127.0.0.1"
port = 11587
login = "alice"
password_command = "echo pw"

[[account]]
name = "sales"
address = "sales@example.test"
send = "on-behalf"
[account.imap]
host = "mail.example.test"
tls = "starttls"
login = "alice"
authzid = "sales"
password_command = "echo pw"
[account.sendmail]
command = "msmtp -t"

[signature.support]
text = """
{agent.name} · {agent.fields.title}
{account.display_name} <{account.address}>"""
disclaimer = "Confidential."
placement = "below-reply"
required = true
"#;

fn parse(text: &str) -> Result<config::Loaded, ConfigError> {
    config::parse(text, Path::new("/etc/mailroom/config.toml"))
}

fn error_text(text: &str) -> String {
    match parse(text) {
        Ok(_) => panic!("expected an error for:\n{text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn valid_config_parses_with_defaults() {
    let loaded = parse(VALID).expect("valid");
    let c = &loaded.config;
    assert_eq!(c.agent.id, "alice");
    assert_eq!(c.accounts.len(), 2);
    let support = &c.accounts[0];
    assert_eq!(support.send, config::SendMode::As);
    assert_eq!(support.sent_copy, config::SentCopy::Append);
    let imap = support.imap.as_ref().unwrap();
    assert_eq!(imap.tls, config::Tls::Implicit);
    let sales = c.accounts[1].imap.as_ref().unwrap();
    assert_eq!(sales.port(), 143);
    assert_eq!(sales.mailbox, "INBOX");
    assert_eq!(c.ui.theme, "default");
}

#[test]
fn the_example_config_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let text = std::fs::read_to_string(&path).expect("config.example.toml exists");
    if let Err(e) = config::parse(&text, &path) {
        panic!("config.example.toml: {e}");
    }
}

/// The complete policy document shown in config.example.toml's comments is a valid policy.
#[test]
fn the_policy_in_the_example_configs_comments_parses() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml");
    let text = std::fs::read_to_string(&path).expect("config.example.toml exists");
    let policy: String = text
        .lines()
        .skip_while(|l| !l.starts_with("#   version = "))
        .take_while(|l| l.starts_with("#   "))
        .map(|l| format!("{}\n", &l[4..]))
        .collect();
    assert!(policy.contains("[send]"), "no policy example found");
    let p = mailroom::policy::team::parse(&policy)
        .unwrap_or_else(|e| panic!("the policy in config.example.toml: {e}\n{policy}"));
    assert_eq!(p.templates.len(), 1);
    assert!(p.send.is_some() && p.signature.is_some() && p.review.is_some() && p.sla.is_some());
}

#[test]
fn unknown_key_names_line_and_column() {
    let text = VALID.replace(
        "display_name = \"Example Support\"",
        "display_nam = \"Example Support\"",
    );
    let e = error_text(&text);
    let line = text
        .lines()
        .position(|l| l.starts_with("display_nam "))
        .unwrap()
        + 1;
    assert!(
        e.starts_with(&format!("/etc/mailroom/config.toml:{line}:1:")),
        "{e}"
    );
    assert!(e.contains("display_nam"), "{e}");
}

#[test]
fn type_error_names_line_and_column() {
    let text = VALID.replace("port = 11993", "port = \"eleven\"");
    let e = error_text(&text);
    let line = text.lines().position(|l| l.contains("\"eleven\"")).unwrap() + 1;
    assert!(e.contains(&format!("config.toml:{line}:8:")), "{e}");
}

#[test]
fn bad_enum_value_is_a_located_error() {
    let text = VALID.replace("send = \"as\"", "send = \"maybe\"");
    let e = error_text(&text);
    assert!(e.contains("config.toml:"), "{e}");
    assert!(e.contains("maybe") || e.contains("variant"), "{e}");
}

#[test]
fn toml_syntax_error_is_located() {
    let e = error_text("[agent\nid = 1");
    assert!(e.starts_with("/etc/mailroom/config.toml:1:"), "{e}");
}

#[test]
fn bad_agent_id() {
    let e = error_text(&VALID.replace("id = \"alice\"", "id = \"Alice Smith\""));
    assert!(e.contains("`agent.id`") && e.contains("a-z, 0-9"), "{e}");
    let e = error_text(&VALID.replace("id = \"alice\"", "id = \"al)ce\""));
    assert!(e.contains("`agent.id`"), "{e}");
}

#[test]
fn missing_signature_names_account_and_key() {
    let e = error_text(&VALID.replace("signature = \"support\"", "signature = \"helpdesk\""));
    assert!(
        e.contains("account \"support\": `signature`: signature \"helpdesk\" does not exist"),
        "{e}"
    );
}

#[test]
fn unknown_signature_field() {
    let e = error_text(&VALID.replace("{agent.fields.title}", "{agent.fields.phone}"));
    assert!(
        e.contains("`signature.support.text`") && e.contains("agent.fields.phone"),
        "{e}"
    );
    let e = error_text(&VALID.replace("Confidential.", "Confidential {account.fax}"));
    assert!(
        e.contains("`signature.support.disclaimer`") && e.contains("account.fax"),
        "{e}"
    );
}

#[test]
fn tls_none_only_on_loopback() {
    let e = error_text(&VALID.replace("tls = \"starttls\"", "tls = \"none\""));
    assert!(
        e.contains("account \"sales\": `imap.tls`") && e.contains("loopback"),
        "{e}"
    );
    // On loopback it is an explicit, accepted opt-out.
    let ok = VALID.replace("port = 11993", "port = 11143\ntls = \"none\"");
    parse(&ok).expect("tls none on 127.0.0.1 is allowed");
}

#[test]
fn account_without_mail_store() {
    let text = VALID.replace(
        "[account.imap]\nhost = \"mail.example.test\"\ntls = \"starttls\"\nlogin = \"alice\"\nauthzid = \"sales\"\npassword_command = \"echo pw\"\n",
        "",
    );
    let e = error_text(&text);
    assert!(
        e.contains("account \"sales\": `imap`")
            && e.contains("neither [account.imap] nor [account.maildir]"),
        "{e}"
    );
}

#[test]
fn column_naming_no_account() {
    let e = error_text(&VALID.replace(
        "columns = [\"support\", \"sales\"]",
        "columns = [\"support\", \"billing\"]",
    ));
    assert!(
        e.contains("`ui.columns`") && e.contains("\"billing\" names no account"),
        "{e}"
    );
}

#[test]
fn several_problems_are_all_reported() {
    let text = VALID
        .replace("id = \"alice\"", "id = \"ALICE\"")
        .replace("columns = [\"support\", \"sales\"]", "columns = [\"nope\"]");
    let e = error_text(&text);
    assert!(e.contains("2 problems"), "{e}");
}

#[test]
fn missing_credentials_and_send_route() {
    let e = error_text(&VALID.replace("[account.sendmail]\ncommand = \"msmtp -t\"\n", ""));
    assert!(
        e.contains("account \"sales\": `send`") && e.contains("needs one of"),
        "{e}"
    );
    let e = error_text(&VALID.replacen("password_command = \"echo pw\"\nmailbox", "mailbox", 1));
    assert!(
        e.contains("account \"support\": `imap.password_command`"),
        "{e}"
    );
}

#[test]
fn hostile_values_never_panic_and_are_sanitized_in_errors() {
    let e = error_text(&VALID.replace("id = \"alice\"", "id = \"\\u001b]0;pwned\\u0007\""));
    assert!(!e.contains('\x1b') && !e.contains('\x07'), "{e:?}");
    for junk in [
        "",
        "\0\0\0",
        "[[account]]\n",
        "agent = 5",
        "[agent]\nid=\"a\"\nname=\"b\"\nemail=\"c@d\"\n[[account]]\nname=\"x\"\n",
    ] {
        let _ = parse(junk); // must not panic
    }
}

#[cfg(unix)]
#[test]
fn plaintext_password_in_readable_file() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    let text = VALID.replacen(
        "password_command = \"echo pw\"\nmailbox",
        "password = \"hunter2\"\nmailbox",
        1,
    );
    std::fs::write(&path, &text).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let e = config::load(&path).unwrap_err().to_string();
    assert!(e.contains("account \"support\": `imap.password`"), "{e}");
    assert!(e.contains(&format!("chmod 600 {}", path.display())), "{e}");
    assert!(!e.contains("hunter2"), "{e}");
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let loaded = config::load(&path).expect("0600 is fine");
    // The secret never shows in Debug output.
    let dbg = format!("{:?}", loaded.config);
    assert!(!dbg.contains("hunter2"), "{dbg}");
}

#[test]
fn unreadable_file_is_named() {
    let e = config::load(Path::new("/nonexistent/mailroom.toml"))
        .unwrap_err()
        .to_string();
    assert!(e.contains("/nonexistent/mailroom.toml"), "{e}");
}

#[test]
fn agent_fields_allow_line_breaks_only() {
    let with_field = |value: &str| {
        VALID.replace(
            "title = \"Support Engineer\"",
            &format!("title = \"Support Engineer\"\nphone = \"{value}\""),
        )
    };
    // A multi-line field is fine.
    parse(&with_field("+1 555 0100\\next. 7")).expect("a line feed is allowed");
    for (escaped, code) in [
        ("\\t", "U+0009"),
        ("\\r", "U+000D"),
        ("\\u0000", "U+0000"),
        ("\\u001b[31m", "U+001B"),
        ("\\u007f", "U+007F"),
        ("\\u009b31m", "U+009B"),
        ("\\u0085", "U+0085"),
    ] {
        let e = error_text(&with_field(&format!("x{escaped}y")));
        assert!(
            e.contains("agent.fields.phone") && e.contains(code),
            "{escaped}: {e}"
        );
        assert!(!e.contains('\x1b') && !e.contains('\u{9b}'), "{e:?}");
    }
}

// ---- [keys] ---------------------------------------------------------------------------------

fn with_keys(table: &str) -> String {
    format!("{VALID}\n{table}\n")
}

#[test]
fn keys_rebind_per_context() {
    let loaded = parse(&with_keys(
        "[keys.list]\ntoggle_flag = \"F\"\ndown = [\"j\", \"Down\", \"Ctrl-n\"]\n\
         [keys.reader]\nclose = [\"q\", \"Esc\", \"Backspace\"]\n\
         [keys.command]\ncomplete = \"Ctrl-t\"\n[keys.compose]\nsend = \"F5\"\n",
    ))
    .expect("valid keys");
    let keys = &loaded.config.keys;
    assert_eq!(keys.list["toggle_flag"].as_slice(), ["F"]);
    assert_eq!(keys.list["down"].as_slice().len(), 3);
    let map = mailroom::ui::keys::Keymap::from_config(keys).expect("keymap");
    use mailroom::ui::keys::{Action, Context};
    assert_eq!(
        map.keys_of(Context::List, Action::ToggleFlag)
            .iter()
            .map(|k| k.to_string())
            .collect::<Vec<_>>(),
        ["F"]
    );
    // An empty list unbinds.
    parse(&with_keys("[keys.list]\nreply = []\n")).expect("unbinding is allowed");
}

#[test]
fn unknown_action_names_the_key() {
    let e = error_text(&with_keys("[keys.list]\nflag = \"F\"\n"));
    assert!(
        e.starts_with(
            "/etc/mailroom/config.toml: `keys.list.flag`: no such action in the list context"
        ),
        "{e}"
    );
    assert!(e.contains("toggle_flag"), "lists the actions: {e}");
    // An action of another context is unknown here.
    let e = error_text(&with_keys("[keys.reader]\nfilter = \"/\"\n"));
    assert!(
        e.contains("`keys.reader.filter`: no such action in the reader context"),
        "{e}"
    );
}

#[test]
fn unparsable_keys_are_errors_with_the_reason() {
    for (spec, why) in [
        ("Ctrl-", "is not a key"),
        ("jk", "is not a key"),
        ("", "empty"),
        ("Alt-f", "Alt and Meta combinations cannot be bound"),
        ("S-f", "Shift is written into the key itself"),
        ("Ctrl-i", "terminals send this as Tab"),
        ("F13", "is not a key"),
    ] {
        let e = error_text(&with_keys(&format!(
            "[keys.list]\ntoggle_flag = \"{spec}\"\n"
        )));
        assert!(
            e.contains("`keys.list.toggle_flag`") && e.contains(why),
            "{spec}: {e}"
        );
    }
    // Neither a string nor a list: a located type error.
    let text = with_keys("[keys.list]\ntoggle_flag = 5\n");
    let e = error_text(&text);
    let line = text
        .lines()
        .position(|l| l.starts_with("toggle_flag = 5"))
        .unwrap()
        + 1;
    assert!(
        e.starts_with(&format!("/etc/mailroom/config.toml:{line}:")),
        "{e}"
    );
    assert!(e.contains("a key such as"), "{e}");
    // An unknown context is an unknown key, with its line.
    let e = error_text(&with_keys("[keys.lsit]\ndown = \"j\"\n"));
    assert!(e.contains("lsit"), "{e}");
}

#[test]
fn conflicting_bindings_in_one_context_are_errors() {
    let e = error_text(&with_keys("[keys.list]\ntoggle_flag = \"j\"\n"));
    assert!(
        e.contains("`keys.list.toggle_flag`: \"j\" is also bound to down in the list context"),
        "{e}"
    );
    // Two configured actions on one key.
    let e = error_text(&with_keys(
        "[keys.list]\ntoggle_flag = \"F\"\ntoggle_read = \"F\"\n",
    ));
    assert!(e.contains("\"F\" is also bound to"), "{e}");
    // Moving the other action away resolves it.
    parse(&with_keys(
        "[keys.list]\ntoggle_flag = \"j\"\ndown = [\"Down\", \"J\"]\n",
    ))
    .expect("no clash once down moved");
    // The same key in different contexts is fine.
    parse(&with_keys(
        "[keys.list]\ntoggle_flag = \"F\"\n[keys.reader]\ntoggle_flag = \"F\"\n",
    ))
    .expect("contexts are separate");
    // Letters are text in the command line and the compose pane.
    let e = error_text(&with_keys("[keys.command]\ncomplete = \"x\"\n"));
    assert!(
        e.contains("`keys.command.complete`") && e.contains("typed as text"),
        "{e}"
    );
    let e = error_text(&with_keys("[keys.compose]\nsend = \"Space\"\n"));
    assert!(
        e.contains("`keys.compose.send`") && e.contains("typed as text"),
        "{e}"
    );
}

#[test]
fn several_key_problems_are_all_reported() {
    let e = error_text(&with_keys(
        "[keys.list]\nflg = \"F\"\ntoggle_read = \"Alt-x\"\n[keys.reader]\nclose = \"j\"\n",
    ));
    assert!(e.contains("3 problems"), "{e}");
    assert!(
        e.contains("keys.list.flg")
            && e.contains("keys.list.toggle_read")
            && e.contains("keys.reader.close"),
        "{e}"
    );
    let e = error_text(&with_keys("[keys.list]\n\"\\u001b[2J\" = \"F\"\n"));
    assert!(!e.contains('\u{1b}'), "{e:?}");
}

#[test]
fn notes_folder_is_optional_and_checked() {
    let loaded = parse(&VALID.replace(
        "send = \"as\"",
        "send = \"as\"\nnotes_folder = \"shared/support/Notes\"",
    ))
    .expect("valid");
    assert_eq!(
        loaded.config.accounts[0].notes_folder.as_deref(),
        Some("shared/support/Notes")
    );
    assert_eq!(
        parse(VALID).expect("valid").config.accounts[0].notes_folder,
        None
    );
    for bad in ["\"\"", "\"Notes\\r\\nA1 LOGOUT\"", "\"No\\u001btes\""] {
        let e = error_text(&VALID.replace(
            "send = \"as\"",
            &format!("send = \"as\"\nnotes_folder = {bad}"),
        ));
        assert!(e.contains("notes_folder"), "{bad}: {e}");
        assert!(!e.contains('\u{1b}'), "{e:?}");
    }
}

#[test]
fn request_read_receipt_defaults_to_false_and_must_be_a_boolean() {
    let loaded = parse(VALID).expect("valid");
    assert!(
        loaded
            .config
            .accounts
            .iter()
            .all(|a| !a.request_read_receipt)
    );
    let on = VALID.replace(
        "display_name = \"Example Support\"",
        "display_name = \"Example Support\"\nrequest_read_receipt = true",
    );
    let c = parse(&on).expect("valid").config;
    assert!(c.accounts[0].request_read_receipt);
    assert!(!c.accounts[1].request_read_receipt);
    let wrong = VALID.replace(
        "display_name = \"Example Support\"",
        "display_name = \"Example Support\"\nrequest_read_receipt = \"yes\"",
    );
    let e = error_text(&wrong);
    assert!(
        e.contains("request_read_receipt") || e.contains("bool"),
        "{e}"
    );
    // The example documents it (and parses, above).
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml"))
            .unwrap();
    assert!(example.contains("\nrequest_read_receipt = "));
}

#[test]
fn insight_business_hours_and_offset_are_checked() {
    let ok = format!(
        "{VALID}\n[insight]\nbusiness_hours = \"Mon-Fri 09:00-17:00\"\ntimezone_offset = \"+01:00\"\n"
    );
    let c = parse(&ok).expect("valid").config;
    assert_eq!(
        c.insight.business_hours.as_deref(),
        Some("Mon-Fri 09:00-17:00")
    );
    assert!(
        parse(VALID)
            .expect("valid")
            .config
            .insight
            .business_hours
            .is_none()
    );
    let e = error_text(&format!(
        "{VALID}\n[insight]\nbusiness_hours = \"Mon-Fry 9-5\"\n"
    ));
    assert!(e.contains("`insight.business_hours`"), "{e}");
    let e = error_text(&format!("{VALID}\n[insight]\ntimezone_offset = \"CET\"\n"));
    assert!(e.contains("`insight.timezone_offset`"), "{e}");
    let e = error_text(&format!("{VALID}\n[insight]\nbusiness_hour = \"x\"\n"));
    assert!(e.contains("business_hour"), "{e}");
    let example =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("config.example.toml"))
            .unwrap();
    assert!(example.contains("\n[insight]"));
}

#[test]
fn ui_layout_defaults_to_auto_and_a_bad_one_is_located() {
    let loaded = parse(VALID).expect("valid");
    assert_eq!(loaded.config.ui.layout, config::Layout::Auto);
    let text = VALID.replace("[ui]\n", "[ui]\nlayout = \"focus\"\n");
    let loaded = parse(&text).expect("valid");
    assert_eq!(loaded.config.ui.layout, config::Layout::Focus);
    let text = VALID.replace("[ui]\n", "[ui]\nlayout = \"grid\"\n");
    let e = error_text(&text);
    let line = text.lines().position(|l| l.starts_with("layout")).unwrap() + 1;
    assert!(e.contains(&format!("config.toml:{line}:10:")), "{e}");
    assert!(e.contains("grid") && e.contains("focus"), "{e}");
}

#[test]
fn personal_templates_are_read_and_checked_at_load() {
    let ok = format!(
        "{VALID}\n[template.refund]\nsubject = \"Re: {{ticket.subject}}\"\nbody = \"Hello {{customer.name}},\\n{{agent.name}}\"\n"
    );
    let loaded = parse(&ok).expect("valid");
    let t = &loaded.config.templates["refund"];
    assert_eq!(t.subject.as_deref(), Some("Re: {ticket.subject}"));
    assert!(t.body.starts_with("Hello {customer.name}"));

    let e = error_text(&format!(
        "{VALID}\n[template.refund]\nbody = \"Hi {{customer.phone}}\"\n"
    ));
    assert!(e.contains("template.refund.body"), "{e}");
    assert!(e.contains("customer.phone"), "{e}");
    let e = error_text(&format!(
        "{VALID}\n[template.refund]\nsubject = \"{{ticket.subjct}}\"\nbody = \"x\"\n"
    ));
    assert!(e.contains("template.refund.subject"), "{e}");
    let e = error_text(&format!("{VALID}\n[template.\"Bad Name\"]\nbody = \"x\"\n"));
    assert!(e.contains("template.Bad Name"), "{e}");
    let e = error_text(&format!("{VALID}\n[template.x]\nbody = \"a\\u001bb\"\n"));
    assert!(e.contains("U+001B"), "{e}");
    let e = error_text(&format!("{VALID}\n[template.x]\nbdy = \"x\"\n"));
    assert!(e.contains("bdy"), "{e}");
}

#[test]
fn compose_address_book_command_is_optional_and_checked() {
    let loaded = parse(VALID).expect("valid");
    assert!(loaded.config.compose.address_book_command.is_empty());
    let text = format!("{VALID}\n[compose]\naddress_book_command = [\"khard\", \"email\"]\n");
    let loaded = parse(&text).expect("valid");
    assert_eq!(
        loaded.config.compose.address_book_command,
        ["khard", "email"]
    );
    let e = error_text(&format!(
        "{VALID}\n[compose]\naddress_book_command = [\"\"]\n"
    ));
    assert!(e.contains("compose.address_book_command"), "{e}");
    // A string is not an argument vector: located, not guessed at.
    let e = error_text(&format!(
        "{VALID}\n[compose]\naddress_book_command = \"khard email\"\n"
    ));
    assert!(
        e.contains("config.toml:") && e.contains("expected a sequence"),
        "{e}"
    );
    let e = error_text(&format!(
        "{VALID}\n[compose]\nadress_book_command = [\"x\"]\n"
    ));
    assert!(e.contains("adress_book_command"), "{e}");
}
