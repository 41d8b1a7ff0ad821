//! Just enough MIME writing for realistic demo mail: RFC 2047 encoded words, quoted-
//! printable and base64 bodies, RFC 5322 dates, folded header lines, CRLF everywhere.

use crate::mail::encoding::base64_encode;

/// Quoted-printable (RFC 2045 §6.7) of UTF-8 text; lines end in CRLF, soft breaks at 76.
pub(crate) fn quoted_printable(text: &str) -> String {
    quoted_printable_bytes(text.as_bytes())
}

pub(crate) fn quoted_printable_bytes(data: &[u8]) -> String {
    let mut out = String::new();
    let text = data.strip_suffix(b"\n").unwrap_or(data);
    for line in text.split(|&b| b == b'\n') {
        let line = line.strip_suffix(b"\r").unwrap_or(line);
        let mut col = 0;
        for (i, &b) in line.iter().enumerate() {
            let last = i + 1 == line.len();
            let literal = (b.is_ascii_graphic() && b != b'=') || (b == b' ' && !last);
            let piece = if literal {
                char::from(b).to_string()
            } else {
                format!("={b:02X}")
            };
            if col + piece.len() > 75 {
                out.push_str("=\r\n");
                col = 0;
            }
            out.push_str(&piece);
            col += piece.len();
        }
        out.push_str("\r\n");
    }
    out
}

fn needs_encoding(word: &str) -> bool {
    word.contains("=?") || word.chars().any(|c| !(' '..='~').contains(&c))
}

/// UTF-8 text as `=?UTF-8?B?…?=` words of at most 39 bytes of text each, separated by
/// spaces (decoders drop whitespace between encoded words; folding may break there).
fn b_words(text: &str) -> String {
    let mut words = Vec::new();
    let mut chunk = String::new();
    for c in text.chars() {
        if chunk.len() + c.len_utf8() > 39 {
            words.push(format!("=?UTF-8?B?{}?=", base64_encode(chunk.as_bytes())));
            chunk.clear();
        }
        chunk.push(c);
    }
    if !chunk.is_empty() {
        words.push(format!("=?UTF-8?B?{}?=", base64_encode(chunk.as_bytes())));
    }
    words.join(" ")
}

/// Unstructured header text (Subject): ASCII words stay readable, runs of other words
/// become encoded words, the way mail clients write them.
pub(crate) fn unstructured(text: &str) -> String {
    if !needs_encoding(text) {
        return text.to_string();
    }
    let mut out: Vec<String> = Vec::new();
    let mut run: Vec<&str> = Vec::new();
    for word in text.split(' ') {
        if needs_encoding(word) {
            run.push(word);
            continue;
        }
        if !run.is_empty() {
            out.push(b_words(&run.join(" ")));
            run.clear();
        }
        out.push(word.to_string());
    }
    if !run.is_empty() {
        out.push(b_words(&run.join(" ")));
    }
    // A space between an encoded run and a plain word is significant; inside the run it
    // was encoded along with the words.
    out.join(" ")
}

/// Text as ISO-8859-1 Q-encoded words (an older mail client's style); `None` if the text
/// has characters Latin-1 lacks.
pub(crate) fn latin1_q(text: &str) -> Option<String> {
    let mut out = String::from("=?ISO-8859-1?Q?");
    for c in text.chars() {
        let v = u32::from(c);
        if v > 0xFF {
            return None;
        }
        match c {
            ' ' => out.push('_'),
            c if c.is_ascii_alphanumeric() || "!*+-/".contains(c) => out.push(c),
            _ => out.push_str(&format!("={v:02X}")),
        }
    }
    out.push_str("?=");
    Some(out)
}

pub(crate) fn latin1_bytes(text: &str) -> Vec<u8> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).unwrap_or(b'?'))
        .collect()
}

/// `Name <addr>` with the name quoted or encoded as needed.
pub(crate) fn mailbox(name: &str, email: &str) -> String {
    if name.is_empty() {
        return email.to_string();
    }
    if needs_encoding(name) {
        return format!("{} <{email}>", b_words(name));
    }
    if name.chars().any(|c| "()<>[]:;@\\,.\"".contains(c)) {
        let escaped = name.replace('\\', "\\\\").replace('"', "\\\"");
        return format!("\"{escaped}\" <{email}>");
    }
    format!("{name} <{email}>")
}

/// A header line folded at spaces to stay near 78 characters, ending in CRLF.
pub(crate) fn header(name: &str, value: &str) -> String {
    let mut out = format!("{name}:");
    let mut col = out.len();
    for (i, word) in value.split(' ').enumerate() {
        if i > 0 || !word.is_empty() {
            if col + 1 + word.len() > 78 && col > name.len() + 1 {
                out.push_str("\r\n");
                col = 0;
            }
            out.push(' ');
            out.push_str(word);
            col += 1 + word.len();
        }
    }
    out.push_str("\r\n");
    out
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian.
fn civil(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

/// `Tue, 14 May 2024 09:12:33 +0200` for `secs` seen from a zone `offset_min` east of UTC.
pub(crate) fn rfc5322_date(secs: i64, offset_min: i32) -> String {
    const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let local = secs + i64::from(offset_min) * 60;
    let days = local.div_euclid(86_400);
    let tod = local.rem_euclid(86_400);
    let (y, m, d) = civil(days);
    let sign = if offset_min < 0 { '-' } else { '+' };
    let off = offset_min.unsigned_abs();
    format!(
        "{}, {d} {} {y} {:02}:{:02}:{:02} {sign}{:02}{:02}",
        DAYS[days.rem_euclid(7) as usize],
        MONTHS[(m - 1) as usize],
        tod / 3600,
        tod % 3600 / 60,
        tod % 60,
        off / 60,
        off % 60
    )
}

/// `YYYYMMDDHHMM` in UTC, the form of `$snoozed.` keywords.
pub(crate) fn utc_minute(secs: i64) -> String {
    let (y, m, d) = civil(secs.div_euclid(86_400));
    let tod = secs.rem_euclid(86_400);
    format!("{y:04}{m:02}{d:02}{:02}{:02}", tod / 3600, tod % 3600 / 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encodings() {
        assert_eq!(unstructured("Re: hello"), "Re: hello");
        assert_eq!(
            unstructured("Grüße aus Köln"),
            "=?UTF-8?B?R3LDvMOfZQ==?= aus =?UTF-8?B?S8O2bG4=?="
        );
        assert_eq!(mailbox("Smith, John", "j@x"), "\"Smith, John\" <j@x>");
        assert_eq!(mailbox("", "j@x"), "j@x");
        assert_eq!(quoted_printable("a=b \nc\u{e9}"), "a=3Db=20\r\nc=C3=A9\r\n");
        assert_eq!(
            latin1_q("Problème").as_deref(),
            Some("=?ISO-8859-1?Q?Probl=E8me?=")
        );
        assert_eq!(
            rfc5322_date(1_715_670_753, 120),
            "Tue, 14 May 2024 09:12:33 +0200"
        );
        assert_eq!(rfc5322_date(0, -300), "Wed, 31 Dec 1969 19:00:00 -0500");
        assert_eq!(utc_minute(1_715_670_753), "202405140712");
        let long = quoted_printable(&"x".repeat(200));
        assert!(long.lines().all(|l| l.len() <= 76));
        let h = header(
            "References",
            &["<abcdefghijklmnop@example.test>"; 5].join(" "),
        );
        assert!(h.lines().all(|l| l.len() <= 78), "{h}");
    }
}
