//! Standard base64 (RFC 4648 §4), the one encoder for SASL responses and MIME bodies.
//!
//! IMAP mailbox names use a *modified* base64 (`,` for `/`, no padding): that lives in
//! `mail::utf7`.

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/// Base64 with `=` padding, on one line.
pub fn base64_encode(data: &[u8]) -> String {
    let mut out = String::with_capacity(data.len().div_ceil(3) * 4);
    for chunk in data.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// Base64 as a MIME body (RFC 2045 §6.8): lines of at most 76 characters, each ending in
/// CRLF, the last one included.
pub fn base64_encode_lines(data: &[u8]) -> String {
    const LINE: usize = 76;
    let encoded = base64_encode(data);
    let mut out = String::with_capacity(encoded.len() + 2 * encoded.len().div_ceil(LINE) + 2);
    // The encoding is ASCII, so byte chunks are whole characters.
    for line in encoded.as_bytes().chunks(LINE) {
        out.extend(line.iter().map(|&b| char::from(b)));
        out.push_str("\r\n");
    }
    if encoded.is_empty() {
        out.push_str("\r\n");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_rfc4648_vectors() {
        for (i, o) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_encode(i.as_bytes()), o);
        }
        assert_eq!(base64_encode(&[0xfb, 0xff, 0xbf]), "+/+/");
    }

    #[test]
    fn lines_are_76_characters_with_crlf() {
        let data: Vec<u8> = (0..=255u8).collect();
        let body = base64_encode_lines(&data);
        let lines: Vec<&str> = body.split("\r\n").collect();
        assert_eq!(lines.last(), Some(&""));
        assert!(lines[..lines.len() - 1].iter().all(|l| l.len() <= 76));
        assert_eq!(lines[0].len(), 76);
        assert_eq!(lines.concat(), base64_encode(&data));
        assert_eq!(base64_encode_lines(b"Man"), "TWFu\r\n");
    }
}
