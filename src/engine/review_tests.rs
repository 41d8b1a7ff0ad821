use super::*;
use crate::mail::compose::{self, Draft};
use crate::policy::identity::SendIdentity;
use crate::policy::team::{InForce, Provenance, parse};

const POLICY: &str = "version = 2\n[send]\nas = [\"alice\"]\non-behalf = [\"bob\"]\n\
    [signature]\ntext = \"The Support Team\"\ndisclaimer = \"TEAM DISCLAIMER\"\nrequired = true\n\
    [review]\nagents = [\"bob\"]\napprovers = [\"alice\"]\n";

/// alice's configuration (a private signature of her own), narrowed to [`POLICY`].
fn alice() -> Config {
    let text = "[agent]\nid = \"alice\"\nname = \"Alice\"\nemail = \"alice@example.test\"\n\
        [[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"as\"\n\
        signature = \"mine\"\n[account.imap]\nhost = \"127.0.0.1\"\nlogin = \"alice\"\n\
        password_command = \"true\"\n[account.file]\ndir = \"/tmp/x\"\n[signature.mine]\ntext = \"Alice, privately\"\n";
    let mut config = crate::config::parse(text, std::path::Path::new("/tmp/alice.toml"))
        .unwrap()
        .config;
    let in_force = InForce {
        policy: parse(POLICY).unwrap(),
        source: Provenance {
            folder: "Policy".into(),
            uid: 1,
            published_by: "alice".into(),
            published_at: String::new(),
        },
        attachments: Vec::new(),
        document: POLICY.into(),
    };
    crate::policy::team::apply(&mut config, "support", &in_force);
    config
}

fn support() -> SendIdentity {
    SendIdentity {
        from_name: "Example Support".into(),
        from: "support@example.test".into(),
        sender: None,
        sender_name: None,
        mail_from: "support@example.test".into(),
    }
}

/// bob's held reply, signed with the team signature and disclaimer.
fn item() -> Item {
    let draft = Draft {
        to: vec!["zoe@outside.test".into()],
        subject: "Re: refund".into(),
        body: "Hello Zoe.\n\n-- \nThe Support Team\n\nTEAM DISCLAIMER\n".into(),
        ..Draft::default()
    };
    let outgoing = compose::build(&draft, &support(), SystemTime::now()).unwrap();
    let raw = item::build_item(&outgoing, "bob", "support", "on-behalf", None).unwrap();
    item::parse_item(&raw).unwrap()
}

#[test]
fn an_approvers_edit_may_not_drop_the_required_team_disclaimer() {
    let config = alice();
    let me = &config.accounts[0];
    let i = item();
    let kept = "Hello Zoe, kindly.\n\n-- \nThe Support Team\n\nTEAM DISCLAIMER\n";
    assert!(edit_keeps_signature(&config, me, &support(), &i, kept).is_ok());
    let dropped = "Hello Zoe, kindly.\n\n-- \nThe Support Team\n";
    let e = edit_keeps_signature(&config, me, &support(), &i, dropped).unwrap_err();
    assert_eq!(
        e.to_string(),
        "the edited reply cannot be approved: the account's disclaimer was removed or \
         changed; it is required for this account"
    );
}

#[test]
fn an_author_who_also_approves_does_not_await_their_own_review() {
    let text = "version = 1\n[review]\nagents = [\"carol\"]\napprovers = [\"alice\", \"carol\"]\n";
    let learned = Learned {
        in_force: Some(std::sync::Arc::new(InForce {
            policy: parse(text).unwrap(),
            source: Provenance {
                folder: "Policy".into(),
                uid: 1,
                published_by: "alice".into(),
                published_at: String::new(),
            },
            attachments: Vec::new(),
            document: text.into(),
        })),
        skipped: Vec::new(),
        origin: super::super::policy::Origin::Server,
        warning: None,
    };
    assert_eq!(
        approvers_for(&learned, "carol"),
        Some(vec!["alice".to_string()])
    );
    assert_eq!(approvers_for(&learned, "alice"), None);
    let alone = Held {
        folder: "Review".into(),
        uid: None,
        id: "x".into(),
        message_id: "m@x".into(),
        approvers: Vec::new(),
    };
    assert!(
        alone.awaiting().contains("names no other approver"),
        "{}",
        alone.awaiting()
    );
}
