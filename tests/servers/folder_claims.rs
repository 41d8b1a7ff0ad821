//! The folder-mode claim protocol (issue 16, failures 1–3) on the Microsoft 365-like IMAP of
//! the test bed: `support::m365::M365Proxy` in front of the real Dovecot (no `\*` in
//! PERMANENTFLAGS: team state maps to folders by itself), every agent logged in the Exchange
//! way: XOAUTH2 with `user=` the shared address and the agent's own token (mailroom's
//! `auth = "xoauth2"` + `token_command`). The proxy logs each token in as the delegated
//! `support*alice`, whose session has every right; the agent ids are mailroom's own.
//!
//! A claim is atomic by its MOVE: for every failure path (lost race, a team folder that cannot
//! be created, a refused move, a right missing on the mailbox, a connection dropped before or
//! after the MOVE reached the server, a late loser, duplicate copies) a race of 2 and one of 10
//! agents, then a raw session checks that each message is in exactly one place, that mailroom
//! sent no `\Flagged`, that at most one agent won each message and every loser names the real
//! winner, and that a later claim works.

use crate::support;

use mailroom::config::{Imap, TeamStateSetting};
use mailroom::triage::act::{ActError, Applied};
use mailroom::triage::folders::Mapping;
use support::cli::Cli;
use support::m365::{DropAt, M365Proxy};
use support::race::{Claim, claim_race_with};
use support::testbed::{RawImap, Testbed};

const TWO: [&str; 2] = ["alice", "bob"];
const TEN: [&str; 10] = [
    "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan", "judy",
];

/// One test's Dovecot and the proxy in front of it, every agent's token allowed.
struct Bed {
    tb: Testbed,
    proxy: M365Proxy,
}

fn token(agent: &str) -> String {
    format!("token-of-{agent}")
}

impl Bed {
    fn start() -> Bed {
        let tb = Testbed::start();
        let proxy = M365Proxy::start(tb.imap_plain_port);
        for agent in TEN {
            proxy.allow_token(&token(agent), "alice");
        }
        Bed { tb, proxy }
    }

    /// `agent`'s `[account.imap]`: XOAUTH2 through the proxy, `user=` the shared address.
    fn imap(&self, agent: &str) -> Imap {
        toml::from_str(&self.imap_table(agent)).unwrap()
    }

    fn imap_table(&self, agent: &str) -> String {
        self.imap_table_with(agent, &token(agent))
    }

    fn imap_table_with(&self, agent: &str, token: &str) -> String {
        format!(
            "host = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nlogin = \"{agent}@example.test\"\nauth = \"xoauth2\"\nuser = \"support@example.test\"\ntoken_command = \"echo {token}\"\nmailbox = \"INBOX\"\n",
            self.proxy.port(),
        )
    }

    fn cli(&self, agent: &str) -> Cli {
        Cli::with_config(&format!(
            "[agent]\nid = \"{agent}\"\nname = \"{agent} Agent\"\nemail = \"{agent}@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\n{}",
            self.imap_table(agent)
        ))
    }

    /// A session straight to Dovecot as the shared account (not through the proxy).
    fn raw(&self) -> RawImap {
        self.tb
            .raw_imap_login("support*alice", Testbed::password("alice"))
            .unwrap_or_else(|e| panic!("raw login: {e}"))
    }

    /// Delivers `count` messages named `<tag>.<n>@outside.test` into the shared INBOX with
    /// `flags` (`F`: flagged by a user); their Message-IDs, UIDs in the same order.
    fn put(&self, tag: &str, count: usize, flags: &str) -> Vec<(String, u32)> {
        let ids: Vec<String> = (1..=count)
            .map(|n| format!("<{tag}.{n}@outside.test>"))
            .collect();
        for (n, id) in ids.iter().enumerate() {
            let raw = format!(
                "From: c{n}@outside.test\r\nTo: support@example.test\r\nSubject: {tag} {n}\r\nMessage-ID: {id}\r\n\r\nbody\r\n"
            );
            self.tb
                .put_message("support", "INBOX", raw.as_bytes(), flags);
        }
        let mut raw = self.raw();
        ids.into_iter()
            .map(|id| {
                let uid = places_in(&mut raw, &id)
                    .into_iter()
                    .find(|p| p.folder == "INBOX")
                    .unwrap_or_else(|| panic!("{id} not in INBOX"))
                    .uid;
                (id, uid)
            })
            .collect()
    }

    /// Creates `Assigned/<agent>` for each agent (as an administrator would).
    fn create_folders(&self, agents: &[&str]) {
        let mut raw = self.raw();
        for a in agents {
            raw.cmd_ok(&format!("CREATE \"Assigned/{a}\""));
        }
    }

    fn race(&self, agents: &[&str], messages: &[(String, u32)], hint: bool) -> Results {
        let configs: Vec<Imap> = agents.iter().map(|a| self.imap(a)).collect();
        self.race_with(agents, &configs, messages, hint)
    }

    fn race_with(
        &self,
        agents: &[&str],
        configs: &[Imap],
        messages: &[(String, u32)],
        hint: bool,
    ) -> Results {
        let claims: Vec<Claim> = messages
            .iter()
            .map(|(id, uid)| Claim {
                uid: *uid,
                message_id: hint.then(|| id.clone()),
            })
            .collect();
        claim_race_with(
            agents,
            configs,
            "INBOX",
            TeamStateSetting::Auto,
            &claims,
            |m| matches!(m, Mapping::Folders(tf) if tf.root.is_empty()),
        )
    }

    /// Where message `id` is now; asserts it is in exactly one place.
    fn only_place(&self, id: &str) -> Place {
        let places = places_in(&mut self.raw(), id);
        assert_eq!(places.len(), 1, "{id} should be in one place: {places:?}");
        places.into_iter().next().unwrap()
    }

    /// No command mailroom sent through the proxy names `\Flagged` (nor any keyword).
    fn no_flag_written(&self) {
        let stores: Vec<String> = self
            .proxy
            .commands()
            .into_iter()
            .filter(|c| {
                let up = c.to_ascii_uppercase();
                up.contains("STORE ") && up.contains("\\FLAGGED")
            })
            .collect();
        assert!(stores.is_empty(), "mailroom wrote \\Flagged: {stores:?}");
    }
}

type Results = Vec<Vec<Result<Applied, ActError>>>;

/// Messages per race of a failure path: 3 for two agents, 4 for ten (the plain races run 5).
fn per_race(agents: &[&str]) -> usize {
    if agents.len() > 2 { 4 } else { 3 }
}

#[derive(Debug, Clone)]
struct Place {
    folder: String,
    uid: u32,
    flags: String,
}

/// Every copy of message `id` in the shared account, with its FLAGS.
fn places_in(raw: &mut RawImap, id: &str) -> Vec<Place> {
    let list = raw.cmd_ok("LIST \"\" \"*\"");
    let mut out = Vec::new();
    for line in list.lines().filter(|l| l.starts_with("* LIST")) {
        if line.contains("\\Noselect") || line.contains("\\NonExistent") {
            continue;
        }
        let Some(name) = line.rsplit(' ').next() else {
            continue;
        };
        let name = name.trim_matches('"').to_string();
        raw.cmd(&format!("EXAMINE \"{name}\""));
        if raw.last_status() != "OK" {
            continue;
        }
        let found = raw.cmd_ok(&format!("UID SEARCH HEADER Message-ID \"{id}\""));
        let uids: Vec<u32> = found
            .lines()
            .filter_map(|l| l.strip_prefix("* SEARCH"))
            .flat_map(|l| l.split_whitespace().filter_map(|u| u.parse().ok()))
            .collect();
        for uid in uids {
            let flags = raw.cmd_ok(&format!("UID FETCH {uid} (FLAGS)"));
            let flags = flags
                .lines()
                .find(|l| l.contains("FETCH ("))
                .unwrap_or_default()
                .to_string();
            out.push(Place {
                folder: name.clone(),
                uid,
                flags,
            });
        }
    }
    out
}

/// The outcome of one message of a race, checked against where the message is.
#[derive(Debug)]
struct Outcome {
    /// The agent whose folder holds it (`None`: still in INBOX).
    holder: Option<String>,
    /// Agents whose claim succeeded.
    winners: Vec<String>,
    /// Errors other than a lost claim, by agent.
    errors: Vec<(String, ActError)>,
}

/// Checks message `k` of a race: in exactly one place, without a `\Flagged` mailroom added
/// (`flagged`: a user's flag it must keep), at most one winner and it is the holder, every
/// lost claim names the holder. Returns the outcome for the test's own checks.
fn check(
    bed: &Bed,
    agents: &[&str],
    results: &Results,
    k: usize,
    id: &str,
    flagged: bool,
) -> Outcome {
    let place = bed.only_place(id);
    assert_eq!(
        place.flags.contains("\\Flagged"),
        flagged,
        "{id}: \\Flagged is the user's alone: {}",
        place.flags
    );
    let holder = place.folder.strip_prefix("Assigned/").map(str::to_string);
    if holder.is_none() {
        assert_eq!(place.folder, "INBOX", "{id}");
    }
    let mut winners = Vec::new();
    let mut errors = Vec::new();
    for (a, agent) in agents.iter().enumerate() {
        match &results[a][k] {
            Ok(applied) => {
                let to = applied.moved_to.as_ref().expect("a claim moves");
                assert_eq!(to.mailbox, format!("Assigned/{agent}"), "{id}");
                assert_eq!(to.uid, Some(place.uid), "{id}: the new UID from COPYUID");
                winners.push(agent.to_string());
            }
            Err(ActError::Lost { winner }) => assert_eq!(
                Some(winner.as_str()),
                holder.as_deref(),
                "{id}: {agent} lost to {winner:?}, but the message is in {}",
                place.folder
            ),
            Err(e) => errors.push((agent.to_string(), e.clone())),
        }
    }
    assert!(
        winners.len() <= 1,
        "{id}: more than one winner: {winners:?}"
    );
    if let Some(w) = winners.first() {
        assert_eq!(Some(w), holder.as_ref(), "{id}: the winner holds it");
    }
    Outcome {
        holder,
        winners,
        errors,
    }
}

/// `agent` claims `uid` in a session of its own, telling mailroom the message's Message-ID
/// (as the TUI does from its row).
fn claim_knowing(bed: &Bed, agent: &str, uid: u32, id: &str) -> Result<Applied, ActError> {
    let cfg = bed.imap(agent);
    let mut conn = mailroom::imap::connect::open_session(&mailroom::imap::connect::Target {
        account: "support",
        config: &cfg,
    })
    .unwrap_or_else(|e| panic!("{agent}: {e}"));
    let mut sel =
        mailroom::triage::act::select_with_rights(&mut conn, "INBOX", TeamStateSetting::Auto)?;
    sel.know_message_id(uid, id);
    mailroom::triage::act::apply(
        &mut conn,
        &sel,
        "INBOX",
        uid,
        &mailroom::triage::state::Action::Claim,
        agent,
        true,
    )
}

/// `agent` claims `uid` through the CLI; (exit code, output).
fn cli_claim(bed: &Bed, agent: &str, uid: u32) -> (i32, String) {
    bed.cli(agent)
        .run_joined(&["triage", "support", &uid.to_string(), "claim"])
}

/// Plain races: one winner per message, every loser names it, the new UID comes from
/// COPYUID, no flag is written; a flag a user set stays (and the message is claimable).
#[test]
fn races_of_two_and_ten_agents_have_one_winner_named_by_every_loser() {
    let bed = Bed::start();
    for (agents, tag, flags) in [
        (&TWO[..], "two", ""),
        (&TEN[..], "ten", ""),
        (&TWO[..], "two-flagged", "F"),
        (&TEN[..], "ten-flagged", "F"),
    ] {
        let count = if flags.is_empty() {
            5
        } else {
            per_race(agents)
        };
        let msgs = bed.put(tag, count, flags);
        let results = bed.race(agents, &msgs, false);
        for (k, (id, _)) in msgs.iter().enumerate() {
            let o = check(&bed, agents, &results, k, id, flags == "F");
            assert_eq!(o.winners.len(), 1, "{id}: {o:?}");
            assert!(o.errors.is_empty(), "{id}: {o:?}");
        }
    }
    bed.no_flag_written();
}

/// A user's flag is not a claim: a flagged message is claimed at once, keeps its flag through
/// claim, unassign and a second claim, and mailroom never writes `\Flagged`.
#[test]
fn a_message_flagged_by_a_user_is_claimable_and_keeps_its_flag() {
    let bed = Bed::start();
    let msgs = bed.put("flagged", 1, "F");
    let (id, uid) = &msgs[0];
    let started = std::time::Instant::now();
    let (code, out) = cli_claim(&bed, "bob", *uid);
    assert_eq!(code, 0, "{out}");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "a user's flag made the claim wait: {:?}",
        started.elapsed()
    );
    let place = bed.only_place(id);
    assert_eq!(place.folder, "Assigned/bob");
    assert!(place.flags.contains("\\Flagged"), "{}", place.flags);
    let (code, out) = bed.cli("bob").run_joined(&[
        "triage",
        "support",
        &place.uid.to_string(),
        "unassign",
        "--in",
        "Assigned/bob",
    ]);
    assert_eq!(code, 0, "{out}");
    let place = bed.only_place(id);
    assert_eq!(place.folder, "INBOX");
    assert!(
        place.flags.contains("\\Flagged"),
        "the user's flag: {}",
        place.flags
    );
    let (code, out) = cli_claim(&bed, "alice", place.uid);
    assert_eq!(code, 0, "{out}");
    assert_eq!(bed.only_place(id).folder, "Assigned/alice");
    bed.no_flag_written();
}

/// A team folder that does not exist and may not be created (CREATE refused, as without the
/// `k` right): that agent's claim fails naming the folder and `k`, and changes nothing; agents
/// whose folder exists race as usual; once the folder can be created, the claim works.
#[test]
fn a_team_folder_that_cannot_be_created_strands_nothing() {
    let bed = Bed::start();
    bed.proxy.refuse_create(true);
    // Only these agents have a folder.
    let with_folder = ["alice", "dave", "grace"];
    bed.create_folders(&with_folder);
    for (agents, tag) in [(&TWO[..], "two"), (&TEN[..], "ten")] {
        let msgs = bed.put(tag, per_race(agents), "");
        let results = bed.race(agents, &msgs, false);
        for (k, (id, _)) in msgs.iter().enumerate() {
            let o = check(&bed, agents, &results, k, id, false);
            assert_eq!(o.winners.len(), 1, "{id}: {o:?}");
            assert!(with_folder.contains(&o.winners[0].as_str()), "{o:?}");
            for (agent, e) in &o.errors {
                assert!(!with_folder.contains(&agent.as_str()), "{agent}: {e}");
                let text = e.to_string();
                assert!(
                    text.contains(&format!("\"Assigned/{agent}\"")) && text.contains("`k`"),
                    "{agent}: {text}"
                );
            }
        }
    }
    // bob alone on a fresh message: refused, nothing moved or marked.
    let msgs = bed.put("alone", 1, "");
    let (id, uid) = &msgs[0];
    let (code, out) = cli_claim(&bed, "bob", *uid);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("Assigned/bob") && out.contains("`k`"), "{out}");
    let place = bed.only_place(id);
    assert_eq!(place.folder, "INBOX");
    assert!(!place.flags.contains("\\Flagged"), "{}", place.flags);
    // Later: carol may not create hers either, but alice's exists: her claim works.
    let (code, out) = cli_claim(&bed, "carol", *uid);
    assert_eq!(code, 1, "{out}");
    let (code, out) = cli_claim(&bed, "alice", *uid);
    assert_eq!(code, 0, "a later claim works: {out}");
    assert_eq!(bed.only_place(id).folder, "Assigned/alice");
    // Once CREATE is allowed, bob's folder comes on demand.
    bed.proxy.refuse_create(false);
    let msgs = bed.put("later", 1, "");
    let (code, out) = cli_claim(&bed, "bob", msgs[0].1);
    assert_eq!(code, 0, "{out}");
    assert_eq!(bed.only_place(&msgs[0].0).folder, "Assigned/bob");
    bed.no_flag_written();
}

/// A MOVE the server refuses (`NO [NOPERM]`, as without `i` on the target): the error names
/// the rights a move needs, nothing moves or is marked, and the others race as usual.
#[test]
fn a_refused_move_names_the_right_and_strands_nothing() {
    let bed = Bed::start();
    bed.create_folders(&TEN);
    bed.proxy.refuse_move_into(Some("Assigned/bob"));
    for (agents, tag) in [(&TWO[..], "two"), (&TEN[..], "ten")] {
        let msgs = bed.put(tag, per_race(agents), "");
        let results = bed.race(agents, &msgs, false);
        for (k, (id, _)) in msgs.iter().enumerate() {
            let o = check(&bed, agents, &results, k, id, false);
            assert_eq!(o.winners.len(), 1, "{id}: {o:?}");
            assert_ne!(o.winners[0], "bob", "{o:?}");
            for (agent, e) in &o.errors {
                assert_eq!(agent, "bob", "{e}");
                let text = e.to_string();
                assert!(
                    matches!(e, ActError::NoRight(_))
                        && text.contains("`i`")
                        && text.contains("Assigned/bob"),
                    "{text}"
                );
            }
        }
    }
    let msgs = bed.put("alone", 1, "");
    let (code, out) = cli_claim(&bed, "bob", msgs[0].1);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("`i`"), "{out}");
    let place = bed.only_place(&msgs[0].0);
    assert_eq!(place.folder, "INBOX");
    bed.proxy.refuse_move_into(None);
    let (code, out) = cli_claim(&bed, "bob", msgs[0].1);
    assert_eq!(code, 0, "a later claim works: {out}");
    assert_eq!(bed.only_place(&msgs[0].0).folder, "Assigned/bob");
    bed.no_flag_written();
}

/// A right missing on the mailbox itself, as the real Dovecot enforces it: "bob"'s token
/// opens the shared mailbox as the delegated `support*bob`, whose rights there are `lrwsti`
/// (no `e`): Dovecot refuses his MOVE (`NO [NOPERM]`, nothing moved), the error names `t` and
/// `e` on the mailbox, and the others race as usual.
#[test]
fn a_right_missing_on_the_mailbox_is_named_and_strands_nothing() {
    let bed = Bed::start();
    bed.proxy.allow_token("token-of-the-real-bob", "bob");
    bed.create_folders(&TEN);
    bed.raw().cmd_ok("SETACL \"Assigned/bob\" bob lrwstipekxa");
    let bob = bed.imap_table_with("bob", "token-of-the-real-bob");
    let bob: Imap = toml::from_str(&bob).unwrap();
    for (agents, tag) in [(&TWO[..], "two"), (&TEN[..], "ten")] {
        let configs: Vec<Imap> = agents
            .iter()
            .map(|a| {
                if *a == "bob" {
                    bob.clone()
                } else {
                    bed.imap(a)
                }
            })
            .collect();
        let msgs = bed.put(tag, per_race(agents), "");
        let results = bed.race_with(agents, &configs, &msgs, false);
        for (k, (id, _)) in msgs.iter().enumerate() {
            let o = check(&bed, agents, &results, k, id, false);
            assert_eq!(o.winners.len(), 1, "{id}: {o:?}");
            for (agent, e) in &o.errors {
                assert_eq!(agent, "bob", "{e}");
                let text = e.to_string();
                assert!(
                    matches!(e, ActError::NoRight(_)) && text.contains("`t`, `e` on \"INBOX\""),
                    "{text}"
                );
            }
        }
    }
    // bob alone: refused, the message stays; alice's claim works afterwards.
    let msgs = bed.put("alone", 1, "");
    let cli = Cli::with_config(&format!(
        "[agent]\nid = \"bob\"\nname = \"Bob\"\nemail = \"bob@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\n{}",
        bed.imap_table_with("bob", "token-of-the-real-bob")
    ));
    let (code, out) = cli.run_joined(&["triage", "support", &msgs[0].1.to_string(), "claim"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("`e`"), "{out}");
    assert_eq!(bed.only_place(&msgs[0].0).folder, "INBOX");
    let (code, out) = cli_claim(&bed, "alice", msgs[0].1);
    assert_eq!(code, 0, "a later claim works: {out}");
    bed.no_flag_written();
}

/// Connections dropped mid-claim, before the MOVE reached the server and right after it did
/// (its answer lost): the message is in exactly one place; an agent whose MOVE went through
/// holds it, every other agent's claim names that agent, and its own claim again succeeds;
/// a MOVE that never arrived changed nothing and the others race as usual.
#[test]
fn a_connection_dropped_mid_claim_leaves_the_message_in_one_place() {
    let bed = Bed::start();
    for at in [DropAt::BeforeForwarding, DropAt::AfterForwarding] {
        for (agents, droppers) in [
            (&TWO[..], &["bob"][..]),
            (&TEN[..], &["bob", "erin", "judy"][..]),
        ] {
            let tag = format!("{at:?}-{}", agents.len()).to_ascii_lowercase();
            for d in droppers {
                bed.proxy.drop_moves(&token(d), at, 1);
            }
            let msgs = bed.put(&tag, per_race(agents), "");
            let results = bed.race(agents, &msgs, false);
            let mut dropped_holder = 0;
            for (k, (id, uid)) in msgs.iter().enumerate() {
                let o = check(&bed, agents, &results, k, id, false);
                for (agent, e) in &o.errors {
                    assert!(droppers.contains(&agent.as_str()), "{agent}: {e}");
                    assert!(matches!(e, ActError::Server(_)), "{agent}: {e}");
                }
                let holder = o
                    .holder
                    .clone()
                    .unwrap_or_else(|| panic!("{id}: nobody holds it: {o:?}"));
                if at == DropAt::BeforeForwarding {
                    // A MOVE that never arrived took nothing from the others' race.
                    assert_eq!(o.winners.len(), 1, "{id}: {o:?}");
                }
                if o.winners.is_empty() {
                    // The MOVE went through but its answer was lost: the dropped agent holds it.
                    assert_eq!(at, DropAt::AfterForwarding, "{id}: {o:?}");
                    assert!(o.errors.iter().any(|(a, _)| *a == holder), "{id}: {o:?}");
                    dropped_holder += 1;
                    // Its claim again (the TUI row knows the Message-ID) is the claim that
                    // worked; anyone else's names it.
                    let again = claim_knowing(&bed, &holder, *uid, id);
                    let to = again
                        .unwrap_or_else(|e| panic!("{holder} claims again: {e}"))
                        .moved_to
                        .expect("where it is");
                    assert_eq!(to.mailbox, format!("Assigned/{holder}"));
                    let other = agents.iter().find(|a| **a != holder).unwrap();
                    match claim_knowing(&bed, other, *uid, id) {
                        Err(ActError::Lost { winner }) => assert_eq!(winner, holder),
                        r => panic!("{other}: {r:?}"),
                    }
                    assert_eq!(bed.only_place(id).folder, format!("Assigned/{holder}"));
                }
            }
            eprintln!("{tag}: the dropped agent held {dropped_holder}");
        }
    }
    // Without a race: carol's MOVE goes through, her answer is lost. The message is hers
    // alone; bob's claim names her; hers again succeeds.
    let msgs = bed.put("alone", 1, "");
    let (id, uid) = &msgs[0];
    bed.proxy
        .drop_moves(&token("carol"), DropAt::AfterForwarding, 1);
    match claim_knowing(&bed, "carol", *uid, id) {
        Err(ActError::Server(_)) => {}
        r => panic!("carol: {r:?}"),
    }
    assert_eq!(bed.only_place(id).folder, "Assigned/carol");
    match claim_knowing(&bed, "bob", *uid, id) {
        Err(ActError::Lost { winner }) => assert_eq!(winner, "carol"),
        r => panic!("bob: {r:?}"),
    }
    let again = claim_knowing(&bed, "carol", *uid, id).unwrap_or_else(|e| panic!("carol: {e}"));
    assert_eq!(
        again.moved_to.map(|m| m.mailbox).as_deref(),
        Some("Assigned/carol")
    );
    assert_eq!(bed.only_place(id).folder, "Assigned/carol");
    // Every dropped agent claims again afterwards.
    let msgs = bed.put("after", 1, "");
    let (code, out) = cli_claim(&bed, "judy", msgs[0].1);
    assert_eq!(code, 0, "{out}");
    bed.no_flag_written();
}

/// A late loser: its session (and its select-time snapshot) predates the message, a teammate
/// claimed it meanwhile; told the Message-ID (a TUI row has it), it learns who won: "claim
/// lost: alice was first", never "no message with UID n". The CLI finds the Message-ID in its
/// header cache.
#[test]
fn a_late_loser_learns_the_winner() {
    let bed = Bed::start();
    for agents in [&TWO[..], &TEN[..]] {
        // The losers select (empty snapshot of these) before the messages come.
        let losers = &agents[1..];
        let configs: Vec<Imap> = losers.iter().map(|a| bed.imap(a)).collect();
        let tag = format!("late-{}", agents.len());
        let stale: Vec<(
            mailroom::imap::connect::ImapConn,
            mailroom::triage::act::Selected,
        )> = losers
            .iter()
            .zip(&configs)
            .map(|(_, cfg)| {
                let mut conn =
                    mailroom::imap::connect::open_session(&mailroom::imap::connect::Target {
                        account: "support",
                        config: cfg,
                    })
                    .unwrap();
                let sel = mailroom::triage::act::select_with_rights(
                    &mut conn,
                    "INBOX",
                    TeamStateSetting::Auto,
                )
                .unwrap();
                (conn, sel)
            })
            .collect();
        let msgs = bed.put(&tag, 3, "");
        for (id, uid) in &msgs {
            let (code, out) = cli_claim(&bed, "alice", *uid);
            assert_eq!(code, 0, "{out}");
            assert_eq!(bed.only_place(id).folder, "Assigned/alice");
        }
        std::thread::scope(|s| {
            for ((mut conn, sel), agent) in stale.into_iter().zip(losers) {
                let msgs = &msgs;
                s.spawn(move || {
                    for (id, uid) in msgs {
                        assert!(!sel.message_ids.contains_key(uid), "stale snapshot");
                        let mut sel = sel.clone();
                        sel.know_message_id(*uid, id);
                        let r = mailroom::triage::act::apply(
                            &mut conn,
                            &sel,
                            "INBOX",
                            *uid,
                            &mailroom::triage::state::Action::Claim,
                            agent,
                            true,
                        );
                        match r {
                            Err(ActError::Lost { winner }) => assert_eq!(winner, "alice"),
                            other => panic!("{agent} on {id}: {other:?}"),
                        }
                    }
                });
            }
        });
        for (id, _) in &msgs {
            assert_eq!(bed.only_place(id).folder, "Assigned/alice");
        }
    }
    // The CLI: bob's `list` caches the row (its Message-ID without angle brackets); alice
    // claims; bob's claim names alice — not aaron, whose folder holds a message whose
    // Message-ID contains this one's.
    let msgs = bed.put("late-cli", 1, "");
    let mut raw = bed.raw();
    raw.cmd_ok("CREATE \"Assigned/aaron\"");
    raw.append(
        "Assigned/aaron",
        "",
        b"From: x@outside.test\r\nSubject: decoy\r\nMessage-ID: <xlate-cli.1@outside.test>\r\n\r\nb\r\n",
    );
    let bob = bed.cli("bob");
    let (code, out) = bob.run_joined(&["list", "support"]);
    assert_eq!(code, 0, "{out}");
    let (code, out) = cli_claim(&bed, "alice", msgs[0].1);
    assert_eq!(code, 0, "{out}");
    let (code, out) = bob.run_joined(&["triage", "support", &msgs[0].1.to_string(), "claim"]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("claim lost: alice was first"), "{out}");
    assert!(!out.contains("no message with UID"), "{out}");
    bed.no_flag_written();
}

/// XOAUTH2 through the proxy (advertised before login): a wrong token is a clear
/// authentication error and reaches nothing.
#[test]
fn a_wrong_token_is_an_authentication_error() {
    let bed = Bed::start();
    let greeting = RawImap::connect(bed.proxy.port()).greeting.clone();
    assert!(greeting.contains("AUTH=XOAUTH2"), "{greeting}");
    let cli = Cli::with_config(&format!(
        "[agent]\nid = \"mallory\"\nname = \"M\"\nemail = \"m@example.test\"\n[[account]]\nname = \"support\"\naddress = \"support@example.test\"\nsend = \"none\"\n[account.imap]\nhost = \"127.0.0.1\"\nport = {}\ntls = \"none\"\nlogin = \"mallory@example.test\"\nauth = \"xoauth2\"\nuser = \"support@example.test\"\ntoken_command = \"echo forged\"\nmailbox = \"INBOX\"\n",
        bed.proxy.port()
    ));
    let (code, out) = cli.run_joined(&["list", "support"]);
    assert_ne!(code, 0, "{out}");
    assert!(
        out.to_ascii_lowercase().contains("auth") && out.contains("AUTHENTICATE failed"),
        "{out}"
    );
    assert!(
        bed.proxy
            .refused()
            .iter()
            .any(|c| c.contains("AUTHENTICATE XOAUTH2")),
        "{:?}",
        bed.proxy.refused()
    );
}

/// A server whose MOVE copies (Dovecot's does: two MOVEs of one message can both copy it),
/// and one without MOVE at all (COPY + EXPUNGE): when the message is held twice, the smallest
/// agent id keeps it and every other claimer removes its copy; nothing is left behind.
#[test]
fn duplicate_copies_are_resolved_and_nothing_is_left_behind() {
    let bed = Bed::start();
    for hide_move in [false, true] {
        bed.proxy.hide_move(hide_move);
        for agents in [&TWO[..], &TEN[..]] {
            let tag = format!("dup-{hide_move}-{}", agents.len());
            let msgs = bed.put(&tag, 3, "");
            let results = bed.race(agents, &msgs, false);
            for (k, (id, _)) in msgs.iter().enumerate() {
                let o = check(&bed, agents, &results, k, id, false);
                assert_eq!(o.winners.len(), 1, "{id}: {o:?}");
                assert!(o.errors.is_empty(), "{id}: {o:?}");
                // No copy marked \Deleted anywhere: every removal was expunged.
                let place = bed.only_place(id);
                assert!(!place.flags.contains("\\Deleted"), "{}", place.flags);
            }
        }
    }
    let commands = bed.proxy.commands();
    assert!(
        commands.iter().any(|c| c.contains("UID COPY")),
        "without MOVE, claims copy and expunge"
    );
    bed.no_flag_written();
}
