use mailroom::backend::maildir::MaildirBackend;
use mailroom::backend::{Backend, FlagChange, Flags};
#[test]
fn perf() {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path().join("r");
    let mut b = MaildirBackend::create("x", &root).unwrap();
    let n = 20_000;
    for i in 0..n {
        std::fs::write(
            root.join("new").join(format!("17000{i:05}.M{i}P1.mx")),
            format!("From: a{i}@x.test\r\nSubject: s{i}\r\n\r\nbody\r\n"),
        )
        .unwrap();
    }
    let t = std::time::Instant::now();
    let st = b.status("INBOX").unwrap();
    eprintln!("first status (assign {n} uids): {:?}", t.elapsed());
    assert_eq!(st.exists, n);
    let t = std::time::Instant::now();
    let mut c = 0;
    b.summaries("INBOX", 1, &mut |v| c += v.len()).unwrap();
    eprintln!("summaries: {:?}", t.elapsed());
    assert_eq!(c, n as usize);
    let t = std::time::Instant::now();
    for uid in 1..=200 {
        b.store(
            "INBOX",
            uid,
            &FlagChange {
                add_flags: Flags {
                    seen: true,
                    ..Flags::default()
                },
                add_keywords: vec!["$done".into()],
                ..FlagChange::default()
            },
            None,
        )
        .unwrap();
    }
    eprintln!("200 stores: {:?}", t.elapsed());
    let t = std::time::Instant::now();
    for i in 0..50 {
        b.append(
            "INBOX",
            b"Subject: x\r\n\r\ny\r\n",
            Flags::default(),
            &[],
            None,
        )
        .unwrap();
        let _ = i;
    }
    eprintln!("50 appends (durable): {:?}", t.elapsed());
}
