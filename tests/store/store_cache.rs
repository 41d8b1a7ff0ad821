//! The header cache: round trips, hostile and damaged files, safe file names, concurrent
//! saves, and (ignored, run with `cargo test --release --test store store_cache:: -- --ignored
//! --nocapture`) the 100k-row timing.

use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use mailroom::hash::{hashed_name, sha256};
use mailroom::message::{Address, Fields, Flags, Summary};
use mailroom::store::cache::{FORMAT_VERSION, MAGIC};
use mailroom::store::{CacheError, CacheKey, CachedMailbox, HeaderCache, checksum};

/// splitmix64: a deterministic PRNG, so a failing case can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len() as u64) as usize]
    }
}

fn key() -> CacheKey {
    CacheKey {
        account: "support".into(),
        server: "imap.example.test:993".into(),
        login: "alice".into(),
        mailbox: "shared/support/INBOX".into(),
    }
}

const FIRST: &[&str] = &[
    "Anna", "Björn", "Chen", "Dmitri", "Élodie", "Fatima", "Giulia", "Hiroshi", "Ingrid", "José",
];
const LAST: &[&str] = &[
    "Müller", "Smith", "Wang", "Ivanov", "Dubois", "Khan", "Rossi", "Tanaka", "Larsen", "García",
];
const TOPIC: &[&str] = &[
    "Order #{} has not arrived",
    "Invoice {} — wrong VAT number",
    "Cannot log in since the update (ticket {})",
    "Rückerstattung für Bestellung {}",
    "Question about plan upgrade, account {}",
    "配送状況について {}",
    "Refund request {} — damaged item",
];

fn addr(rng: &mut Rng, domain: &str) -> Address {
    let first = rng.pick(FIRST);
    let last = rng.pick(LAST);
    Address {
        name: rng.chance(85).then(|| format!("{first} {last}")),
        email: format!("{}.{}@{domain}", first.to_lowercase(), last.to_lowercase()),
    }
}

fn msgid(rng: &mut Rng) -> String {
    format!(
        "<{:016x}.{:08x}@mail.customer{}.example>",
        rng.next(),
        rng.next() as u32,
        rng.below(500)
    )
}

/// A message list row as a support inbox would have it.
fn realistic(rng: &mut Rng, uid: u32) -> Summary {
    let thread = rng.below(6) as usize;
    let references: Vec<String> = (0..thread).map(|_| msgid(rng)).collect();
    let customer = format!("customer{}.example", rng.below(500));
    let subject = rng
        .pick(TOPIC)
        .replace("{}", &(10_000 + rng.below(90_000)).to_string());
    let mut keywords = Vec::new();
    if rng.chance(60) {
        keywords.push(format!(
            "$assigned.{}",
            rng.pick(&["alice", "bob", "carol"])
        ));
    }
    if rng.chance(30) {
        keywords.push(rng.pick(&["$done", "$pending", "$spam"]).to_string());
    }
    Summary::new(Fields {
        uid,
        modseq: Some(1000 + u64::from(uid) * 3),
        internal_date: 1_700_000_000 + i64::from(uid) * 97,
        date: rng
            .chance(97)
            .then(|| 1_700_000_000 + i64::from(uid) * 97 - 30),
        size: 1500 + rng.below(200_000),
        from: vec![addr(rng, &customer)],
        sender: if rng.chance(5) {
            vec![addr(rng, "lists.example")]
        } else {
            vec![]
        },
        reply_to: if rng.chance(10) {
            vec![addr(rng, &customer)]
        } else {
            vec![]
        },
        to: (0..1 + rng.below(2))
            .map(|_| Address {
                name: Some("Example Support".into()),
                email: "support@example.test".into(),
            })
            .collect(),
        cc: (0..rng.below(3)).map(|_| addr(rng, &customer)).collect(),
        subject: if thread > 0 {
            format!("Re: {subject}")
        } else {
            subject
        },
        message_id: rng.chance(99).then(|| msgid(rng)),
        in_reply_to: references.last().cloned().into_iter().collect(),
        references,
        delivered_to: vec!["support@example.test".into()],
        flags: Flags {
            seen: rng.chance(70),
            answered: rng.chance(40),
            flagged: rng.chance(5),
            deleted: rng.chance(1),
            draft: false,
        },
        keywords,
        has_attachment: rng.chance(20),
    })
}

pub(crate) fn realistic_mailbox(rows: u32, seed: u64) -> CachedMailbox {
    let mut rng = Rng(seed);
    let mut uid = 0;
    let rows = (0..rows)
        .map(|_| {
            uid += 1 + rng.below(3) as u32;
            realistic(&mut rng, uid)
        })
        .collect();
    CachedMailbox {
        uid_validity: 1_712_345_678,
        uid_next: uid + 1,
        highest_modseq: Some(987_654_321),
        rows,
    }
}

/// Rows at the edges: empty everything, None vs Some(empty), extreme numbers, non-ASCII,
/// long strings, many list elements.
fn edge_mailbox() -> CachedMailbox {
    let empty = Summary::default();
    let some_empty = Summary::new(Fields {
        uid: 1,
        modseq: Some(0),
        date: Some(0),
        message_id: Some(String::new()),
        from: vec![Address {
            name: Some(String::new()),
            email: String::new(),
        }],
        sender: vec![Address {
            name: None,
            email: String::new(),
        }],
        in_reply_to: vec![String::new()],
        keywords: vec![String::new(), String::new()],
        ..Fields::default()
    });
    let maxed = Summary::new(Fields {
        uid: u32::MAX,
        modseq: Some(u64::MAX),
        internal_date: i64::MIN,
        date: Some(i64::MAX),
        size: u64::MAX,
        from: vec![Address {
            name: Some("Zoë \u{202e}evil\u{202c} 🦀 \"quoted\" <x>".into()),
            email: "zoë@exämple.test".into(),
        }],
        sender: (0..300)
            .map(|i| Address {
                name: (i % 2 == 0).then(|| format!("n{i}")),
                email: format!("e{i}@x"),
            })
            .collect(),
        reply_to: vec![Address::default()],
        to: vec![Address {
            name: Some("\0\r\n\t".into()),
            email: "a@b".into(),
        }],
        cc: vec![],
        subject: "Ünïcödé ✉ 日本語 ".repeat(5000),
        message_id: Some("<\u{feff}id@host>".into()),
        in_reply_to: vec!["<a@b>".into(), "<c@d>".into()],
        references: (0..1000).map(|i| format!("<{i}@refs>")).collect(),
        delivered_to: vec!["x".repeat(70_000)],
        flags: Flags {
            seen: true,
            answered: true,
            flagged: true,
            deleted: true,
            draft: true,
        },
        keywords: vec!["$assigned.alice".into(), "$done".into(), "\\Weird".into()],
        has_attachment: true,
    });
    CachedMailbox {
        uid_validity: u32::MAX,
        uid_next: u32::MAX,
        highest_modseq: Some(u64::MAX),
        rows: vec![empty, some_empty, maxed],
    }
}

fn expect_corrupt(r: Result<Option<CachedMailbox>, CacheError>, what: &str) -> String {
    match r {
        Err(CacheError::Corrupt { reason, .. }) => reason,
        other => panic!("{what}: expected Corrupt, got {other:?}"),
    }
}

/// Replaces the trailing checksum so a mutation reaches the decoder instead of stopping at
/// the checksum.
fn reseal(bytes: &mut [u8]) {
    let n = bytes.len() - 8;
    let sum = checksum(&bytes[..n]);
    bytes[n..].copy_from_slice(&sum.to_le_bytes());
}

// ---------------------------------------------------------------------------------------------

#[test]
fn sha256_known_answers() {
    let hex = |b: [u8; 32]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
    assert_eq!(
        hex(sha256(b"")),
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
    assert_eq!(
        hex(sha256(b"abc")),
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        hex(sha256(
            b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"
        )),
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
    );
    assert_eq!(
        hex(sha256(&vec![b'a'; 1_000_000])),
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"
    );
    // Every padding boundary (55, 56, 63, 64 bytes) against a fixed value would need a table;
    // at least check they run and differ.
    let lens = [55usize, 56, 63, 64, 65, 119, 120];
    let all: Vec<_> = lens.iter().map(|&n| sha256(&vec![7u8; n])).collect();
    for (i, a) in all.iter().enumerate() {
        for b in &all[i + 1..] {
            assert_ne!(a, b);
        }
    }
}

#[test]
fn hashed_name_separates_fields_and_domains() {
    let a = hashed_name("d", &[b"ab", b"c"]);
    assert_ne!(a, hashed_name("d", &[b"a", b"bc"]));
    assert_ne!(a, hashed_name("e", &[b"ab", b"c"]));
    assert_eq!(a, hashed_name("d", &[b"ab", b"c"]));
    assert_eq!(a.len(), 64);
    assert!(
        a.bytes()
            .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
    );
}

#[test]
fn checksum_is_independent_of_how_bytes_are_fed() {
    let mut rng = Rng(7);
    let data: Vec<u8> = (0..1000).map(|_| rng.next() as u8).collect();
    let whole = checksum(&data);
    for split in [0, 1, 7, 31, 32, 33, 64, 999, 1000] {
        let mut c = mailroom::store::Checksum::new();
        c.update(&data[..split]);
        for b in data[split..].chunks(13) {
            c.update(b);
        }
        assert_eq!(c.finish(), whole, "split at {split}");
    }
    // Zero padding of the tail must not equal real zeros.
    assert_ne!(checksum(b"a"), checksum(b"a\0"));
    assert_ne!(checksum(b""), checksum(b"\0"));
    // Every single-bit flip is detected.
    for i in 0..data.len() {
        for bit in 0..8 {
            let mut d = data.clone();
            d[i] ^= 1 << bit;
            assert_ne!(checksum(&d), whole);
        }
    }
}

#[test]
fn missing_file_is_none_and_discard_is_idempotent() {
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().join("headers"));
    assert!(cache.load(&key()).unwrap().is_none());
    cache.discard(&key()).unwrap();
    cache.save(&key(), &realistic_mailbox(3, 1)).unwrap();
    assert!(cache.load(&key()).unwrap().is_some());
    cache.discard(&key()).unwrap();
    assert!(cache.load(&key()).unwrap().is_none());
    cache.discard(&key()).unwrap();
}

#[test]
fn round_trip_realistic_rows() {
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().join("headers"));
    let mb = realistic_mailbox(2000, 42);
    cache.save(&key(), &mb).unwrap();
    assert_eq!(cache.load(&key()).unwrap(), Some(mb));
}

#[test]
fn round_trip_edge_values() {
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().to_path_buf());
    let mb = edge_mailbox();
    cache.save(&key(), &mb).unwrap();
    let back = cache.load(&key()).unwrap().unwrap();
    // Field by field first, for a readable failure.
    for (a, b) in mb.rows.iter().zip(&back.rows) {
        assert_eq!(a.from(), b.from());
        assert_eq!(a.sender(), b.sender());
        assert_eq!(a.message_id(), b.message_id());
        assert_eq!(a.flags, b.flags);
        assert_eq!(a, b);
    }
    assert_eq!(back, mb);

    let empty = CachedMailbox::default();
    cache.save(&key(), &empty).unwrap();
    assert_eq!(cache.load(&key()).unwrap(), Some(empty));

    // A key with odd text round-trips too (it is stored and compared).
    let odd = CacheKey {
        account: String::new(),
        server: "[::1]:143".into(),
        login: "agent@example.test\\shared".into(),
        mailbox: "Entwürfe/&AOQ-\0\n".into(),
    };
    cache.save(&odd, &mb).unwrap();
    assert_eq!(cache.load(&odd).unwrap(), Some(mb));
}

#[test]
fn each_flag_and_option_bit_is_its_own() {
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().to_path_buf());
    let mut rows = Vec::new();
    for i in 0..256u32 {
        let on = |b: u32| i & (1 << b) != 0;
        rows.push(Summary::new(Fields {
            uid: i + 1,
            modseq: on(0).then_some(u64::from(i) << 40),
            date: on(1).then_some(-i64::from(i)),
            flags: Flags {
                seen: on(2),
                answered: on(3),
                flagged: on(4),
                deleted: on(5),
                draft: on(6),
            },
            has_attachment: on(7),
            ..Fields::default()
        }));
    }
    let mb = CachedMailbox {
        rows,
        ..CachedMailbox::default()
    };
    cache.save(&key(), &mb).unwrap();
    assert_eq!(cache.load(&key()).unwrap(), Some(mb));
}

#[test]
fn random_corruptions_are_detected() {
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().to_path_buf());
    let mut mb = realistic_mailbox(40, 3);
    mb.rows.push(edge_mailbox().rows.remove(1));
    mb.rows.last_mut().unwrap().uid = u32::MAX;
    cache.save(&key(), &mb).unwrap();
    let path = cache.path_for(&key());
    let good = fs::read(&path).unwrap();
    let mut rng = Rng(2024);
    let mut cases = 0;
    let mut check = |bytes: &[u8], what: &str| {
        fs::write(&path, bytes).unwrap();
        match cache.load(&key()) {
            Err(CacheError::Corrupt { .. }) => {}
            Ok(Some(back)) if back == mb => {}
            other => panic!("{what}: {other:?}"),
        }
        cases += 1;
    };
    // Truncation at every length near both ends, then at random lengths.
    for len in (0..60).chain(good.len() - 40..good.len()) {
        check(&good[..len], &format!("truncated to {len}"));
    }
    for _ in 0..20 {
        let len = rng.below(good.len() as u64) as usize;
        check(&good[..len], &format!("truncated to {len}"));
    }
    // One to four flipped bytes anywhere.
    for _ in 0..80 {
        let mut bad = good.clone();
        for _ in 0..1 + rng.below(4) {
            let i = rng.below(bad.len() as u64) as usize;
            bad[i] ^= 1 + rng.below(255) as u8;
        }
        check(&bad, "flipped bytes");
    }
    // Bytes appended.
    let mut longer = good.clone();
    longer.extend_from_slice(b"\0\0\0\0");
    check(&longer, "appended bytes");
    assert!(cases >= 200, "{cases} cases");
    // And the good file still loads.
    fs::write(&path, &good).unwrap();
    assert_eq!(cache.load(&key()).unwrap(), Some(mb));
}

#[test]
fn mutations_behind_a_valid_checksum_never_panic() {
    // The checksum stops nearly everything above; these reach the decoder itself.
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().to_path_buf());
    let mb = realistic_mailbox(30, 9);
    cache.save(&key(), &mb).unwrap();
    let path = cache.path_for(&key());
    let good = fs::read(&path).unwrap();
    let mut rng = Rng(99);
    let mut corrupt = 0;
    for round in 0..3000 {
        let mut bad = good.clone();
        match round % 3 {
            // Random bytes after the header.
            0 => {
                for _ in 0..1 + rng.below(3) {
                    let i = 12 + rng.below(bad.len() as u64 - 20) as usize;
                    bad[i] = rng.next() as u8;
                }
            }
            // A plausible-looking huge or off-by-some length/count at a random offset.
            1 => {
                let i = 12 + rng.below(bad.len() as u64 - 24) as usize;
                let v: u32 = match rng.below(4) {
                    0 => u32::MAX,
                    1 => u32::MAX - 1,
                    2 => 0x8000_0000,
                    _ => rng.below(1 << 20) as u32,
                };
                bad[i..i + 4].copy_from_slice(&v.to_le_bytes());
            }
            // Truncated, then resealed.
            _ => {
                let len = 20 + rng.below(bad.len() as u64 - 20) as usize;
                bad.truncate(len);
            }
        }
        reseal(&mut bad);
        fs::write(&path, &bad).unwrap();
        match cache.load(&key()) {
            Err(CacheError::Corrupt { .. }) => corrupt += 1,
            Ok(Some(_)) => {}
            other => panic!("round {round}: {other:?}"),
        }
    }
    assert!(corrupt > 2000, "only {corrupt} detected");
}

// Hand-built files, following the documented format.

fn s(text: &[u8]) -> Vec<u8> {
    let mut v = (text.len() as u32).to_le_bytes().to_vec();
    v.extend_from_slice(text);
    v
}

/// A frame: u32 length + contents.
fn frame(contents: &[u8]) -> Vec<u8> {
    s(contents)
}

fn sealed(payload: &[u8]) -> Vec<u8> {
    let mut v = MAGIC.to_vec();
    v.extend_from_slice(&FORMAT_VERSION.to_le_bytes());
    v.extend_from_slice(payload);
    v.extend_from_slice(&[0; 8]);
    reseal(&mut v);
    v
}

/// Header frame contents.
fn header_body(rows: u32) -> Vec<u8> {
    let k = key();
    let mut v = Vec::new();
    for f in [&k.account, &k.server, &k.login, &k.mailbox] {
        v.extend(s(f.as_bytes()));
    }
    v.extend(7u32.to_le_bytes()); // uid_validity
    v.extend(100u32.to_le_bytes()); // uid_next
    v.push(0); // no HIGHESTMODSEQ
    v.extend(rows.to_le_bytes());
    v
}

fn mailbox_header(rows: u32) -> Vec<u8> {
    frame(&header_body(rows))
}

/// The smallest row (frame contents): everything empty, message-id None.
/// Offsets: uid 0, bits 4, internal_date 5, size 13, keyword count 21, then the packed text
/// (one-byte varints): subject 25, message_id 26, from 27, sender 28, reply_to 29, to 30,
/// cc 31, in_reply_to 32, references 33, delivered_to 34; 35 bytes.
fn row_body(uid: u32) -> Vec<u8> {
    let mut v = uid.to_le_bytes().to_vec();
    v.push(0);
    v.extend(0i64.to_le_bytes());
    v.extend(0u64.to_le_bytes());
    v.extend(0u32.to_le_bytes());
    v.extend([0u8; 10]);
    v
}

/// A LEB128 varint, as the packed text holds lengths and counts.
fn varint(mut n: u32) -> Vec<u8> {
    let mut v = Vec::new();
    loop {
        let b = (n & 0x7f) as u8;
        n >>= 7;
        if n == 0 {
            v.push(b);
            return v;
        }
        v.push(b | 0x80);
    }
}

fn minimal_row(uid: u32) -> Vec<u8> {
    frame(&row_body(uid))
}

/// A one-row file whose row is `row_body(1)` changed by `edit`.
fn one_row(edit: impl FnOnce(&mut Vec<u8>)) -> Vec<u8> {
    let mut row = row_body(1);
    edit(&mut row);
    let mut p = mailbox_header(1);
    p.extend(frame(&row));
    p
}

fn load_bytes(bytes: &[u8]) -> Result<Option<CachedMailbox>, CacheError> {
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().to_path_buf());
    fs::write(cache.path_for(&key()), bytes).unwrap();
    cache.load(&key())
}

#[test]
fn hand_built_file_matches_documented_format() {
    let mut p = mailbox_header(2);
    p.extend(minimal_row(5));
    p.extend(minimal_row(9));
    let mb = load_bytes(&sealed(&p)).unwrap().unwrap();
    assert_eq!(
        (mb.uid_validity, mb.uid_next, mb.highest_modseq),
        (7, 100, None)
    );
    assert_eq!(mb.rows.len(), 2);
    assert_eq!(
        mb.rows[1],
        Summary::new(Fields {
            uid: 9,
            ..Fields::default()
        })
    );
    // And what save writes is what the format says.
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().to_path_buf());
    cache.save(&key(), &mb).unwrap();
    assert_eq!(fs::read(cache.path_for(&key())).unwrap(), sealed(&p));
}

#[test]
fn hostile_length_fields_are_corrupt_without_huge_allocations() {
    let started = Instant::now();
    let mut cases: Vec<(&str, Vec<u8>)> = Vec::new();

    for len in [u32::MAX, u32::MAX - 1, 0x8000_0000, 1025] {
        // As a key string length inside a 1 KiB header frame...
        let mut h = len.to_le_bytes().to_vec();
        h.resize(1024, b'a');
        cases.push(("key string length", frame(&h)));
        // ...and as the header frame length itself.
        let mut p = len.to_le_bytes().to_vec();
        p.resize(1024, b'a');
        cases.push(("header frame length", p));
        // ...and as a row frame length.
        let mut p = mailbox_header(1);
        p.extend(len.to_le_bytes());
        p.extend(row_body(1));
        cases.push(("row frame length", p));
    }
    let mut p = mailbox_header(u32::MAX);
    p.extend(minimal_row(1));
    cases.push(("row count 4G", p));
    let mut p = mailbox_header(2);
    p.extend(minimal_row(1));
    cases.push(("row count past the end", p));

    cases.push((
        "keyword count",
        one_row(|r| r[21..25].copy_from_slice(&0x8000_0000u32.to_le_bytes())),
    ));
    cases.push((
        "keyword invalid UTF-8",
        one_row(|r| {
            r[21..25].copy_from_slice(&1u32.to_le_bytes());
            r.splice(25..25, s(b"\xff$done"));
        }),
    ));
    cases.push((
        "address count",
        one_row(|r| {
            r.splice(27..28, varint(0x8000_0000));
        }),
    ));
    cases.push((
        "subject length",
        one_row(|r| {
            r.splice(25..26, varint(u32::MAX - 1));
        }),
    ));
    cases.push((
        "references count",
        one_row(|r| {
            r.splice(33..34, varint(u32::MAX));
        }),
    ));
    cases.push((
        "varint longer than five bytes",
        one_row(|r| {
            r.splice(25..26, [0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
        }),
    ));
    cases.push((
        "invalid UTF-8",
        one_row(|r| {
            r.splice(25..26, [2, 0xff, 0xfe]);
        }),
    ));
    // Overlong encoding of '/' and a lone surrogate.
    cases.push((
        "overlong UTF-8",
        one_row(|r| {
            r.splice(25..26, [5, 0xc0, 0xaf, 0xed, 0xa0, 0x80]);
        }),
    ));
    cases.push((
        "byte after the row, inside its frame",
        one_row(|r| r.push(0)),
    ));
    cases.push((
        "row cut short by its frame",
        one_row(|r| {
            // Long enough to pass the row-count bound, too short for its fields.
            r.splice(25..26, [5, b'h', b'e', b'l', b'l', b'o']);
            r.truncate(36);
        }),
    ));

    let mut h = header_body(0);
    let tag_at = h.len() - 5;
    h[tag_at] = 2;
    cases.push(("HIGHESTMODSEQ tag", frame(&h)));

    let mut h = header_body(0);
    h.push(0);
    cases.push(("byte after the header, inside its frame", frame(&h)));

    let mut p = mailbox_header(0);
    p.push(0);
    cases.push(("trailing byte", p));

    let mut p = mailbox_header(2);
    p.extend(minimal_row(9));
    p.extend(minimal_row(5));
    cases.push(("descending UIDs", p));

    let mut p = mailbox_header(2);
    p.extend(minimal_row(5));
    p.extend(minimal_row(5));
    cases.push(("duplicate UID", p));

    for (what, payload) in cases {
        let reason = expect_corrupt(load_bytes(&sealed(&payload)), what);
        eprintln!("{what}: {reason}");
    }
    // Nothing above may have allocated by a length field (that would take seconds or abort).
    assert!(started.elapsed() < Duration::from_secs(5));

    // A hostile checksum-less file of 1 KiB with a 4 GiB length right after the header.
    let mut raw = MAGIC.to_vec();
    raw.extend(FORMAT_VERSION.to_le_bytes());
    raw.extend(u32::MAX.to_le_bytes());
    raw.resize(1024, 0);
    expect_corrupt(load_bytes(&raw), "unsealed");
}

/// Files above a few MiB are decoded by several threads in blocks; the same rules hold there,
/// including UID order across the seams between blocks.
#[test]
fn large_files_decode_in_blocks_with_the_same_checks() {
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().to_path_buf());
    let mb = realistic_mailbox(9000, 77);
    cache.save(&key(), &mb).unwrap();
    let path = cache.path_for(&key());
    let good = fs::read(&path).unwrap();
    assert!(
        good.len() > 4 << 20,
        "{} bytes: too small to exercise",
        good.len()
    );
    assert_eq!(cache.load(&key()).unwrap(), Some(mb.clone()));

    // Damage deep inside, behind a valid checksum: a worker thread finds it.
    let mut rng = Rng(5);
    for _ in 0..10 {
        let mut bad = good.clone();
        let i = good.len() / 2 + rng.below(good.len() as u64 / 3) as usize;
        bad[i] = 0xff;
        bad[i + 1] = 0xff;
        reseal(&mut bad);
        fs::write(&path, &bad).unwrap();
        match cache.load(&key()) {
            Err(CacheError::Corrupt { .. }) => {}
            Ok(Some(m)) => assert_eq!(m.rows.len(), mb.rows.len()),
            other => panic!("{other:?}"),
        }
    }
    let mut cut = good[..good.len() - 1000].to_vec();
    reseal(&mut cut);
    fs::write(&path, &cut).unwrap();
    expect_corrupt(cache.load(&key()), "truncated large file");

    // 60,000 minimal rows (2.3 MiB), with one UID out of order near where blocks meet
    // (a 256 KiB block holds ~6,720 of these 39-byte rows).
    const N: u32 = 60_000;
    let build = |dip: Option<u32>| {
        let mut p = mailbox_header(N);
        for i in 0..N {
            let uid = if Some(i) == dip { 1 } else { 10 + i };
            p.extend(minimal_row(uid));
        }
        sealed(&p)
    };
    let ok = build(None);
    assert!(ok.len() as u64 > 2 << 20);
    assert_eq!(load_bytes(&ok).unwrap().unwrap().rows.len(), N as usize);
    for dip in [
        6719,
        6720,
        6721,
        6722,
        6723,
        13_441,
        13_442,
        13_443,
        30_000,
        N - 1,
    ] {
        let reason = expect_corrupt(load_bytes(&build(Some(dip))), "UID dip");
        assert!(reason.contains("ascending"), "dip at {dip}: {reason}");
    }
}

#[test]
fn short_bad_magic_and_version_mismatch_are_corrupt() {
    for len in 0..20 {
        expect_corrupt(load_bytes(&vec![0u8; len]), "short");
    }
    let good = sealed(&mailbox_header(0));
    assert!(load_bytes(&good).unwrap().is_some());

    let mut bad = good.clone();
    bad[0] = b'X';
    reseal(&mut bad);
    assert!(expect_corrupt(load_bytes(&bad), "magic").contains("magic"));

    for version in [0, FORMAT_VERSION + 1, u32::MAX] {
        let mut bad = good.clone();
        bad[8..12].copy_from_slice(&version.to_le_bytes());
        let reason = expect_corrupt(load_bytes(&bad), "version");
        assert!(reason.contains("version"), "{reason}");
        reseal(&mut bad);
        let reason = expect_corrupt(load_bytes(&bad), "version, resealed");
        assert!(reason.contains("version"), "{reason}");
    }
}

#[test]
fn a_file_for_another_key_is_corrupt() {
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().to_path_buf());
    let a = key();
    let b = CacheKey {
        mailbox: "shared/sales/INBOX".into(),
        ..key()
    };
    cache.save(&a, &realistic_mailbox(5, 5)).unwrap();
    // As if the two names hashed alike: a's file where b's should be.
    fs::copy(cache.path_for(&a), cache.path_for(&b)).unwrap();
    let reason = expect_corrupt(cache.load(&b), "key mismatch");
    assert!(reason.contains("another"), "{reason}");
    // Each field takes part in the name and in the check.
    for other in [
        CacheKey {
            account: "x".into(),
            ..key()
        },
        CacheKey {
            server: "imap.example.test:143".into(),
            ..key()
        },
        CacheKey {
            login: "bob".into(),
            ..key()
        },
    ] {
        assert_ne!(cache.path_for(&other), cache.path_for(&a));
        fs::copy(cache.path_for(&a), cache.path_for(&other)).unwrap();
        expect_corrupt(cache.load(&other), "field mismatch");
    }
    assert!(cache.load(&a).unwrap().is_some());
}

#[test]
fn file_names_never_carry_server_text() {
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().join("headers"));
    let hostile = [
        "../../etc/passwd",
        "/etc/passwd",
        "..",
        ".",
        "",
        "INBOX\0.cache",
        "a\nb\r\nc",
        "C:\\Windows\\system32",
        "shared/support/INBOX",
        "%2e%2e%2f",
        "\u{202e}kcapsid",
    ];
    let mut seen = std::collections::HashSet::new();
    for text in hostile {
        let k = CacheKey {
            account: text.into(),
            server: format!("{text}:993"),
            login: text.into(),
            mailbox: text.into(),
        };
        let path = cache.path_for(&k);
        assert_eq!(path.parent(), Some(dir.path().join("headers").as_path()));
        let name = path.file_name().unwrap().to_str().unwrap();
        let stem = name.strip_suffix(".cache").unwrap();
        assert_eq!(stem.len(), 64, "{name}");
        assert!(stem.bytes().all(|b| b.is_ascii_hexdigit()), "{name}");
        assert!(!name.contains('/') && !name.contains(".."));
        assert!(seen.insert(name.to_string()), "two keys, one name");
        // And the file really lands there.
        cache.save(&k, &CachedMailbox::default()).unwrap();
        assert!(path.is_file());
        assert_eq!(cache.load(&k).unwrap(), Some(CachedMailbox::default()));
    }
    // Nothing escaped the cache directory.
    let outside: Vec<_> = fs::read_dir(dir.path()).unwrap().collect();
    assert_eq!(outside.len(), 1);
}

#[test]
fn directory_is_private_and_no_temp_files_remain() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let headers = dir.path().join("a/b/headers");
    let cache = HeaderCache::new(headers.clone());
    cache.save(&key(), &realistic_mailbox(10, 1)).unwrap();
    let mode = |p: &Path| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&headers), 0o700);
    assert_eq!(mode(&cache.path_for(&key())), 0o600);
    let names: Vec<_> = fs::read_dir(&headers).unwrap().collect();
    assert_eq!(names.len(), 1);
}

#[test]
fn save_refuses_rows_out_of_order() {
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().to_path_buf());
    let mut mb = realistic_mailbox(5, 1);
    mb.rows.swap(1, 3);
    assert!(matches!(
        cache.save(&key(), &mb),
        Err(CacheError::Invalid { .. })
    ));
    let mut mb = realistic_mailbox(5, 1);
    mb.rows[2].uid = mb.rows[1].uid;
    assert!(matches!(
        cache.save(&key(), &mb),
        Err(CacheError::Invalid { .. })
    ));
    assert!(cache.load(&key()).unwrap().is_none());
}

#[test]
fn concurrent_saves_leave_a_loadable_file() {
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().join("headers"));
    let a = realistic_mailbox(300, 1);
    let b = realistic_mailbox(500, 2);
    std::thread::scope(|scope| {
        for mb in [&a, &b] {
            let cache = cache.clone();
            scope.spawn(move || {
                for _ in 0..25 {
                    cache.save(&key(), mb).unwrap();
                }
            });
        }
        // A reader meanwhile sees nothing, a, or b; never a half-written file.
        let cache = cache.clone();
        let (a, b) = (&a, &b);
        scope.spawn(move || {
            for _ in 0..100 {
                match cache.load(&key()) {
                    Ok(None) => {}
                    Ok(Some(m)) => assert!(m == *a || m == *b),
                    Err(e) => panic!("reader saw {e}"),
                }
            }
        });
    });
    let last = cache.load(&key()).unwrap().unwrap();
    assert!(last == a || last == b);
    let names: Vec<_> = fs::read_dir(dir.path().join("headers")).unwrap().collect();
    assert_eq!(names.len(), 1, "temp files left behind");
}

/// The warm-start budget: run with
/// `cargo test --release --test store store_cache:: -- --ignored --nocapture`.
#[test]
#[ignore]
fn timing_100k_rows() {
    let dir = tempfile::tempdir().unwrap();
    let cache = HeaderCache::new(dir.path().to_path_buf());
    let mb = realistic_mailbox(100_000, 11);
    let path = cache.path_for(&key());

    let t = Instant::now();
    cache.save(&key(), &mb).unwrap();
    let save = t.elapsed();
    let size = fs::metadata(&path).unwrap().len();

    // The first load in this process is the closest to a real warm start: no large frees
    // before it for the allocator to consolidate.
    let t = Instant::now();
    let first = cache.load(&key()).unwrap().unwrap();
    let first_load = t.elapsed();
    drop(first);

    let mut read = Duration::MAX;
    let mut load = Duration::MAX;
    let mut sum = Duration::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        let bytes = fs::read(&path).unwrap();
        read = read.min(t.elapsed());
        let t = Instant::now();
        std::hint::black_box(checksum(&bytes));
        sum = sum.min(t.elapsed());
        let t = Instant::now();
        let back = cache.load(&key()).unwrap().unwrap();
        load = load.min(t.elapsed());
        assert_eq!(back.rows.len(), mb.rows.len());
    }
    assert_eq!(cache.load(&key()).unwrap(), Some(mb));
    println!(
        "100k rows: file {:.1} MiB ({} B/row); save (encode + write) {save:?}; \
         load in this process: first {first_load:?}, best of 5 {load:?}; for reference, \
         fs::read of the file alone {read:?} and its checksum {sum:?}",
        size as f64 / (1 << 20) as f64,
        size / 100_000,
    );
    // A warm start is a fresh process reading the file: measure that too, best of 5 (the
    // machine may be busy).
    let mut fresh = Duration::MAX;
    let mut mem = String::new();
    let mut clone = Duration::MAX;
    for _ in 0..5 {
        let child = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "--ignored",
                "--exact",
                "store_cache::warm_start_child",
                "--nocapture",
            ])
            .env(CHILD_DIR, dir.path())
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&child.stdout);
        let nanos = stdout
            .lines()
            .find_map(|l| l.strip_prefix("fresh process load ns: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| {
                panic!(
                    "child output: {stdout}\n{}",
                    String::from_utf8_lossy(&child.stderr)
                )
            });
        fresh = fresh.min(Duration::from_nanos(nanos));
        let clone_ns = stdout
            .lines()
            .find_map(|l| l.strip_prefix("fresh process clone ns: "))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or(u64::MAX);
        clone = clone.min(Duration::from_nanos(clone_ns));
        mem = stdout
            .lines()
            .filter_map(|l| l.strip_prefix("fresh process Vm"))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join(", ");
    }
    println!(
        "fresh process: load {fresh:?} (best of 5); {mem}; cloning the loaded rows there \
         (allocation floor, one thread) {clone:?}"
    );
    // The project's whole warm-start budget; the figures above are the report.
    if !cfg!(debug_assertions) {
        assert!(fresh < Duration::from_millis(200), "load took {fresh:?}");
    }
}

const CHILD_DIR: &str = "MAILROOM_STORE_TIMING_DIR";

/// Half of `timing_100k_rows`: run by it in a fresh process; does nothing on its own.
#[test]
#[ignore]
fn warm_start_child() {
    let Some(dir) = std::env::var_os(CHILD_DIR) else {
        return;
    };
    let cache = HeaderCache::new(dir.into());
    let status = |field: &str| {
        let status = fs::read_to_string("/proc/self/status").unwrap_or_default();
        status
            .lines()
            .find_map(|l| l.strip_prefix(field))
            .map(|v| v.trim().to_string())
            .unwrap_or_default()
    };
    let before = status("VmRSS:");
    let t = Instant::now();
    let mb = cache.load(&key()).unwrap().unwrap();
    let took = t.elapsed();
    assert_eq!(mb.rows.len(), 100_000);
    println!(
        "fresh process VmRSS before load {before}, after {}, peak {}",
        status("VmRSS:"),
        status("VmHWM:")
    );
    // The floor for any loader: building the same rows once more in fresh memory.
    let t = Instant::now();
    let copy = std::hint::black_box(mb.clone());
    println!("fresh process clone ns: {}", t.elapsed().as_nanos());
    drop(copy);
    println!("fresh process load ns: {}", took.as_nanos());
}
