//! Proves that the real mail-server test bed (tests/testbed/, tests/support/testbed.rs) offers
//! what mailroom's tests rely on. Needs root and the packages of tests/install-deps.

use crate::support;

use std::fs;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::thread;
use std::time::Duration;

use native_tls::{Certificate, TlsConnector, TlsStream};
use support::testbed::{self, RawImap, Testbed};

const WAIT: Duration = Duration::from_secs(10);

fn tls(tb: &Testbed) -> TlsConnector {
    let pem = fs::read(&tb.ca_file).expect("read CA");
    TlsConnector::builder()
        .add_root_certificate(Certificate::from_pem(&pem).expect("CA PEM"))
        .build()
        .expect("TLS connector")
}

fn tcp(port: u16) -> TcpStream {
    let s = TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(WAIT)).expect("timeout");
    s
}

/// Line-based client over any stream, reading byte by byte so that nothing is buffered when
/// the stream is handed to TLS after STARTTLS.
struct Lines<S: Read + Write> {
    s: S,
    tag: u32,
}

impl<S: Read + Write> Lines<S> {
    fn new(s: S) -> Self {
        Lines { s, tag: 0 }
    }
    fn line(&mut self) -> String {
        let mut out = Vec::new();
        let mut b = [0u8; 1];
        while self.s.read(&mut b).expect("read") == 1 {
            out.push(b[0]);
            if b[0] == b'\n' {
                break;
            }
        }
        String::from_utf8_lossy(&out).into_owned()
    }
    fn send(&mut self, line: &str) {
        self.s
            .write_all(format!("{line}\r\n").as_bytes())
            .expect("write");
    }
    /// A whole SMTP reply (multi-line ones joined).
    fn reply(&mut self) -> String {
        let mut all = String::new();
        loop {
            let line = self.line();
            all.push_str(&line);
            if line.len() < 4 || line.as_bytes()[3] != b'-' {
                return all;
            }
        }
    }
    fn smtp(&mut self, line: &str) -> String {
        self.send(line);
        self.reply()
    }
    fn imap(&mut self, line: &str) -> String {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        self.send(&format!("{tag} {line}"));
        let mut all = String::new();
        loop {
            let l = self.line();
            assert!(!l.is_empty(), "connection closed during {line:?}: {all}");
            all.push_str(&l);
            if l.starts_with(&format!("{tag} ")) {
                return all;
            }
        }
    }
}

fn tagged_ok(reply: &str) -> bool {
    reply
        .lines()
        .last()
        .is_some_and(|l| l.split_whitespace().nth(1) == Some("OK"))
}

fn imaps(tb: &Testbed, host: &str) -> Lines<TlsStream<TcpStream>> {
    let s = tls(tb)
        .connect(host, tcp(tb.imaps_port))
        .expect("IMAPS handshake");
    let mut c = Lines::new(s);
    assert!(c.line().starts_with("* OK"));
    c
}

/// Submission with STARTTLS, EHLO done again after TLS.
fn submission(tb: &Testbed) -> Lines<TlsStream<TcpStream>> {
    let mut c = Lines::new(tcp(tb.submission_port));
    assert!(c.reply().starts_with("220"));
    assert!(c.smtp("EHLO client.test").starts_with("250"));
    assert!(c.smtp("STARTTLS").starts_with("220"));
    let s = tls(tb)
        .connect("localhost", c.s)
        .expect("STARTTLS handshake");
    let mut c = Lines::new(s);
    assert!(c.smtp("EHLO client.test").starts_with("250"));
    c
}

fn smtp_auth<S: Read + Write>(c: &mut Lines<S>, authzid: &str, user: &str) -> String {
    let ir = testbed::sasl_plain(authzid, user, Testbed::password(user));
    c.smtp(&format!("AUTH PLAIN {ir}"))
}

fn rights(imap: &mut RawImap, mailbox: &str) -> String {
    let out = imap.cmd_ok(&format!("MYRIGHTS \"{mailbox}\""));
    let line = out
        .lines()
        .find(|l| l.starts_with("* MYRIGHTS"))
        .expect("MYRIGHTS");
    // Dovecot also prints the obsolete c and d rights.
    line.split_whitespace()
        .last()
        .unwrap()
        .replace(['c', 'd'], "")
}

fn message(subject: &str) -> Vec<u8> {
    format!(
        "From: Customer <customer@outside.test>\r\nTo: help@example.test\r\n\
         Subject: {subject}\r\nMessage-ID: <{subject}@outside.test>\r\n\r\nHello.\r\n.dot line\r\n"
    )
    .into_bytes()
}

fn count_new(dir: std::path::PathBuf) -> usize {
    fs::read_dir(dir).map(|d| d.count()).unwrap_or(0)
}

#[test]
fn agents_log_in_on_every_imap_port() {
    let tb = Testbed::start();
    eprintln!(
        "test bed started in {:?} at {}",
        tb.started_in,
        tb.dir.display()
    );
    assert!(tb.dir.as_os_str().len() < 40, "{}", tb.dir.display());

    for user in testbed::AGENTS {
        let mut imap = tb.raw_imap(user);
        let caps = imap.cmd_ok("CAPABILITY");
        for cap in ["CONDSTORE", "QRESYNC", "IDLE", "ACL", "ENABLE", "UIDPLUS"] {
            assert!(caps.contains(cap), "{cap} missing: {caps}");
        }
        imap.cmd_ok("ENABLE QRESYNC");
    }
    assert!(tb.raw_imap_login("alice", "wrong").is_err());

    // IMAPS, verified for both names in the certificate.
    for host in ["localhost", "127.0.0.1"] {
        let mut c = imaps(&tb, host);
        assert!(tagged_ok(&c.imap("LOGIN alice alice-pw")));
    }

    // STARTTLS port: no login of any kind before STARTTLS, fine after it.
    let mut c = Lines::new(tcp(tb.imap_port));
    assert!(c.line().starts_with("* OK"));
    assert!(c.imap("CAPABILITY").contains("STARTTLS"));
    assert!(!tagged_ok(&c.imap("LOGIN alice alice-pw")));
    let ir = testbed::sasl_plain("", "alice", "alice-pw");
    assert!(!tagged_ok(&c.imap(&format!("AUTHENTICATE PLAIN {ir}"))));
    assert!(tagged_ok(&c.imap("STARTTLS")));
    let mut c = Lines::new(
        tls(&tb)
            .connect("localhost", c.s)
            .expect("STARTTLS handshake"),
    );
    assert!(tagged_ok(&c.imap("LOGIN alice alice-pw")));
    let caps = c.imap("CAPABILITY");
    assert!(
        caps.contains("CONDSTORE") && caps.contains("IDLE"),
        "{caps}"
    );
}

#[test]
fn untrusted_certificate_is_refused() {
    let tb = Testbed::start();
    // No CA given: the system roots do not know the test CA.
    let plain = TlsConnector::new().expect("connector");
    assert!(plain.connect("localhost", tcp(tb.imaps_port)).is_err());
    assert!(plain.connect("localhost", tcp(tb.smtps_port)).is_err());
    // With the CA, a name that is not in the certificate is refused too.
    assert!(
        tls(&tb)
            .connect("mail.example.test", tcp(tb.imaps_port))
            .is_err()
    );
}

#[test]
fn shared_folders_and_rights() {
    let tb = Testbed::start();
    let mut alice = tb.raw_imap("alice");
    let list = alice.cmd_ok("LIST \"\" \"*\"");
    for shared in testbed::SHARED {
        for folder in ["INBOX", "Sent"] {
            assert!(
                list.contains(&format!("\"/\" shared/{shared}/{folder}\r\n")),
                "{list}"
            );
        }
    }
    for (agent, expected) in testbed::RIGHTS {
        let mut imap = tb.raw_imap(agent);
        for shared in testbed::SHARED {
            for folder in ["INBOX", "Sent"] {
                let got = rights(&mut imap, &format!("shared/{shared}/{folder}"));
                assert_eq!(got, expected, "{agent} on shared/{shared}/{folder}");
            }
        }
    }
    // Carol can read but not change anything: SELECT is read-only.
    tb.deliver("help@example.test", &message("ro"));
    let mut carol = tb.raw_imap("carol");
    let sel = carol.cmd_ok("SELECT \"shared/support/INBOX\"");
    assert!(sel.contains("[READ-ONLY]"), "{sel}");
}

#[test]
fn keywords_condstore_and_idle_are_shared() {
    let tb = Testbed::start();
    tb.deliver("help@example.test", &message("kw"));
    let mut alice = tb.raw_imap("alice");
    let mut bob = tb.raw_imap("bob");
    let sel = alice.cmd_ok("SELECT \"shared/support/INBOX\" (CONDSTORE)");
    assert!(sel.contains("* 1 EXISTS"), "{sel}");
    assert!(
        sel.contains("PERMANENTFLAGS") && sel.contains("\\*"),
        "{sel}"
    );
    bob.cmd_ok("SELECT \"shared/support/INBOX\"");

    // Bob idles; Alice's STORE reaches him at once.
    bob.write_line("i1 IDLE");
    assert!(bob.read_line().starts_with('+'));
    alice.cmd_ok("UID STORE 1 +FLAGS ($assigned.alice)");
    let mut seen = String::new();
    while !seen.contains("$assigned.alice") {
        let line = bob.read_line_timeout(WAIT).expect("IDLE update");
        seen.push_str(&line);
    }
    bob.write_line("DONE");
    let mut done = String::new();
    while !done.starts_with("i1 ") {
        done = bob.read_line();
    }
    let flags = bob.cmd_ok("FETCH 1 (FLAGS)");
    assert!(flags.contains("$assigned.alice"), "{flags}");

    // CONDSTORE: a claim against an old MODSEQ is refused with MODIFIED.
    let out = alice.cmd_ok("UID FETCH 1 (MODSEQ)");
    let modseq: u64 = out
        .split("MODSEQ (")
        .nth(1)
        .and_then(|s| s.split(')').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no MODSEQ: {out}"));
    let out = bob.cmd_ok(&format!(
        "UID STORE 1 (UNCHANGEDSINCE {modseq}) +FLAGS ($pending)"
    ));
    assert!(!out.contains("MODIFIED"), "{out}");
    let out = alice.cmd_ok(&format!(
        "UID STORE 1 (UNCHANGEDSINCE {modseq}) +FLAGS ($done)"
    ));
    assert!(out.contains("[MODIFIED 1]"), "{out}");
}

#[test]
fn delegated_login() {
    let tb = Testbed::start();
    for (shared, agent) in testbed::DELEGATIONS {
        let mut imap = tb
            .raw_imap_login(&format!("{shared}*{agent}"), Testbed::password(agent))
            .unwrap_or_else(|e| panic!("{shared}*{agent}: {e}"));
        // The session is the shared account's; rights are the agent's.
        let expected = testbed::RIGHTS.iter().find(|(a, _)| *a == agent).unwrap().1;
        assert_eq!(rights(&mut imap, "INBOX"), expected, "{shared}*{agent}");
    }
    for (shared, agent) in [("sales", "bob"), ("support", "carol"), ("sales", "carol")] {
        let r = tb.raw_imap_login(&format!("{shared}*{agent}"), Testbed::password(agent));
        assert!(r.is_err(), "{shared}*{agent} must be refused");
    }
    assert!(tb.raw_imap_login("support*alice", "bob-pw").is_err());
    assert!(tb.raw_imap_login("support", "support-pw").is_ok());

    // The same through SASL PLAIN with an authorization identity, over IMAPS.
    let mut c = imaps(&tb, "localhost");
    let ir = testbed::sasl_plain("support", "alice", "alice-pw");
    assert!(tagged_ok(&c.imap(&format!("AUTHENTICATE PLAIN {ir}"))));
    let mut c = imaps(&tb, "localhost");
    let ir = testbed::sasl_plain("sales", "bob", "bob-pw");
    assert!(!tagged_ok(&c.imap(&format!("AUTHENTICATE PLAIN {ir}"))));
}

#[test]
fn delivery_with_aliases() {
    let tb = Testbed::start();
    tb.deliver("help@example.test", &message("help"));
    tb.deliver("orders@example.test", &message("order"));
    tb.deliver("bob@example.test", &message("direct"));
    assert_eq!(count_new(tb.maildir_of("support").join("INBOX/new")), 1);
    assert_eq!(count_new(tb.maildir_of("sales").join("INBOX/new")), 1);
    assert_eq!(count_new(tb.maildir_of("bob").join("INBOX/new")), 1);
    assert_eq!(count_new(tb.maildir_of("alice").join("INBOX/new")), 0);

    let mut alice = tb.raw_imap("alice");
    let st = alice.cmd_ok("STATUS \"shared/sales/INBOX\" (MESSAGES)");
    assert!(st.contains("MESSAGES 1"), "{st}");
    alice.cmd_ok("SELECT \"shared/support/INBOX\"");
    let body = alice.cmd_ok("FETCH 1 (BODY.PEEK[])");
    assert!(
        body.contains("Subject: help") && body.contains("\r\n.dot line\r\n"),
        "{body}"
    );
    assert!(tb.sink_messages().is_empty());

    // Unknown local users are refused; the inbound port never relays.
    let mut c = Lines::new(tcp(tb.lmtp_or_smtp_inbound_port));
    assert!(c.reply().starts_with("220"));
    assert!(c.smtp("EHLO client.test").starts_with("250"));
    assert!(
        c.smtp("MAIL FROM:<customer@outside.test>")
            .starts_with("250")
    );
    assert!(c.smtp("RCPT TO:<nobody@example.test>").starts_with("550"));
    assert!(c.smtp("RCPT TO:<someone@outside.test>").starts_with("554"));
}

#[test]
fn submission_enforces_envelope_senders() {
    let tb = Testbed::start();

    // No AUTH before STARTTLS, no mail without AUTH.
    let mut c = Lines::new(tcp(tb.submission_port));
    assert!(c.reply().starts_with("220"));
    let ehlo = c.smtp("EHLO client.test");
    assert!(
        ehlo.contains("STARTTLS") && !ehlo.contains("AUTH"),
        "{ehlo}"
    );
    assert!(smtp_auth(&mut c, "", "alice").starts_with('5'));
    let mut c = submission(&tb);
    assert!(c.smtp("MAIL FROM:<alice@example.test>").starts_with('5'));

    let cases: [(&str, &str, &[&str], &[&str]); 4] = [
        (
            "",
            "alice",
            &["alice", "support", "sales"],
            &["bob", "carol"],
        ),
        ("", "bob", &["bob"], &["support", "sales", "alice"]),
        ("", "carol", &["carol"], &["support", "sales", "bob"]),
        // Delegated SMTP login: the session is support's.
        ("support", "bob", &["support"], &["bob", "sales"]),
    ];
    for (authzid, user, allowed, refused) in cases {
        let mut c = submission(&tb);
        let auth = smtp_auth(&mut c, authzid, user);
        assert!(auth.starts_with("235"), "{authzid}/{user}: {auth}");
        for a in allowed {
            let r = c.smtp(&format!("MAIL FROM:<{a}@example.test>"));
            assert!(r.starts_with("250"), "{user} as {a}: {r}");
            assert!(c.smtp("RSET").starts_with("250"));
        }
        let outside = "x@outside.test";
        for a in refused
            .iter()
            .map(|a| format!("{a}@example.test"))
            .chain([outside.into()])
        {
            let r = c.smtp(&format!("MAIL FROM:<{a}>"));
            assert!(r.starts_with('5'), "{user} as {a}: {r}");
        }
    }
    let mut c = submission(&tb);
    assert!(smtp_auth(&mut c, "sales", "bob").starts_with('5'));
    let mut c = submission(&tb);
    let ir = testbed::sasl_plain("", "alice", "bob-pw");
    assert!(c.smtp(&format!("AUTH PLAIN {ir}")).starts_with('5'));
}

#[test]
fn smtps_mail_to_outside_lands_in_sink() {
    let tb = Testbed::start();
    let s = tls(&tb)
        .connect("localhost", tcp(tb.smtps_port))
        .expect("SMTPS handshake");
    let mut c = Lines::new(s);
    assert!(c.reply().starts_with("220"));
    assert!(c.smtp("EHLO client.test").starts_with("250"));
    assert!(smtp_auth(&mut c, "", "alice").starts_with("235"));
    assert!(
        c.smtp("MAIL FROM:<support@example.test>")
            .starts_with("250")
    );
    for r in [
        "customer@outside.test",
        "other@elsewhere.test",
        "bob@example.test",
    ] {
        assert!(c.smtp(&format!("RCPT TO:<{r}>")).starts_with("250"), "{r}");
    }
    assert!(c.smtp("DATA").starts_with("354"));
    let msg = b"From: Support <support@example.test>\r\nTo: customer@outside.test\r\n\
        Bcc: other@elsewhere.test\r\nSubject: Re: help\r\nMessage-ID: <r1@example.test>\r\n\
        X-Custom: kept\r\n\r\nAnswer.\r\n";
    c.s.write_all(&testbed::smtp_data(msg)).unwrap();
    let reply = c.reply();
    assert!(reply.starts_with("250"), "{reply}");
    c.smtp("QUIT");

    let msgs = tb.wait_sink(2, WAIT);
    assert_eq!(msgs.len(), 2);
    let mut rcpts: Vec<&str> = msgs.iter().map(|m| m.recipient.as_str()).collect();
    rcpts.sort();
    assert_eq!(rcpts, ["customer@outside.test", "other@elsewhere.test"]);
    for m in &msgs {
        assert_eq!(m.sender, "support@example.test");
        assert_eq!(m.header("Subject").as_deref(), Some("Re: help"));
        assert_eq!(
            m.header("From").as_deref(),
            Some("Support <support@example.test>")
        );
        assert_eq!(m.header("Message-ID").as_deref(), Some("<r1@example.test>"));
        assert_eq!(m.header("X-Custom").as_deref(), Some("kept"));
        // The test bed keeps Bcc: so that tests can catch a client that leaks it.
        assert_eq!(m.header("Bcc").as_deref(), Some("other@elsewhere.test"));
        assert!(m.body().contains("Answer."));
    }
    // The local recipient got it through LMTP, not the sink.
    let deadline = std::time::Instant::now() + WAIT;
    while count_new(tb.maildir_of("bob").join("INBOX/new")) == 0 {
        assert!(std::time::Instant::now() < deadline, "{}", tb.logs());
        thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn parallel_testbeds_do_not_collide() {
    let handles: Vec<_> = (0..3)
        .map(|i| {
            thread::spawn(move || {
                let tb = Testbed::start();
                tb.deliver("help@example.test", &message(&format!("p{i}")));
                let mut alice = tb.raw_imap("alice");
                alice.cmd_ok("SELECT \"shared/support/INBOX\"");
                let out = alice.cmd_ok("FETCH 1:* (BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
                assert!(out.contains(&format!("Subject: p{i}")), "{out}");
                assert!(
                    out.contains("* 1 FETCH") && !out.contains("* 2 FETCH"),
                    "{out}"
                );
                (tb.imaps_port, tb.started_in)
            })
        })
        .collect();
    let results: Vec<(u16, Duration)> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    eprintln!("parallel start times: {results:?}");
    let mut ports: Vec<u16> = results.iter().map(|r| r.0).collect();
    ports.dedup();
    assert_eq!(ports.len(), 3);
}

#[test]
fn put_message_is_seen_by_dovecot() {
    let tb = Testbed::start();
    tb.put_message("support", "INBOX", &message("one"), "");
    tb.put_message("support", "INBOX", b"Subject: two\n\nLF only\n", "S");
    tb.put_message("sales", "Sent", &message("sent"), "S");
    let mut bob = tb.raw_imap("bob");
    let sel = bob.cmd_ok("SELECT \"shared/support/INBOX\"");
    assert!(sel.contains("* 2 EXISTS"), "{sel}");
    let out = bob.cmd_ok("FETCH 1:* (FLAGS RFC822.SIZE BODY.PEEK[HEADER.FIELDS (SUBJECT)])");
    let lf_only_size = b"Subject: two\r\n\r\nLF only\r\n".len();
    assert!(
        out.contains(&format!("RFC822.SIZE {lf_only_size} ")),
        "{out}"
    );
    assert_eq!(out.matches("\\Seen").count(), 1, "{out}");
    let st = bob.cmd_ok("STATUS \"shared/sales/Sent\" (MESSAGES)");
    assert!(st.contains("MESSAGES 1"), "{st}");
}

#[test]
fn xoauth2_and_oauthbearer_logins() {
    let tb = Testbed::start();
    let alice = tb.oauth_token("alice");
    let bob = tb.oauth_token("bob");
    let carol = tb.oauth_token("carol");

    // The agent's own mailbox, and shared ones that DELEGATIONS allow (Microsoft 365 style:
    // user= is the shared address, the token is the agent's). ACLs are the agent's.
    for (user, token, rights_expected) in [
        ("alice", &alice, "lrwstipekxa"),
        ("support", &alice, "lrwstipekxa"),
        ("support@example.test", &alice, "lrwstipekxa"),
        ("sales", &alice, "lrwstipekxa"),
        ("support", &bob, "lrwsti"),
        ("carol", &carol, "lrwstipekxa"),
    ] {
        let mut imap = tb
            .raw_imap_xoauth2(user, token)
            .unwrap_or_else(|e| panic!("XOAUTH2 user={user}: {e}"));
        assert_eq!(rights(&mut imap, "INBOX"), rights_expected, "user={user}");
    }
    // What the token's subject may not open, bad tokens, and a password instead of a token.
    // Flip the first character of the signature: the last one may carry only padding bits
    // (base64url), and changing those leaves the signature as it was.
    let sig = alice.rfind('.').expect("a JWT has a signature part") + 1;
    let mut tampered = alice.clone();
    let first = if alice[sig..].starts_with('A') {
        "B"
    } else {
        "A"
    };
    tampered.replace_range(sig..sig + 1, first);
    for (user, token) in [
        ("support", carol.clone()),
        ("sales", bob.clone()),
        ("bob", alice.clone()),
        ("nobody", alice.clone()),
        ("alice", tampered),
        ("alice", tb.oauth_token_valid_for("alice", -10)),
        ("alice", "alice-pw".to_string()),
        ("alice", "not.a.jwt".to_string()),
    ] {
        let started = std::time::Instant::now();
        let r = tb.raw_imap_xoauth2(user, &token);
        let err = r
            .err()
            .unwrap_or_else(|| panic!("user={user} must be refused"));
        assert!(err.contains("AUTHENTICATIONFAILED"), "{err}");
        assert!(
            started.elapsed() < Duration::from_millis(300),
            "slow refusal"
        );
    }
    // Passwords keep working, own and delegated.
    tb.raw_imap("alice");
    assert!(tb.raw_imap_login("support*bob", "bob-pw").is_ok());

    // OAUTHBEARER, over IMAPS.
    let mut c = imaps(&tb, "localhost");
    let ir = testbed::sasl_oauthbearer("support", &alice);
    assert!(tagged_ok(
        &c.imap(&format!("AUTHENTICATE OAUTHBEARER {ir}"))
    ));
    // No login before STARTTLS on the STARTTLS port, with a token either.
    let mut plain = RawImap::connect(tb.imap_port);
    let out = plain.authenticate("XOAUTH2", &testbed::sasl_xoauth2("alice", &alice));
    assert_eq!(plain.last_status(), "NO", "{out}");

    // SMTP: a token logs in as its own subject only (Microsoft 365 refuses the shared
    // mailbox with 535 5.7.3); the envelope rules are the agent's.
    let mut c = submission(&tb);
    let ir = testbed::sasl_xoauth2("alice", &alice);
    let auth = c.smtp(&format!("AUTH XOAUTH2 {ir}"));
    assert!(auth.starts_with("235"), "{auth}");
    assert!(
        c.smtp("MAIL FROM:<support@example.test>")
            .starts_with("250")
    );
    let mut c = submission(&tb);
    let ir = testbed::sasl_xoauth2("support", &alice);
    let mut reply = c.smtp(&format!("AUTH XOAUTH2 {ir}"));
    if reply.starts_with("334") {
        // The JSON error challenge; an empty answer ends the exchange.
        reply = c.smtp("");
    }
    assert!(reply.starts_with("535"), "{reply}");
}

#[test]
fn dovecot_stops_and_restarts_mid_session() {
    let tb = Testbed::start();
    tb.deliver("help@example.test", &message("before"));
    let mut alice = tb.raw_imap("alice");
    let sel = alice.cmd_ok("SELECT \"shared/support/INBOX\"");
    let validity = |sel: &str| {
        sel.split("[UIDVALIDITY ")
            .nth(1)
            .and_then(|s| s.split(']').next())
            .map(str::to_string)
            .unwrap_or_else(|| panic!("no UIDVALIDITY: {sel}"))
    };
    let uidvalidity = validity(&sel);

    let started = std::time::Instant::now();
    tb.stop_imap();
    let stop_time = started.elapsed();
    // The session was told and closed; nothing listens any more.
    let bye = alice.read_line_timeout(WAIT).unwrap_or_default();
    assert!(bye.starts_with("* BYE"), "{bye:?}");
    assert_eq!(alice.read_line(), "", "connection still open");
    for port in [tb.imaps_port, tb.imap_port, tb.imap_plain_port] {
        assert!(TcpStream::connect(("127.0.0.1", port)).is_err(), "{port}");
    }

    let started = std::time::Instant::now();
    tb.start_imap();
    let start_time = started.elapsed();
    eprintln!("stop_imap {stop_time:?}, start_imap {start_time:?}");
    let mut alice = tb.raw_imap("alice");
    let sel = alice.cmd_ok("SELECT \"shared/support/INBOX\"");
    assert!(sel.contains("* 1 EXISTS"), "{sel}");
    assert_eq!(validity(&sel), uidvalidity);
    // Local delivery and SASL for Postfix work again too.
    tb.deliver("help@example.test", &message("after"));
    let mut c = submission(&tb);
    assert!(smtp_auth(&mut c, "", "bob").starts_with("235"));
    let token = tb.oauth_token("alice");
    assert!(tb.raw_imap_xoauth2("support", &token).is_ok());

    // Kicking sessions: one user's, then everybody's; the server stays up.
    let mut bob = tb.raw_imap("bob");
    tb.kill_imap_connections_of("bob");
    assert!(bob.read_line().starts_with("* BYE"));
    alice.cmd_ok("NOOP");
    tb.kill_imap_connections();
    assert!(alice.read_line().starts_with("* BYE"));
    tb.raw_imap("carol").cmd_ok("NOOP");
}

/// `27-Nov-2026 08:05:09 +0000` (INTERNALDATE) from `Fri, 27 Nov 2026 08:05:09 +0000`.
fn internaldate(rfc5322: &str) -> String {
    let p: Vec<&str> = rfc5322.split_whitespace().collect();
    format!("{:0>2}-{}-{} {} {}", p[1], p[2], p[3], p[4], p[5])
}

#[test]
fn fill_writes_realistic_mail_that_dovecot_numbers_in_order() {
    let tb = Testbed::start();
    tb.deliver("help@example.test", &message("first"));
    let started = std::time::Instant::now();
    let msgs = tb.fill("support", "INBOX", 2000, 7);
    eprintln!("fill 2000: {:?}", started.elapsed());
    assert_eq!(msgs.len(), 2000);

    // Variety: replies in threads, encoded names, keywords, flags, several domains.
    let raw: Vec<String> = msgs
        .iter()
        .map(|m| String::from_utf8_lossy(&fs::read(&m.path).unwrap()).into_owned())
        .collect();
    let share =
        |f: &dyn Fn(usize) -> bool| (0..msgs.len()).filter(|&i| f(i)).count() * 100 / msgs.len();
    assert!(share(&|i| msgs[i].in_reply_to.is_some()) >= 20);
    assert!(share(&|i| msgs[i].references > 1) >= 5);
    assert!(share(&|i| raw[i].contains("From: =?UTF-8?")) >= 5);
    assert!(share(&|i| raw[i].contains("Subject: =?UTF-8?")) >= 5);
    assert!(share(&|i| raw[i].contains("\nCc: ")) >= 5);
    assert!(share(&|i| raw[i].contains("X-Original-To: help@example.test")) >= 20);
    assert!(share(&|i| raw[i].contains("multipart/")) >= 3);
    assert!(share(&|i| !msgs[i].keywords.is_empty()) >= 20);
    assert!(share(&|i| msgs[i].flags.contains('S')) >= 60);
    assert!(
        raw.iter()
            .all(|r| r.contains("\nDelivered-To: support@example.test\n"))
    );
    let domains: std::collections::HashSet<&str> = msgs
        .iter()
        .map(|m| m.from_addr.split('@').nth(1).unwrap())
        .collect();
    assert!(domains.len() >= 8, "{domains:?}");
    let avg = msgs.iter().map(|m| m.size).sum::<usize>() / msgs.len();
    assert!((2000..6000).contains(&avg), "average size {avg}");
    let ids: std::collections::HashSet<&str> = msgs.iter().map(|m| m.message_id.as_str()).collect();
    assert_eq!(ids.len(), msgs.len());

    // Dovecot indexed them already and numbers them in order, after the delivered one.
    let st = tb.doveadm(&["mailbox", "status", "-u", "support", "messages", "INBOX"]);
    assert!(st.contains("messages=2001"), "{st}");
    let mut alice = tb.raw_imap("alice");
    let sel = alice.cmd_ok("SELECT \"shared/support/INBOX\"");
    assert!(sel.contains("* 2001 EXISTS"), "{sel}");
    for i in [0, 1, 2, 999, 1998, 1999] {
        let m = &msgs[i];
        let uid = i + 2;
        let out = alice.cmd_ok(&format!(
            "UID FETCH {uid} (FLAGS INTERNALDATE RFC822.SIZE BODY.PEEK[HEADER.FIELDS (MESSAGE-ID IN-REPLY-TO)])"
        ));
        assert!(out.contains(&m.message_id), "{uid}: {out}");
        assert!(
            out.contains(&format!("RFC822.SIZE {} ", m.size)),
            "{uid}: {out}"
        );
        let date = internaldate(&support::fill::rfc5322_date(m.received, 0, "+0000"));
        assert!(out.contains(&date), "{uid}: {date} in {out}");
        assert_eq!(
            out.contains("\\Seen"),
            m.flags.contains('S'),
            "{uid}: {out}"
        );
        assert_eq!(
            out.contains("\\Answered"),
            m.flags.contains('R'),
            "{uid}: {out}"
        );
        for k in &m.keywords {
            assert!(out.contains(k), "{uid}: {k} in {out}");
        }
        if let Some(parent) = &m.in_reply_to {
            assert!(
                out.contains(&format!("In-Reply-To: {parent}")),
                "{uid}: {out}"
            );
        }
    }
    // A new folder, visible in the shared namespace with INBOX's rights.
    tb.fill("support", "Archive", 10, 8);
    assert_eq!(rights(&mut alice, "shared/support/Archive"), "lrwstipekxa");
    let st = alice.cmd_ok("STATUS \"shared/support/Archive\" (MESSAGES)");
    assert!(st.contains("MESSAGES 10"), "{st}");
}
