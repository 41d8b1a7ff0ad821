//! Tolerating a hostile LIST answer: untagged `LIST`/`LSUB` lines that do not parse are taken
//! out of the byte stream (and noted) before the imap crate sees them. `METADATA` lines too:
//! the crate's parser wants their mailbox name quoted, and Cyrus sends an atom (`check` reads
//! them from the noted lines).
//!
//! The crate ends a whole command at the first line it cannot parse (and files that under
//! BYE), losing every good entry after it and leaving the rest of the answer unread. Where a
//! caller can do with the good entries (`mailroom access`), it switches this filter on around
//! the LIST and reports what was skipped. Off, bytes pass through untouched.
//!
//! The same filter captures `* NAMESPACE` lines (RFC 2342), which the imap crate's parser does
//! not know at all (it would end the command there too): switched on around a NAMESPACE
//! command (`imap::tree::personal_prefix`), they are taken out of the stream and kept for the
//! caller to read. A NAMESPACE line carrying a literal passes through (and fails as before).

use std::collections::VecDeque;

/// A line longer than this is passed through unexamined (the read budget still bounds it).
const MAX_LINE: usize = 64 * 1024;
/// At most this many skipped lines are kept for the report.
const MAX_NOTED: usize = 20;

#[derive(Debug, Default)]
pub struct ListFilter {
    on: bool,
    /// The incomplete line being collected.
    line: Vec<u8>,
    /// Bytes ready for the reader.
    out: VecDeque<u8>,
    /// Bytes of a literal still to pass through as they are.
    literal: u64,
    /// The current line continues one that carried a literal: passed through unexamined.
    continued: bool,
    skipped: Vec<String>,
    /// Capturing `* NAMESPACE` lines.
    namespace: bool,
    namespaces: Vec<Vec<u8>>,
}

impl ListFilter {
    pub fn set(&mut self, on: bool) {
        self.on = on;
        self.release();
    }

    /// Switches the capture of `* NAMESPACE` lines on or off.
    pub fn set_namespace(&mut self, on: bool) {
        self.namespace = on;
        self.release();
    }

    /// The `* NAMESPACE` lines captured since the last call, as the server sent them.
    pub fn take_namespaces(&mut self) -> Vec<Vec<u8>> {
        std::mem::take(&mut self.namespaces)
    }

    fn examining(&self) -> bool {
        self.on || self.namespace
    }

    fn release(&mut self) {
        if !self.examining() {
            // What was held back for examination goes out as it is.
            self.out.extend(self.line.drain(..));
        }
    }

    /// Whether reads must go through [`ListFilter::feed`] / [`ListFilter::take`].
    pub fn active(&self) -> bool {
        self.examining() || !self.out.is_empty() || !self.line.is_empty()
    }

    /// The skipped lines noted since the last call (terminal-safe, one line each).
    pub fn take_skipped(&mut self) -> Vec<String> {
        std::mem::take(&mut self.skipped)
    }

    /// Takes bytes read from the server; `input` empty means the server closed the stream.
    pub fn feed(&mut self, input: &[u8]) {
        if !self.examining() || input.is_empty() {
            self.out.extend(self.line.drain(..));
            self.out.extend(input);
            return;
        }
        let mut rest = input;
        while !rest.is_empty() {
            if self.literal > 0 {
                let take = rest
                    .len()
                    .min(usize::try_from(self.literal).unwrap_or(usize::MAX));
                self.out.extend(&rest[..take]);
                self.literal -= take as u64;
                rest = &rest[take..];
                continue;
            }
            match rest.iter().position(|&b| b == b'\n') {
                Some(end) => {
                    self.line.extend_from_slice(&rest[..=end]);
                    rest = &rest[end + 1..];
                    self.line_done();
                }
                None => {
                    self.line.extend_from_slice(rest);
                    rest = &[];
                    if self.line.len() > MAX_LINE {
                        self.out.extend(self.line.drain(..));
                        self.continued = true;
                    }
                }
            }
        }
    }

    /// Copies ready bytes into `buf`; returns how many.
    pub fn take(&mut self, buf: &mut [u8]) -> usize {
        let n = buf.len().min(self.out.len());
        for (slot, b) in buf.iter_mut().zip(self.out.drain(..n)) {
            *slot = b;
        }
        n
    }

    fn line_done(&mut self) {
        let line = std::mem::take(&mut self.line);
        if let Some(n) = literal_length(&line) {
            self.literal = n;
            self.continued = true;
            self.out.extend(line);
            return;
        }
        if std::mem::take(&mut self.continued) {
            self.out.extend(line);
            return;
        }
        if self.namespace && starts_with(&line, b"* NAMESPACE ") {
            if self.namespaces.len() < MAX_NOTED {
                self.namespaces.push(line);
            }
            return;
        }
        if !self.on || !is_list_line(&line) {
            self.out.extend(line);
            return;
        }
        match imap_proto::parser::parse_response(&line) {
            Ok(([], _)) => self.out.extend(line),
            _ => {
                if self.skipped.len() < MAX_NOTED {
                    let text = String::from_utf8_lossy(&line);
                    let text = crate::sanitize::single_line(text.trim_end());
                    self.skipped.push(text.chars().take(200).collect());
                }
            }
        }
    }
}

fn is_list_line(line: &[u8]) -> bool {
    starts_with(line, b"* LIST ")
        || starts_with(line, b"* LSUB ")
        || starts_with(line, b"* METADATA ")
}

fn starts_with(line: &[u8], head: &[u8]) -> bool {
    line.get(..head.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(head))
}

/// `N` when the line ends with a literal announcement `{N}` or `{N+}`.
fn literal_length(line: &[u8]) -> Option<u64> {
    let line = line.strip_suffix(b"\n")?;
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let line = line.strip_suffix(b"}")?;
    let line = line.strip_suffix(b"+").unwrap_or(line);
    let open = line.iter().rposition(|&b| b == b'{')?;
    std::str::from_utf8(&line[open + 1..]).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(filter: &mut ListFilter, input: &[u8], chunk: usize) -> Vec<u8> {
        for part in input.chunks(chunk) {
            filter.feed(part);
        }
        let mut out = vec![0u8; input.len() + 1];
        let n = filter.take(&mut out);
        out.truncate(n);
        out
    }

    #[test]
    fn a_bad_list_line_is_dropped_and_noted_the_rest_passes() {
        let input: &[u8] = b"* LIST (\\HasNoChildren) \"/\" good1\r\n* LIST (\\Bad)) \"/\r\n* LIST () \"/\" {5}\r\nlit\r\n\r\n* 3 EXISTS\r\na2 OK done\r\n";
        for chunk in [1, 3, 1000] {
            let mut f = ListFilter::default();
            f.set(true);
            let out = run(&mut f, input, chunk);
            assert_eq!(
                out,
                b"* LIST (\\HasNoChildren) \"/\" good1\r\n* LIST () \"/\" {5}\r\nlit\r\n\r\n* 3 EXISTS\r\na2 OK done\r\n"
            );
            assert_eq!(f.take_skipped(), vec!["* LIST (\\Bad)) \"/".to_string()]);
        }
    }

    #[test]
    fn namespace_lines_are_captured_the_rest_passes() {
        let input: &[u8] = b"* NAMESPACE ((\"INBOX.\" \".\")) ((\"user.\" \".\")) ((\"\" \".\"))\r\n* 2 EXISTS\r\n* LIST ((( \r\na3 OK Completed\r\n";
        for chunk in [1, 5, 1000] {
            let mut f = ListFilter::default();
            f.set_namespace(true);
            assert!(f.active());
            let out = run(&mut f, input, chunk);
            // LIST lines are left alone: only the LIST filter drops them.
            assert_eq!(out, b"* 2 EXISTS\r\n* LIST ((( \r\na3 OK Completed\r\n");
            assert_eq!(
                f.take_namespaces(),
                vec![
                    b"* NAMESPACE ((\"INBOX.\" \".\")) ((\"user.\" \".\")) ((\"\" \".\"))\r\n"
                        .to_vec()
                ]
            );
            assert!(f.take_skipped().is_empty());
            f.set_namespace(false);
            assert!(!f.active());
        }
        // Off, a NAMESPACE line passes.
        let mut f = ListFilter::default();
        assert_eq!(
            run(&mut f, b"* NAMESPACE NIL NIL NIL\r\n", 3),
            b"* NAMESPACE NIL NIL NIL\r\n"
        );
        assert!(f.take_namespaces().is_empty());
    }

    #[test]
    fn a_cyrus_metadata_line_is_taken_out_and_noted_a_quoted_one_passes() {
        let input: &[u8] = b"* METADATA shared.support (\"/shared/vendor/cmu/cyrus-imapd/sharedseen\" \"true\")\r\n* METADATA \"a\" (\"/shared/comment\" NIL)\r\na3 OK Completed\r\n";
        let mut f = ListFilter::default();
        f.set(true);
        let out = run(&mut f, input, 7);
        assert_eq!(
            out,
            b"* METADATA \"a\" (\"/shared/comment\" NIL)\r\na3 OK Completed\r\n"
        );
        assert_eq!(
            f.take_skipped(),
            vec![
                "* METADATA shared.support (\"/shared/vendor/cmu/cyrus-imapd/sharedseen\" \"true\")"
                    .to_string()
            ]
        );
    }

    #[test]
    fn off_passes_everything() {
        let mut f = ListFilter::default();
        let input = b"* LIST ((( \r\n";
        assert!(!f.active());
        assert_eq!(run(&mut f, input, 2), input);
        // Switching off mid-line releases what was held back.
        f.set(true);
        f.feed(b"* LIST (");
        f.set(false);
        let mut buf = [0u8; 16];
        let n = f.take(&mut buf);
        assert_eq!(&buf[..n], b"* LIST (");
        assert!(!f.active());
    }
}
