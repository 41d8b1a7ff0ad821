//! Word wrapping by terminal cells, for the reader. Input is already sanitized (no tabs or
//! controls), so each char's width is its cell count.

use unicode_width::UnicodeWidthChar;

/// Splits `text` into lines of at most `width` cells, breaking after spaces where possible and
/// inside words only when a word is longer than a line. Never returns an empty vector.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for line in text.split('\n') {
        wrap_line(line, width, &mut out);
    }
    out
}

fn wrap_line(line: &str, width: usize, out: &mut Vec<String>) {
    let mut cur = String::new();
    let mut cur_w = 0;
    // Byte offset in `cur` just after the last space, and the width up to it.
    let mut brk: Option<(usize, usize)> = None;
    for c in line.chars() {
        let cw = c.width().unwrap_or(0);
        let mut broke = false;
        // A loop: after breaking at a space, the carried-over word plus `c` may still not fit.
        while cur_w + cw > width && !cur.is_empty() {
            match brk.take() {
                Some((at, at_w)) if at < cur.len() => {
                    let rest = cur.split_off(at);
                    out.push(cur.trim_end().to_string());
                    cur = rest;
                    cur_w -= at_w;
                }
                _ => {
                    out.push(std::mem::take(&mut cur).trim_end().to_string());
                    cur_w = 0;
                }
            }
            broke = true;
        }
        // A space that caused the break would only start the next line with a blank.
        if broke && c == ' ' && cur.is_empty() {
            continue;
        }
        cur.push(c);
        cur_w += cw;
        if c == ' ' {
            brk = Some((cur.len(), cur_w));
        }
    }
    out.push(cur);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_lines_are_kept() {
        assert_eq!(wrap("a b\n\nc", 10), vec!["a b", "", "c"]);
        assert_eq!(wrap("", 10), vec![""]);
    }

    #[test]
    fn breaks_at_spaces() {
        assert_eq!(
            wrap("the quick brown fox jumps", 10),
            vec!["the quick", "brown fox", "jumps"]
        );
    }

    #[test]
    fn long_words_are_cut() {
        assert_eq!(wrap("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
    }

    #[test]
    fn wide_characters_count_two_cells() {
        assert_eq!(wrap("東京都庁", 5), vec!["東京", "都庁"]);
    }

    #[test]
    fn lines_never_exceed_the_width() {
        use unicode_width::UnicodeWidthStr;
        let text = "a bb ccc dddd eeeee ffffff 東京 x  y   z".repeat(7);
        for w in 1..30 {
            for l in wrap(&text, w) {
                assert!(l.width() <= w.max(2), "{l:?} > {w}");
            }
        }
    }
}
