//! Attachments: listing, safe names from hostile ones, and saving without ever writing outside
//! the chosen folder or over an existing file (PROTOCOL.md "Pitfalls", issue 4 item 4).

use std::fs;
use std::path::Path;

use mailroom::mail::attachments::{
    AttachmentError, MAX_NAME_BYTES, file_name_for, list, safe_file_name, save,
};

/// A multipart/mixed message: a text body, then each (part headers, body) given.
fn message(parts: &[(&str, &str)]) -> Vec<u8> {
    let mut m = String::from(
        "From: Customer <c@customer.test>\r\nTo: support@example.test\r\nSubject: files\r\n\
         Message-ID: <files@customer.test>\r\nMIME-Version: 1.0\r\n\
         Content-Type: multipart/mixed; boundary=\"BOUNDARY\"\r\n\r\n\
         --BOUNDARY\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSee attached.\r\n",
    );
    for (headers, body) in parts {
        m.push_str("--BOUNDARY\r\n");
        m.push_str(headers);
        m.push_str("\r\n\r\n");
        m.push_str(body);
        m.push_str("\r\n");
    }
    m.push_str("--BOUNDARY--\r\n");
    m.into_bytes()
}

/// One base64 attachment named by a raw `filename=` parameter value (quoted here).
fn named(filename: &str, body_b64: &str) -> Vec<u8> {
    let headers = format!(
        "Content-Type: application/octet-stream\r\nContent-Disposition: attachment; \
         filename=\"{filename}\"\r\nContent-Transfer-Encoding: base64"
    );
    message(&[(&headers, body_b64)])
}

/// One base64 attachment whose name is given RFC 2231-encoded (every byte but letters and
/// digits percent-encoded), so any character, controls included, reaches the parser intact.
fn named_2231(filename: &str) -> Vec<u8> {
    let mut enc = String::new();
    for b in filename.bytes() {
        if b.is_ascii_alphanumeric() {
            enc.push(b as char);
        } else {
            enc.push_str(&format!("%{b:02X}"));
        }
    }
    let headers = format!(
        "Content-Type: application/octet-stream\r\nContent-Disposition: attachment;\r\n \
         filename*=utf-8''{enc}\r\nContent-Transfer-Encoding: base64"
    );
    message(&[(&headers, HELLO_B64)])
}

/// "hello\n"
const HELLO_B64: &str = "aGVsbG8K";

fn files_in(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

// ------------------------------------------------------------------------------------ list

#[test]
fn lists_names_types_sizes_in_order() {
    let raw = message(&[
        (
            "Content-Type: text/csv; name=\"a.csv\"\r\nContent-Disposition: attachment; \
             filename=\"a.csv\"\r\nContent-Transfer-Encoding: base64",
            "YSxiCjEsMgo=",
        ),
        (
            // RFC 2231: charset and percent-encoding.
            "Content-Type: application/pdf\r\nContent-Disposition: attachment;\r\n \
             filename*=utf-8''na%C3%AFve%20r%C3%A9sum%C3%A9.pdf\r\nContent-Transfer-Encoding: base64",
            "JVBERi0xLjQK",
        ),
        (
            // RFC 2047 in a quoted name, as Outlook writes it.
            "Content-Type: application/vnd.ms-excel; name=\"=?UTF-8?B?w5xiZXJzaWNodC54bHM=?=\"\r\n\
             Content-Disposition: attachment\r\nContent-Transfer-Encoding: base64",
            HELLO_B64,
        ),
        (
            // No name at all.
            "Content-Type: application/octet-stream\r\nContent-Transfer-Encoding: base64",
            HELLO_B64,
        ),
        (
            "Content-Type: image/png\r\nContent-ID: <logo@x>\r\nContent-Disposition: inline\r\n\
             Content-Transfer-Encoding: base64",
            "iVBORw0KGgo=",
        ),
        (
            "Content-Type: message/rfc822",
            "From: x@y.test\r\nSubject: forwarded\r\n\r\ninner body\r\n",
        ),
    ]);
    let l = list(&raw);
    assert_eq!(l.len(), 6, "{l:#?}");
    for (i, a) in l.iter().enumerate() {
        assert_eq!(a.index, i);
    }
    assert_eq!(l[0].name.as_deref(), Some("a.csv"));
    assert_eq!(l[0].mime_type, "text/csv");
    assert_eq!(l[0].size, 8); // "a,b\n1,2\n"
    assert!(!l[0].inline);
    assert_eq!(l[1].name.as_deref(), Some("naïve résumé.pdf"));
    assert_eq!(l[1].mime_type, "application/pdf");
    assert_eq!(l[2].name.as_deref(), Some("Übersicht.xls"));
    assert_eq!(l[2].size, 6);
    assert_eq!(l[3].name, None);
    assert_eq!(file_name_for(&l[3]), "attachment-4");
    assert_eq!(l[4].mime_type, "image/png");
    assert!(l[4].inline);
    assert_eq!(l[5].mime_type, "message/rfc822");
    assert_eq!(file_name_for(&l[5]), "attachment-6.eml");
}

#[test]
fn garbage_lists_nothing_and_never_panics() {
    let mut junk: Vec<u8> = (0..=255u8).cycle().take(50_000).collect();
    junk.extend_from_slice(b"\r\n\r\n");
    let many = {
        let mut v = String::from("Content-Type: multipart/mixed; boundary=b\r\n\r\n");
        for _ in 0..2000 {
            v.push_str("--b\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n");
        }
        v.into_bytes()
    };
    let cases: Vec<&[u8]> = vec![
        b"",
        b"\r\n\r\n",
        b"not a message",
        b"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n--\r\n",
        &junk,
        &many,
    ];
    for raw in cases {
        let l = list(raw);
        for a in &l {
            let name = file_name_for(a);
            assert!(!name.is_empty() && !name.contains('/'));
        }
    }
    assert!(list(b"From: a@b.test\r\nSubject: plain\r\n\r\njust text\r\n").is_empty());
}

// ------------------------------------------------------------------------------ safe names

/// What every safe name must be, whatever went in.
fn assert_plain(name: &str) {
    assert!(!name.is_empty());
    assert!(name != "." && name != "..");
    assert!(!name.contains(['/', '\\']), "{name:?}");
    assert!(!name.starts_with(['.', '-', ' ']), "{name:?}");
    assert!(!name.ends_with([' ', '.']), "{name:?}");
    assert!(
        !name.chars().any(|c| c.is_control()
            || matches!(c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2066..=0x2069 | 0x061C | 0xFEFF)),
        "{name:?}"
    );
    assert!(name.len() <= MAX_NAME_BYTES, "{} bytes", name.len());
    assert_eq!(
        Path::new(name).file_name().and_then(|n| n.to_str()),
        Some(name)
    );
}

#[test]
fn traversal_and_absolute_names_keep_only_the_base_name() {
    let cases = [
        ("../../.ssh/authorized_keys", "authorized_keys"),
        ("/etc/passwd", "passwd"),
        ("C:\\evil.exe", "evil.exe"),
        (
            "C:\\Users\\x\\..\\..\\Windows\\System32\\evil.dll",
            "evil.dll",
        ),
        ("..\\..\\boot.ini", "boot.ini"),
        ("a/b\\c/d.txt", "d.txt"),
        ("report.pdf", "report.pdf"),
        ("Q3 report (final).pdf", "Q3 report (final).pdf"),
        ("naïve résumé.pdf", "naïve résumé.pdf"),
        ("東京.txt", "東京.txt"),
        ("~", "~"),
        (".bashrc", "bashrc"),
        ("...hidden", "hidden"),
        ("-rf", "rf"),
        ("--help.txt", "help.txt"),
        ("-.-x", "x"),
        ("  padded.txt  ", "padded.txt"),
        ("trailing.dots...", "trailing.dots"),
        (".config/../.profile", "profile"),
    ];
    for (input, want) in cases {
        let got = safe_file_name(input, 0);
        assert_eq!(got, want, "{input:?}");
        assert_plain(&got);
    }
}

#[test]
fn names_with_nothing_usable_get_a_generated_name() {
    for input in [
        "",
        ".",
        "..",
        "...",
        " ",
        " . ",
        ". .",
        "/",
        "\\",
        "../",
        "..\\",
        "/..",
        "a/..",
        "a/.",
        "-",
        "--",
        "\u{202E}",
        "\u{200B}\u{FEFF}",
        "\u{1b}",
        "\n\r\t",
        "\0",
    ] {
        let got = safe_file_name(input, 2);
        assert_eq!(got, "attachment-3", "{input:?}");
        assert_plain(&got);
    }
    assert_eq!(safe_file_name("", 0), "attachment-1");
    assert_eq!(
        safe_file_name("..", usize::MAX),
        format!("attachment-{}", usize::MAX)
    );
}

#[test]
fn controls_become_visible_and_bidi_tricks_vanish() {
    // ESC sequences: the ESC is replaced, the rest is harmless text.
    assert_eq!(safe_file_name("\u{1b}[31mred.txt", 0), "_[31mred.txt");
    assert_eq!(
        safe_file_name("\u{1b}]0;title\u{7}.txt", 0),
        "_]0;title_.txt"
    );
    assert_eq!(safe_file_name("two\nlines.txt", 0), "two_lines.txt");
    assert_eq!(safe_file_name("cr\r.txt", 0), "cr_.txt");
    assert_eq!(safe_file_name("nul\0.txt", 0), "nul_.txt");
    assert_eq!(safe_file_name("del\u{7f}.txt", 0), "del_.txt");
    assert_eq!(safe_file_name("csi\u{9b}31m.txt", 0), "csi_31m.txt");
    assert_eq!(safe_file_name("ls\u{2028}ps\u{2029}.txt", 0), "ls_ps_.txt");
    // "invoice<U+202E>fdp.exe" shows as "invoiceexe.pdf": the override is removed, the truth shows.
    assert_eq!(
        safe_file_name("invoice\u{202E}fdp.exe", 0),
        "invoicefdp.exe"
    );
    assert_eq!(
        safe_file_name("a\u{2066}b\u{2069}\u{200F}\u{061C}\u{200B}c\u{FEFF}.pdf", 0),
        "abc.pdf"
    );
    for input in [
        "\u{1b}[2J\u{1b}[H.txt",
        "\u{202E}\u{202D}x.txt",
        "\u{9b}\u{9d}\u{90}.bin",
        "x\u{E0041}y.txt",
    ] {
        assert_plain(&safe_file_name(input, 0));
    }
}

#[test]
fn long_names_are_cut_keeping_the_extension() {
    let long = format!("{}.pdf", "a".repeat(10 * 1024));
    let got = safe_file_name(&long, 0);
    assert_plain(&got);
    assert!(got.ends_with(".pdf"), "{got}");
    assert_eq!(got.len(), MAX_NAME_BYTES);
    // Multi-byte characters are never split.
    let wide = format!("{}.txt", "東".repeat(5000));
    let got = safe_file_name(&wide, 0);
    assert_plain(&got);
    assert!(got.ends_with("東.txt"), "{got}");
    // An "extension" that is itself huge is not kept whole.
    let ext = format!("x.{}", "e".repeat(10_000));
    assert_plain(&safe_file_name(&ext, 0));
    // A long directory part costs nothing.
    let deep = format!("{}evil.sh", "../".repeat(100_000));
    assert_eq!(safe_file_name(&deep, 0), "evil.sh");
    // 10 MB of controls.
    let controls = "\u{1b}".repeat(10 * 1024 * 1024);
    assert_eq!(safe_file_name(&controls, 0), "attachment-1");
}

// ------------------------------------------------------------------------------------ save

#[test]
fn saves_decoded_contents_under_the_safe_name() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let raw = named("report.txt", HELLO_B64);
    let path = save(&raw, 0, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(path, dir.path().join("report.txt"));
    assert_eq!(fs::read(&path).ok().as_deref(), Some(&b"hello\n"[..]));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = fs::metadata(&path).map(|m| m.permissions().mode() & 0o777);
        assert_eq!(mode.ok(), Some(0o600));
    }
}

#[test]
fn clashes_are_numbered_and_nothing_is_overwritten() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    fs::write(dir.path().join("report.pdf"), b"precious").ok();
    let raw = named("report.pdf", HELLO_B64);
    let first = save(&raw, 0, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let second = save(&raw, 0, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(first, dir.path().join("report (1).pdf"));
    assert_eq!(second, dir.path().join("report (2).pdf"));
    assert_eq!(
        fs::read(dir.path().join("report.pdf")).ok().as_deref(),
        Some(&b"precious"[..])
    );
    // No extension; and a directory taking the name.
    fs::create_dir(dir.path().join("notes")).ok();
    let p = save(&named("notes", HELLO_B64), 0, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p, dir.path().join("notes (1)"));
    assert_eq!(
        files_in(dir.path()),
        [
            "notes",
            "notes (1)",
            "report (1).pdf",
            "report (2).pdf",
            "report.pdf"
        ]
    );
}

#[cfg(unix)]
#[test]
fn a_symlink_with_the_target_name_is_never_followed() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let outside = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let victim = outside.path().join("authorized_keys");
    fs::write(&victim, b"ssh-ed25519 AAAA original\n").ok();
    std::os::unix::fs::symlink(&victim, dir.path().join("authorized_keys")).ok();
    // And a dangling one, which O_CREAT alone would follow and create.
    let dangling = outside.path().join("created-through-link");
    std::os::unix::fs::symlink(&dangling, dir.path().join("x.txt")).ok();

    let p = save(
        &named("../../.ssh/authorized_keys", HELLO_B64),
        0,
        dir.path(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p, dir.path().join("authorized_keys (1)"));
    assert_eq!(
        fs::read(&victim).ok().as_deref(),
        Some(&b"ssh-ed25519 AAAA original\n"[..])
    );
    let p = save(&named("x.txt", HELLO_B64), 0, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(p, dir.path().join("x (1).txt"));
    assert!(!dangling.exists());
    assert_eq!(files_in(outside.path()), ["authorized_keys"]);
}

#[test]
fn hostile_names_land_inside_the_folder() {
    let base = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let dir = base.path().join("downloads");
    fs::create_dir(&dir).ok();
    let long = format!("{}.pdf", "n".repeat(10 * 1024));
    let names = [
        "../../.ssh/authorized_keys",
        "/etc/passwd",
        "..",
        ".",
        "",
        "C:\\evil.exe",
        "esc\u{1b}[2J.txt",
        "new\nline.txt",
        "invoice\u{202E}fdp.exe",
        long.as_str(),
        "..",
        "",
    ];
    for (i, n) in names.iter().enumerate() {
        let raw = named_2231(n);
        let listed = list(&raw);
        assert_eq!(listed.len(), 1);
        // The hostile name really reaches the namer, decoded.
        let want = (!n.is_empty()).then(|| n.to_string());
        assert_eq!(listed[0].name, want, "case {i}");
        let p = save(&raw, 0, &dir).unwrap_or_else(|e| panic!("{n:?}: {e}"));
        assert_eq!(p.parent(), Some(dir.as_path()), "{n:?} → {p:?}");
        let file = p.file_name().and_then(|f| f.to_str()).unwrap_or_default();
        assert_plain(file);
        assert_eq!(
            fs::read(&p).ok().as_deref(),
            Some(&b"hello\n"[..]),
            "case {i}"
        );
    }
    assert_eq!(files_in(base.path()), ["downloads"]);
    let saved = files_in(&dir);
    assert_eq!(saved.len(), names.len(), "{saved:?}");
    for expected in [
        "authorized_keys",
        "passwd",
        "evil.exe",
        "invoicefdp.exe",
        "attachment-1",
        "attachment-1 (1)",
        "esc_[2J.txt",
        "new_line.txt",
    ] {
        assert!(
            saved.iter().any(|s| s == expected),
            "{expected} not in {saved:?}"
        );
    }
}

#[test]
fn errors_are_reported_not_panicked() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let raw = named("a.txt", HELLO_B64);
    assert!(matches!(
        save(&raw, 1, dir.path()),
        Err(AttachmentError::NoSuchAttachment(1))
    ));
    assert!(matches!(
        save(&raw, usize::MAX, dir.path()),
        Err(AttachmentError::NoSuchAttachment(_))
    ));
    assert!(matches!(
        save(b"From: a@b.test\r\n\r\nno parts", 0, dir.path()),
        Err(AttachmentError::NoSuchAttachment(0))
    ));
    let missing = dir.path().join("does-not-exist");
    assert!(matches!(
        save(&raw, 0, &missing),
        Err(AttachmentError::Io { .. })
    ));
    assert!(!missing.exists());
    assert!(files_in(dir.path()).is_empty());
}

#[test]
fn a_nameless_part_is_saved_with_a_generated_name_and_extension() {
    let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("tempdir: {e}"));
    let raw = message(&[
        (
            "Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64",
            "JVBERi0xLjQK",
        ),
        (
            "Content-Type: message/rfc822",
            "From: x@y.test\r\nSubject: fwd\r\n\r\nbody\r\n",
        ),
    ]);
    let a = save(&raw, 0, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    let b = save(&raw, 1, dir.path()).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a, dir.path().join("attachment-1.pdf"));
    assert_eq!(b, dir.path().join("attachment-2.eml"));
    assert_eq!(fs::read(&a).ok().as_deref(), Some(&b"%PDF-1.4\n"[..]));
    let eml = fs::read(&b).unwrap_or_default();
    assert!(
        eml.starts_with(b"From: x@y.test"),
        "{:?}",
        String::from_utf8_lossy(&eml)
    );
}
