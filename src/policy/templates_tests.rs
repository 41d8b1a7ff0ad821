use super::*;
use crate::config::Config;
use crate::policy::team;

const CONFIG: &str = r#"
[agent]
id = "bob"
name = "Bob Agent"
email = "bob@example.test"
[agent.fields]
title = "Support"
[[account]]
name = "support"
address = "support@example.test"
display_name = "Example Support"
send = "on-behalf"
[account.maildir]
path = "/nonexistent"
[template.refund]
body = "personal refund"
[template.thanks]
subject = "Thanks: {ticket.subject}"
body = "\nHello {customer.name},\nthanks.\n{agent.name} ({agent.fields.title}), {account.display_name} <{from.address}>\n\n"
"#;

const POLICY: &str = r#"
version = 3
administrators = ["alice"]
[[template]]
name = "refund"
subject = "Your refund for {ticket.subject}"
body = "Dear {customer.name} <{customer.address}>, refunded."
attachments = ["refund.pdf"]
"#;

fn config() -> Config {
    toml::from_str(CONFIG).unwrap()
}

fn original(raw: &[u8]) -> Summary {
    crate::mail::parse::summary_from_raw(3, raw, 0, Default::default(), Vec::new())
}

fn ctx<'a>(config: &'a Config, customer: Option<&'a Customer>) -> Context<'a> {
    Context {
        agent: &config.agent,
        account: &config.accounts[0],
        from: FromLine {
            address: "help@example.test",
            name: "Help",
        },
        customer,
    }
}

#[test]
fn team_templates_come_first_and_win_over_personal_ones_of_the_same_name() {
    let config = config();
    let policy = team::parse(POLICY).unwrap();
    let list = available(Some(&policy), &config.templates);
    let names: Vec<_> = list
        .iter()
        .map(|t| (t.name.as_str(), t.origin, t.shadowed))
        .collect();
    assert_eq!(
        names,
        vec![
            ("refund", Origin::Team, false),
            ("refund", Origin::Personal, true),
            ("thanks", Origin::Personal, false),
        ]
    );
    let refund = find(&list, "refund").unwrap();
    assert_eq!(refund.origin, Origin::Team);
    assert_eq!(refund.attachments, vec!["refund.pdf".to_string()]);
    assert!(find(&list, "nope").is_none());
    // Without a policy the personal one is used.
    let list = available(None, &config.templates);
    assert_eq!(find(&list, "refund").unwrap().body, "personal refund");
    assert_eq!(list[1].first_line(), "Hello {customer.name},");
}

#[test]
fn renders_customer_agent_account_and_from_fields() {
    let config = config();
    let o = original(
        b"From: Zoe Customer <zoe@outside.test>\r\nSubject: Re: FWD: re:  Printer broken\r\n\r\nx\r\n",
    );
    let customer = Customer::of(&o);
    assert_eq!(customer.name, "Zoe Customer");
    assert_eq!(customer.address, "zoe@outside.test");
    assert_eq!(customer.subject, "Printer broken");
    let list = available(None, &config.templates);
    let r = render(
        find(&list, "thanks").unwrap(),
        &ctx(&config, Some(&customer)),
    )
    .unwrap();
    assert_eq!(r.subject.as_deref(), Some("Thanks: Printer broken"));
    assert_eq!(
        r.body,
        "Hello Zoe Customer,\nthanks.\nBob Agent (Support), Example Support <help@example.test>"
    );
    assert_eq!(insert_above(&r, ""), r.body);
    assert_eq!(insert_above(&r, "\nmore\n"), format!("{}\n\nmore", r.body));
}

#[test]
fn customer_name_falls_back_to_the_local_part_and_mail_text_is_sanitized() {
    let o = original(b"From: zoe.q@outside.test\r\nSubject: Hi\x1b[31m there\r\n\r\nx\r\n");
    let c = Customer::of(&o);
    assert_eq!(c.name, "zoe.q");
    assert!(!c.subject.contains('\x1b'), "{:?}", c.subject);
    let o = original(b"From: \"Evil\x07 \x1b]0;x\x07\" <e@x.test>\r\nSubject: s\r\n\r\nx\r\n");
    let c = Customer::of(&o);
    assert!(!c.name.chars().any(char::is_control), "{:?}", c.name);

    let config = config();
    let policy = team::parse(POLICY).unwrap();
    let list = available(Some(&policy), &config.templates);
    let customer = Customer {
        name: "N".into(),
        address: "a@b.test".into(),
        subject: "line\nbreak".into(),
    };
    let r = render(
        find(&list, "refund").unwrap(),
        &ctx(&config, Some(&customer)),
    )
    .unwrap();
    let subject = r.subject.unwrap();
    assert!(!subject.contains('\n'), "{subject:?}");
    assert_eq!(r.body, "Dear N <a@b.test>, refunded.");
}

#[test]
fn a_new_message_renders_the_customer_fields_empty() {
    let config = config();
    let list = available(None, &config.templates);
    let r = render(find(&list, "thanks").unwrap(), &ctx(&config, None)).unwrap();
    assert_eq!(r.subject.as_deref(), Some("Thanks:"));
    assert!(r.body.starts_with("Hello ,\n"));
    assert_eq!(ticket_subject("Fw: Re:"), "");
    assert_eq!(ticket_subject("Reply needed"), "Reply needed");
}

#[test]
fn team_attachments_come_from_the_policy_message_and_the_header_is_one_safe_line() {
    let config = config();
    let policy = team::parse(POLICY).unwrap();
    let list = available(Some(&policy), &config.templates);
    let refund = find(&list, "refund").unwrap();
    let parts = vec![crate::mail::policy::Attachment {
        name: "refund.pdf".into(),
        content_type: "application/pdf".into(),
        data: b"%PDF".to_vec(),
    }];
    let files = attachments(refund, &parts).unwrap();
    assert_eq!(files.len(), 1);
    assert_eq!(files[0].file_name, "refund.pdf");
    assert_eq!(files[0].data, b"%PDF");
    let e = attachments(refund, &[]).unwrap_err();
    assert_eq!(e.file, "refund.pdf");
    assert_eq!(header_line("refund"), b"X-Mailroom-Template: refund\r\n");
    assert_eq!(
        header_line("a\r\nBcc: x@y"),
        b"X-Mailroom-Template: accxy\r\n"
    );
}
