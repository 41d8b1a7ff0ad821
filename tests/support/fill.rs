//! Realistic mail, written fast: [`fill_maildir`] puts `n` messages straight into a Maildir
//! folder, named and dated the way Dovecot's own deliveries are, for big-mailbox tests and the
//! sync benchmark (`bench/run`).
//!
//! std only: the test harness uses it as `support::fill` (through [`Testbed::fill`]), and
//! `tests/testbed/fill` compiles it on its own with `rustc` (see `tests/testbed/fill.rs`).
//!
//! What the messages look like (deterministic for a seed, except that the dates end "now"):
//! - one customer of ~1,300 per message, a fifth of them with non-ASCII names (RFC 2047
//!   `B` and `Q` encoded words), some display names that need quoting (`"Doe, John"`);
//! - `To:` the shared address or its alias, sometimes `Cc:` another customer;
//! - subjects from templates (order numbers, products), some non-ASCII, some long and folded;
//! - a third are replies in threads: `Re:` subjects, `In-Reply-To:` and `References:` (up to
//!   10 ids, some pointing at agent replies that are not in the folder);
//! - `Return-Path`, `Delivered-To`, `X-Original-To` (for mail to the alias), `Received`,
//!   `Date` with several time zones, `Message-ID` (unique), `MIME-Version`;
//! - bodies of 1–6 KB (paragraphs, quoted text in replies); 5% multipart/alternative with
//!   HTML, 2% multipart/mixed with a 6–30 KB base64 attachment; 3.6 KB a message on average;
//! - flags: old mail mostly `\Seen`, many `\Answered`, a few `\Flagged`, the newest 5% mostly
//!   unseen; team keywords `$done`, `$pending`, `$assigned.alice`, `$assigned.bob`.
//!
//! Files are written into `cur/` as `<secs>.M<usecs>P<pid>Q<n>.mrtb,S=<size>,W=<CRLF size>:2,<flags>` with LF line ends (as
//! Dovecot stores mail), the file's mtime = the message's arrival (INTERNALDATE), and dates
//! strictly increasing with `n`: Dovecot assigns UIDs in file-name (time) order, so message
//! `i` gets UID `first + i`.
#![allow(dead_code)]

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// One message written by [`fill_maildir`], in UID order.
#[derive(Debug, Clone)]
pub struct Filled {
    /// The file in `cur/`.
    pub path: PathBuf,
    /// `<...@...>`, unique.
    pub message_id: String,
    /// Decoded subject.
    pub subject: String,
    /// Decoded `From:` display name.
    pub from_name: String,
    /// `From:` address.
    pub from_addr: String,
    /// Arrival time (INTERNALDATE, the file's mtime), Unix seconds; the `Date:` header is a
    /// few seconds to minutes earlier.
    pub received: u64,
    /// Maildir system flags, sorted (`S` seen, `R` answered, `F` flagged).
    pub flags: String,
    /// IMAP keywords (`$done`, `$assigned.alice`, ...).
    pub keywords: Vec<&'static str>,
    /// `In-Reply-To:` (also the last `References:` id), for replies.
    pub in_reply_to: Option<String>,
    /// The number of ids in `References:`.
    pub references: usize,
    /// RFC822.SIZE as an IMAP server reports it (CRLF line ends).
    pub size: usize,
}

/// The keywords the filler uses, in the order of their Maildir letters when the folder has no
/// `dovecot-keywords` file yet.
pub const KEYWORDS: [&str; 4] = ["$done", "$pending", "$assigned.alice", "$assigned.bob"];

/// Writes `n` messages into the Maildir folder `folder` (which has `cur/`, `new/`, `tmp/`)
/// of the mailbox whose address is `address` (e.g. `support@example.test`). `owner` =
/// (uid, gid) for the files (the mail user; `None` keeps the writer's). Returns the messages
/// in the order Dovecot will number them (after the folder's existing ones, as long as those
/// are older than the new ones: the new ones end now).
pub fn fill_maildir(
    folder: &Path,
    address: &str,
    n: usize,
    seed: u64,
    owner: Option<(u32, u32)>,
) -> io::Result<Vec<Filled>> {
    for sub in ["cur", "tmp"] {
        if !folder.join(sub).is_dir() {
            return Err(io::Error::new(
                io::ErrorKind::NotFound,
                format!("{} is not a Maildir folder", folder.display()),
            ));
        }
    }
    let letters = keyword_letters(folder, owner)?;
    let plan = plan(address, n, seed, now_secs());
    write_all(folder, address, &plan, &letters, owner)
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(1_700_000_000)
}

// ------------------------------------------------------------------------------------ random

/// SplitMix64: small, fast, good enough for test data, same output everywhere.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x6a09_e667_f3bc_c908)
    }
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// 0..n
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// true with probability `percent`/100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

// ------------------------------------------------------------------------------------ corpus

/// (display, ASCII for the address)
const FIRST: [(&str, &str); 40] = [
    ("John", "john"),
    ("Mary", "mary"),
    ("Ahmed", "ahmed"),
    ("Priya", "priya"),
    ("Olumide", "olumide"),
    ("Chen", "chen"),
    ("Laura", "laura"),
    ("Peter", "peter"),
    ("Fatima", "fatima"),
    ("Tom", "tom"),
    ("Emma", "emma"),
    ("Lucas", "lucas"),
    ("Hannah", "hannah"),
    ("Noah", "noah"),
    ("Grace", "grace"),
    ("Daniel", "daniel"),
    ("Aisha", "aisha"),
    ("Mateo", "mateo"),
    ("Olivia", "olivia"),
    ("Ravi", "ravi"),
    ("Sarah", "sarah"),
    ("Kenji", "kenji"),
    ("Ingrid", "ingrid"),
    ("Marco", "marco"),
    ("Nadia", "nadia"),
    ("Paul", "paul"),
    ("Julia", "julia"),
    ("Omar", "omar"),
    ("Zoë", "zoe"),
    ("José", "jose"),
    ("Łukasz", "lukasz"),
    ("Søren", "soren"),
    ("François", "francois"),
    ("Jürgen", "juergen"),
    ("Ciarán", "ciaran"),
    ("Sofía", "sofia"),
    ("Björn", "bjorn"),
    ("Άννα", "anna"),
    ("Дмитрий", "dmitry"),
    ("明", "ming"),
];
const LAST: [(&str, &str); 33] = [
    ("Smith", "smith"),
    ("Johnson", "johnson"),
    ("Okafor", "okafor"),
    ("Patel", "patel"),
    ("Nguyen", "nguyen"),
    ("Garcia", "garcia"),
    ("Kim", "kim"),
    ("Brown", "brown"),
    ("Rossi", "rossi"),
    ("Jensen", "jensen"),
    ("Walker", "walker"),
    ("Khan", "khan"),
    ("Silva", "silva"),
    ("Novak", "novak"),
    ("Schmidt", "schmidt"),
    ("Tanaka", "tanaka"),
    ("Doe", "doe"),
    ("Martin", "martin"),
    ("Cohen", "cohen"),
    ("Ali", "ali"),
    ("Wilson", "wilson"),
    ("Evans", "evans"),
    ("Moreau", "moreau"),
    ("Müller", "mueller"),
    ("Dvořák", "dvorak"),
    ("Ørsted", "orsted"),
    ("Núñez", "nunez"),
    ("Çelik", "celik"),
    ("Wiśniewski", "wisniewski"),
    ("Papadopoulos", "papadopoulos"),
    ("Иванов", "ivanov"),
    ("王", "wang"),
    ("山田", "yamada"),
];
const DOMAINS: [&str; 12] = [
    "example.com",
    "mail.example.org",
    "customer.test",
    "bigcorp.example",
    "kunde.example.de",
    "client.example.fr",
    "shop.example.net",
    "startup.example.io",
    "uni.example.edu",
    "gmail.example",
    "outlook.example",
    "agency.example.co.uk",
];
const PRODUCTS: [&str; 10] = [
    "Widget Pro",
    "the mobile app",
    "SyncBox",
    "the billing portal",
    "Router X2",
    "the API",
    "my subscription",
    "the desktop client",
    "Smart Thermostat",
    "the web shop",
];
/// `{n}` = a number, `{p}` = a product.
const SUBJECTS: [&str; 24] = [
    "Order #{n} has not arrived",
    "Question about invoice {n}",
    "Cannot log in to my account",
    "Refund request for order #{n}",
    "Problem with {p}",
    "Feature request: export from {p}",
    "{p} keeps crashing after the update",
    "Wrong item delivered (order {n})",
    "How do I cancel {p}?",
    "Password reset link does not work",
    "Invoice {n}: VAT number missing",
    "URGENT: {p} is down for our whole team",
    "Thanks for the quick help!",
    "Change of billing address",
    "Partnership inquiry",
    "Bulk discount for {n} licences?",
    "Re-sending: question about {p}",
    "Delivery address for order {n}",
    "Rechnung {n} – Rückfrage zur Zahlung",
    "Commande n°{n} non reçue",
    "Problème avec {p} après la mise à jour",
    "注文{n}について質問があります",
    "Pedido {n}: ¿cuándo llega?",
    "Ticket {n}: {p} shows an error when I try to export a report with more than a thousand rows",
];
const SENTENCES: [&str; 24] = [
    "I ordered this two weeks ago and the tracking page still shows no movement.",
    "Could you please check what is going on with my account?",
    "We have been customers for years and this has never happened before.",
    "The error message says that the session has expired, even right after logging in.",
    "I attached a screenshot of the problem so you can see exactly what happens.",
    "Our finance department needs a corrected invoice before the end of the month.",
    "Is there a way to export all of our data in one go, for example as CSV?",
    "I already tried restarting the device and reinstalling the app, without success.",
    "Please let me know if you need any further information from my side.",
    "It worked fine until last Tuesday, when the update was installed automatically.",
    "Three of my colleagues see the same behaviour on different computers.",
    "The delivery note lists an item that was not in the parcel.",
    "Can you tell me when the replacement will be shipped?",
    "We would like to upgrade our plan, but the button in the settings is greyed out.",
    "I was charged twice for the same month, see the two payments on my statement.",
    "Vielen Dank im Voraus für Ihre Hilfe – die Sache ist für uns ziemlich dringend.",
    "Merci de me tenir au courant dès que possible, c'est assez urgent pour nous.",
    "El paquete llegó dañado y falta una pieza del montaje.",
    "お手数ですが、ご確認のほどよろしくお願いいたします。",
    "Thank you, that solved it: everything works again now.",
    "Our IT department asks whether the service supports single sign-on.",
    "The link in your last email leads to a page that says 404 not found.",
    "I would prefer a refund rather than a voucher, if that is possible.",
    "Best case we could sort this out before our audit next week.",
];
const GREETINGS: [&str; 6] = [
    "Hello,",
    "Hi there,",
    "Dear support team,",
    "Hallo,",
    "Bonjour,",
    "Hi,",
];
const CLOSINGS: [&str; 5] = [
    "Best regards,",
    "Thanks,",
    "Kind regards,",
    "Cheers,",
    "Mit freundlichen Grüßen,",
];
const ZONES: [(&str, i64); 6] = [
    ("+0000", 0),
    ("+0100", 3600),
    ("+0200", 7200),
    ("-0500", -18000),
    ("+0530", 19800),
    ("+0900", 32400),
];

// ------------------------------------------------------------------------------------ plan

/// Everything decided sequentially (threads, dates, flags); bodies are rendered in parallel.
struct Plan {
    index: usize,
    seed: u64,
    customer: usize,
    received: u64,
    /// Seconds between `Date:` and arrival.
    transit: u64,
    zone: usize,
    to_alias: bool,
    cc: Option<usize>,
    subject: String,
    message_id: String,
    /// Oldest first, the last one is In-Reply-To.
    references: Vec<String>,
    flags: String,
    keywords: Vec<&'static str>,
}

struct Thread {
    customer: usize,
    subject: String,
    ids: Vec<String>,
}

fn customer_count() -> usize {
    FIRST.len() * LAST.len()
}

/// (display name, address) of customer `c`.
fn customer(c: usize) -> (String, String) {
    let (f, fa) = FIRST[c % FIRST.len()];
    let (l, la) = LAST[(c / FIRST.len()) % LAST.len()];
    let domain = DOMAINS[(c * 7 + 3) % DOMAINS.len()];
    let name = if c % 11 == 5 {
        // Needs quoting in a header.
        format!("{l}, {f}")
    } else {
        format!("{f} {l}")
    };
    let addr = if c % 5 == 2 {
        format!("{fa}.{la}@{domain}")
    } else {
        format!("{}{la}{}@{domain}", &fa[..1], c % 97)
    };
    (name, addr)
}

fn plan(address: &str, n: usize, seed: u64, end: u64) -> Vec<Plan> {
    let mut rng = Rng::new(seed);
    // Arrival gaps of 30 s .. 10 min, so that 100k messages span about a year.
    let gaps: Vec<u64> = (0..n).map(|_| 30 + rng.next() % 570).collect();
    let total: u64 = gaps.iter().sum();
    let mut t = end.saturating_sub(total);
    let domain = address.split('@').nth(1).unwrap_or("example.test");
    let mut open: Vec<Thread> = Vec::new();
    let mut plans = Vec::with_capacity(n);
    for (i, gap) in gaps.into_iter().enumerate() {
        t += gap;
        let age = i as f64 / n.max(1) as f64; // 0 = oldest
        let mut references = Vec::new();
        let mut thread = None;
        let (cust, subject) = if !open.is_empty() && rng.chance(33) {
            let k = rng.below(open.len());
            thread = Some(k);
            let th = &mut open[k];
            if rng.chance(40) {
                // The customer answers an agent's reply that lives in Sent, not here.
                let reply = format!("<r{}.{:x}@{domain}>", i, rng.next() & 0xffff_ffff);
                th.ids.push(reply);
            }
            references = th.ids.iter().rev().take(10).rev().cloned().collect();
            (th.customer, format!("Re: {}", th.subject))
        } else {
            let c = rng.below(customer_count());
            let tpl = rng.pick(&SUBJECTS);
            let s = tpl
                .replace("{n}", &(10_000 + rng.below(90_000)).to_string())
                .replace("{p}", rng.pick(&PRODUCTS));
            (c, s)
        };
        let message_id = format!(
            "<{:08x}.{}.{:06x}@{}>",
            (seed as u32) ^ (rng.next() as u32),
            i,
            rng.next() & 0xff_ffff,
            customer(cust).1.split('@').nth(1).unwrap_or("example.com")
        );
        if let Some(k) = thread {
            open[k].ids.push(message_id.clone());
        } else {
            if open.len() >= 400 {
                let k = rng.below(open.len());
                open.swap_remove(k);
            }
            open.push(Thread {
                customer: cust,
                subject: subject.clone(),
                ids: vec![message_id.clone()],
            });
        }
        let fresh = age > 0.95;
        let seen = rng.chance(if fresh { 30 } else { 92 });
        let answered = seen && rng.chance(if fresh { 10 } else { 45 });
        let flagged = rng.chance(3);
        let mut flags = String::new();
        if flagged {
            flags.push('F');
        }
        if answered {
            flags.push('R');
        }
        if seen {
            flags.push('S');
        }
        let mut keywords = Vec::new();
        if answered && rng.chance(60) {
            keywords.push(KEYWORDS[0]);
        } else if seen && rng.chance(10) {
            keywords.push(KEYWORDS[1]);
        }
        if rng.chance(if fresh { 30 } else { 15 }) {
            keywords.push(if rng.chance(50) {
                KEYWORDS[2]
            } else {
                KEYWORDS[3]
            });
        }
        plans.push(Plan {
            index: i,
            seed: rng.next(),
            customer: cust,
            received: t,
            transit: 2 + rng.next() % 300,
            zone: rng.below(ZONES.len()),
            to_alias: rng.chance(40),
            cc: rng.chance(15).then(|| rng.below(customer_count())),
            subject,
            message_id,
            references,
            flags,
            keywords,
        });
    }
    plans
}

// ------------------------------------------------------------------------------------ render

/// Renders on one thread and creates the files on this one: the two halves take about as long
/// (the kernel's part dominates in release builds, rendering in debug builds).
fn write_all(
    folder: &Path,
    address: &str,
    plans: &[Plan],
    letters: &[(&'static str, char)],
    owner: Option<(u32, u32)>,
) -> io::Result<Vec<Filled>> {
    let pid = std::process::id();
    let cur_dir = folder.join("cur");
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(String, Vec<u8>, Filled)>(256);
        scope.spawn(move || {
            for p in plans {
                let mut buf = Vec::with_capacity(8 * 1024);
                render(p, address, &mut buf);
                // str's memchr-based search is fast in debug builds too (std is optimized).
                let lf = match std::str::from_utf8(&buf) {
                    Ok(text) => text.matches('\n').count(),
                    Err(_) => buf.iter().filter(|&&b| b == b'\n').count(),
                };
                let mut flags = p.flags.clone();
                let mut kw: Vec<char> = p
                    .keywords
                    .iter()
                    .filter_map(|k| letters.iter().find(|(n, _)| n == k).map(|(_, c)| *c))
                    .collect();
                kw.sort_unstable();
                flags.extend(kw);
                let name = format!(
                    "{}.M{}P{}Q{}.mrtb,S={},W={}:2,{}",
                    p.received,
                    p.index % 1_000_000,
                    pid,
                    p.index,
                    buf.len(),
                    buf.len() + lf,
                    flags
                );
                let (from_name, from_addr) = customer(p.customer);
                let filled = Filled {
                    path: PathBuf::new(),
                    message_id: p.message_id.clone(),
                    subject: p.subject.clone(),
                    from_name,
                    from_addr,
                    received: p.received,
                    flags: p.flags.clone(),
                    keywords: p.keywords.clone(),
                    in_reply_to: p.references.last().cloned(),
                    references: p.references.len(),
                    size: buf.len() + lf,
                };
                if tx.send((name, buf, filled)).is_err() {
                    return; // the writer failed
                }
            }
        });
        let mut out = Vec::with_capacity(plans.len());
        for (name, buf, mut filled) in rx {
            let path = cur_dir.join(&name);
            let mut f = fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .open(&path)?;
            f.write_all(&buf)?;
            if let Some((uid, gid)) = owner {
                std::os::unix::fs::fchown(&f, Some(uid), Some(gid))?;
            }
            f.set_modified(UNIX_EPOCH + Duration::from_secs(filled.received))?;
            drop(f);
            filled.path = path;
            out.push(filled);
        }
        Ok(out)
    })
}

fn render(p: &Plan, address: &str, out: &mut Vec<u8>) {
    let mut rng = Rng::new(p.seed);
    let (name, addr) = customer(p.customer);
    let domain = addr.split('@').nth(1).unwrap_or("example.com");
    let (local, our_domain) = address.split_once('@').unwrap_or((address, "example.test"));
    let alias = if local == "support" { "help" } else { "orders" };
    let rcpt = if p.to_alias {
        format!("{alias}@{our_domain}")
    } else {
        address.to_string()
    };
    let (zone, offset) = ZONES[p.zone];
    let sent = p.received - p.transit;
    let w = |out: &mut Vec<u8>, s: &str| out.extend_from_slice(s.as_bytes());

    w(out, &format!("Return-Path: <{addr}>\n"));
    w(out, &format!("Delivered-To: {address}\n"));
    w(
        out,
        &format!(
            "Received: from mx{}.{domain} (mx{}.{domain} [192.0.2.{}])\n\tby mail.{our_domain} (Postfix) with ESMTPS id {:010X}\n\tfor <{rcpt}>; {}\n",
            p.customer % 3,
            p.customer % 3,
            1 + p.customer % 250,
            rng.next() & 0xff_ffff_ffff,
            rfc5322_date(p.received, 0, "+0000")
        ),
    );
    if p.to_alias {
        w(out, &format!("X-Original-To: {rcpt}\n"));
    }
    w(out, &format!("Message-ID: {}\n", p.message_id));
    w(
        out,
        &format!("Date: {}\n", rfc5322_date(sent, offset, zone)),
    );
    w(out, &format!("From: {}\n", mailbox(&name, &addr, p.index)));
    w(out, &format!("To: {rcpt}\n"));
    if let Some(c) = p.cc {
        let (cn, ca) = customer(c);
        w(out, &format!("Cc: {}\n", mailbox(&cn, &ca, p.index + 1)));
    }
    w(
        out,
        &format!("Subject: {}\n", header_text(&p.subject, p.index)),
    );
    if let Some(last) = p.references.last() {
        w(out, &format!("In-Reply-To: {last}\n"));
        w(out, "References:");
        for (k, r) in p.references.iter().enumerate() {
            w(out, if k == 0 { " " } else { "\n " });
            w(out, r);
        }
        w(out, "\n");
    }
    w(out, "MIME-Version: 1.0\n");
    if rng.chance(30) {
        w(out, "User-Agent: Mozilla Thunderbird\n");
    }

    let text = body_text(&mut rng, &name, p);
    let kind = rng.below(100);
    if kind < 5 {
        let b = format!("=_alt_{:016x}", rng.next());
        w(
            out,
            &format!("Content-Type: multipart/alternative; boundary=\"{b}\"\n\n"),
        );
        w(
            out,
            &format!(
                "--{b}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
            ),
        );
        w(out, &text);
        w(
            out,
            &format!(
                "\n--{b}\nContent-Type: text/html; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n<html><body>\n"
            ),
        );
        for para in text.split("\n\n") {
            w(out, "<p>");
            w(
                out,
                &para
                    .replace('&', "&amp;")
                    .replace('<', "&lt;")
                    .replace('>', "&gt;"),
            );
            w(out, "</p>\n");
        }
        w(out, &format!("</body></html>\n--{b}--\n"));
    } else if kind < 7 {
        let b = format!("=_mix_{:016x}", rng.next());
        w(
            out,
            &format!("Content-Type: multipart/mixed; boundary=\"{b}\"\n\n"),
        );
        w(
            out,
            &format!(
                "--{b}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n"
            ),
        );
        w(out, &text);
        w(
            out,
            &format!(
                "\n--{b}\nContent-Type: application/pdf; name=\"invoice-{0}.pdf\"\nContent-Disposition: attachment; filename=\"invoice-{0}.pdf\"\nContent-Transfer-Encoding: base64\n\n",
                p.index
            ),
        );
        let len = 6_000 + rng.below(24_000);
        let mut data = Vec::with_capacity(len);
        data.extend_from_slice(b"%PDF-1.4\n");
        while data.len() < len {
            data.extend_from_slice(&rng.next().to_le_bytes());
        }
        for line in base64(&data).as_bytes().chunks(76) {
            out.extend_from_slice(line);
            out.push(b'\n');
        }
        w(out, &format!("--{b}--\n"));
    } else {
        w(
            out,
            "Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n",
        );
        w(out, &text);
    }
}

fn body_text(rng: &mut Rng, name: &str, p: &Plan) -> String {
    let mut s = String::with_capacity(4096);
    s.push_str(rng.pick(&GREETINGS));
    s.push_str("\n\n");
    let paras = 2 + rng.below(7);
    for _ in 0..paras {
        let sentences = 3 + rng.below(7);
        let mut col = 0;
        for k in 0..sentences {
            let sentence = rng.pick(&SENTENCES);
            if k > 0 {
                if col + sentence.len() > 72 {
                    s.push('\n');
                    col = 0;
                } else {
                    s.push(' ');
                    col += 1;
                }
            }
            s.push_str(sentence);
            col += sentence.len();
        }
        s.push_str("\n\n");
    }
    s.push_str(rng.pick(&CLOSINGS));
    s.push('\n');
    s.push_str(name);
    s.push('\n');
    if !p.references.is_empty() {
        s.push_str(&format!(
            "\nOn {}, Support wrote:\n",
            rfc5322_date(p.received - 86_400, 0, "+0000")
        ));
        let quoted = 2 + rng.below(8);
        for _ in 0..quoted {
            s.push_str("> ");
            s.push_str(rng.pick(&SENTENCES));
            s.push('\n');
        }
        s.push_str(">\n> Your support team\n");
    }
    s
}

/// `Name <addr>`, with the display name quoted or RFC 2047-encoded as needed.
fn mailbox(name: &str, addr: &str, salt: usize) -> String {
    if !name.is_ascii() {
        format!("{} <{addr}>", encoded_words(name, salt.is_multiple_of(2)))
    } else if name.contains([',', '.', '"']) {
        format!("\"{}\" <{addr}>", name.replace('"', "\\\""))
    } else {
        format!("{name} <{addr}>")
    }
}

/// Unstructured header text: as is when ASCII (folded when long), else encoded words.
fn header_text(text: &str, salt: usize) -> String {
    if !text.is_ascii() {
        return encoded_words(text, salt.is_multiple_of(3));
    }
    if text.len() <= 60 {
        return text.to_string();
    }
    // Fold at the first space after 50 characters.
    match text[50..].find(' ') {
        Some(i) => format!("{}\n {}", &text[..50 + i], &text[50 + i + 1..]),
        None => text.to_string(),
    }
}

/// RFC 2047 encoded words (UTF-8, `B` or `Q`), split at character boundaries so that each
/// word stays well under 75 characters, folded between words.
fn encoded_words(text: &str, b: bool) -> String {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for ch in text.chars() {
        if chunk.len() + ch.len_utf8() > 27 {
            words.push(std::mem::take(&mut chunk));
        }
        chunk.push(ch);
    }
    if !chunk.is_empty() {
        words.push(chunk);
    }
    let encoded: Vec<String> = words
        .iter()
        .map(|w| {
            if b {
                format!("=?UTF-8?B?{}?=", base64(w.as_bytes()))
            } else {
                let mut q = String::new();
                for &byte in w.as_bytes() {
                    match byte {
                        b' ' => q.push('_'),
                        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'.' | b'-' | b'!' => {
                            q.push(byte as char)
                        }
                        _ => q.push_str(&format!("={byte:02X}")),
                    }
                }
                format!("=?UTF-8?Q?{q}?=")
            }
        })
        .collect();
    encoded.join("\n ")
}

fn base64(data: &[u8]) -> String {
    const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (b[0] as u32) << 16 | (b[1] as u32) << 8 | b[2] as u32;
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(T[(n >> (18 - 6 * i)) as usize & 63] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// `Tue, 14 Jan 2025 10:03:22 +0100` for Unix time `t` shown in a zone `offset` seconds east.
pub fn rfc5322_date(t: u64, offset: i64, zone: &str) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let local = t as i64 + offset;
    let days = local.div_euclid(86_400);
    let secs = local.rem_euclid(86_400);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{}, {} {} {} {:02}:{:02}:{:02} {}",
        DAYS[days.rem_euclid(7) as usize],
        day,
        MONTHS[(month - 1) as usize],
        year,
        secs / 3600,
        secs / 60 % 60,
        secs % 60,
        zone
    )
}

// ------------------------------------------------------------------------------------ keywords

/// The Maildir letter of each keyword in [`KEYWORDS`], adding them to the folder's
/// `dovecot-keywords` file (keeping the entries Dovecot already wrote there).
fn keyword_letters(
    folder: &Path,
    owner: Option<(u32, u32)>,
) -> io::Result<Vec<(&'static str, char)>> {
    let path = folder.join("dovecot-keywords");
    let existing = match fs::read_to_string(&path) {
        Ok(s) => s,
        Err(e) if e.kind() == io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    let mut entries: Vec<(usize, String)> = existing
        .lines()
        .filter_map(|l| {
            let (i, name) = l.split_once(' ')?;
            Some((i.parse().ok()?, name.to_string()))
        })
        .collect();
    let mut letters = Vec::new();
    let mut changed = false;
    for k in KEYWORDS {
        let idx = match entries.iter().find(|(_, n)| n.eq_ignore_ascii_case(k)) {
            Some((i, _)) => *i,
            None => {
                let free = (0..26).find(|i| entries.iter().all(|(j, _)| j != i));
                let Some(i) = free else { continue };
                entries.push((i, k.to_string()));
                changed = true;
                i
            }
        };
        if idx < 26 {
            letters.push((k, (b'a' + idx as u8) as char));
        }
    }
    if changed {
        entries.sort();
        let text: String = entries.iter().map(|(i, n)| format!("{i} {n}\n")).collect();
        let tmp = folder.join("tmp").join("dovecot-keywords.mrtb");
        fs::write(&tmp, text)?;
        if let Some((uid, gid)) = owner {
            std::os::unix::fs::chown(&tmp, Some(uid), Some(gid))?;
        }
        fs::rename(&tmp, &path)?;
    }
    Ok(letters)
}
