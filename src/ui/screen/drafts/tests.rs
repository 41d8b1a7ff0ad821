use super::*;

fn draft(to: &[&str], subject: &str) -> Draft {
    Draft {
        id: "d1".into(),
        account: "support\u{1b}[2J".into(),
        from: "support@example.test".into(),
        to: to.iter().map(|s| s.to_string()).collect(),
        cc: vec!["x@y.test".into()],
        bcc: Vec::new(),
        subject: subject.into(),
        body: String::new(),
        reply_to_uid: None,
        in_reply_to: None,
        references: Vec::new(),
        quoted: None,
        attachments: Vec::new(),
        forwarded: Vec::new(),
        saved: 1_000,
    }
}

#[test]
fn a_row_names_account_recipient_subject_and_age() {
    let [account, to, subject, age] =
        row(&draft(&["carol@customer.test"], "Re: refund"), 1_000 + 7200);
    assert!(!account.contains('\u{1b}'));
    assert_eq!(to, "carol@customer.test +1");
    assert_eq!(subject, "Re: refund");
    assert!(!age.is_empty());
    let [_, to, subject, _] = row(&draft(&[], " "), 1_000);
    assert_eq!(
        (to.as_str(), subject.as_str()),
        ("(no recipient)", "(no subject)")
    );
}
