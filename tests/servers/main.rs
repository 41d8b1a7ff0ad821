//! Everything that talks to a server: the real Dovecot + Postfix of the test bed
//! (`crate::support::testbed`, one private pair per test on free loopback ports, so the tests
//! run in parallel threads), the fake and hostile servers for what no real server does, and the
//! real binary in tmux against the test bed (`crate::tmux`). Needs the packages of
//! `tests/install-deps`. One test crate, one module per area:
//! `cargo test --test servers`, or one area: `cargo test --test servers imap_engine::`.

#[path = "../support/mod.rs"]
mod support;
#[path = "../ui_support/tmux.rs"]
mod tmux;
#[path = "../ui_support/mod.rs"]
mod ui_support;

mod audit_access_testbed;
mod big_message;
mod cache_unusable;
mod check_testbed;
mod cyrus_check;
mod cyrus_parity;
mod cyrus_smoke;
mod fetch_parse_testbed;
mod folder_claims;
mod hostile_references;
mod imap_deadline;
mod imap_engine;
mod imap_hostile_server;
mod imap_liveness;
mod imap_starttls_safety;
mod live_delta;
mod m365_smoke;
mod maildir_dovecot;
mod mdn_testbed;
mod newest_first;
mod notes_testbed;
mod outbox_faults;
mod policy_enforce;
mod policy_publish;
mod policy_testbed;
mod review_testbed;
mod search_testbed;
mod send_pipeline;
mod sent_recipients;
mod sla_testbed;
mod smtp_deadline;
mod smtp_starttls_safety;
mod smtp_submit;
mod stats_testbed;
mod templates_testbed;
mod testbed_smoke;
mod triage_cyrus;
mod triage_folders;
mod triage_testbed;
mod ui_bulk_live;
mod ui_conversation_live;
mod ui_editor_live;
mod ui_live;
mod ui_notes_live;
mod ui_notify_live;
mod ui_policy_live;
mod ui_replying_live;
mod ui_stats_live;
mod ui_team_live;
mod undo_live;
