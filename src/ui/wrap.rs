//! Word wrapping by terminal cells, for the reader and the compose / note editor. The reader's
//! input is already sanitized (no tabs or controls); the editor's may hold tabs, shown as
//! `TAB_CELLS` spaces.

use unicode_width::UnicodeWidthChar;

/// Cells a tab takes in the editor (it is drawn as that many spaces).
pub const TAB_CELLS: usize = 4;

/// Cells `c` takes on screen: its East Asian width, a tab `TAB_CELLS`, controls none.
pub fn char_cells(c: char) -> usize {
    if c == '\t' {
        TAB_CELLS
    } else {
        c.width().unwrap_or(0)
    }
}

/// Cells `s` takes on screen (see `char_cells`).
pub fn cells(s: &str) -> usize {
    s.chars().map(char_cells).sum()
}

/// Splits `text` into lines of at most `width` cells, breaking after spaces where possible and
/// inside words only when a word is longer than a line. Never returns an empty vector.
pub fn wrap(text: &str, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut out = Vec::new();
    for line in text.split('\n') {
        let starts = row_starts(line, width);
        let last = starts.len() - 1;
        for (i, &start) in starts.iter().enumerate() {
            let end = starts.get(i + 1).copied().unwrap_or(line.len());
            let row = &line[start..end];
            if i < last {
                // The blanks a row was broken after are not shown.
                out.push(row.trim_end().to_string());
            } else {
                out.push(trim_overflow(row, width).to_string());
            }
        }
    }
    out
}

/// `row` without the trailing blanks that hang past `width` cells.
pub fn trim_overflow(row: &str, width: usize) -> &str {
    let mut row = row;
    while cells(row) > width && (row.ends_with(' ') || row.ends_with('\t')) {
        row = &row[..row.len() - 1];
    }
    row
}

/// Where each visual row of the one line `line` starts, as byte offsets into it (always on a
/// char boundary; the first is 0, so never empty). A row ends where the next one starts, the
/// last at the end of `line`.
///
/// A row breaks after the last blank (space or tab) that lets the next word fit in `width`
/// cells, and inside a word only when the word alone is wider than a row. Blanks never start a
/// row after a break: they stay at the end of the row before, even past `width` (they are not
/// drawn there), so every byte of `line` is in exactly one row and the cursor can reach it.
pub fn row_starts(line: &str, width: usize) -> Vec<usize> {
    let width = width.max(1);
    let mut starts = vec![0];
    let mut start = 0;
    // Cells of the current row, hanging blanks included.
    let mut w = 0;
    // Just after the row's last blank: the byte offset and the row's cells up to there.
    let mut brk: Option<(usize, usize)> = None;
    for (i, c) in line.char_indices() {
        let cw = char_cells(c);
        let blank = c == ' ' || c == '\t';
        if !blank && w + cw > width && i > start {
            match brk.take() {
                Some((at, at_w)) if at > start => {
                    starts.push(at);
                    start = at;
                    w -= at_w;
                }
                _ => {
                    starts.push(i);
                    start = i;
                    w = 0;
                }
            }
            // The word carried over may still leave no room for `c`.
            if w + cw > width && i > start {
                starts.push(i);
                start = i;
                w = 0;
            }
        }
        w += cw;
        if blank {
            brk = Some((i + c.len_utf8(), w));
        }
    }
    starts
}

/// The byte offset in `row` of the char boundary furthest right whose cell column is at most
/// `x` (a column inside a wide char gives the char's start). `row.len()` when `row` is
/// narrower than `x`.
pub fn offset_at_cells(row: &str, x: usize) -> usize {
    let mut w = 0;
    for (i, c) in row.char_indices() {
        let cw = char_cells(c);
        if w + cw > x {
            return i;
        }
        w += cw;
    }
    row.len()
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

    /// The rows of `line` at `width`, as text.
    fn rows(line: &str, width: usize) -> Vec<&str> {
        let starts = row_starts(line, width);
        let mut out = Vec::new();
        for (i, &s) in starts.iter().enumerate() {
            out.push(&line[s..starts.get(i + 1).copied().unwrap_or(line.len())]);
        }
        out
    }

    #[test]
    fn row_starts_break_after_the_last_space_that_fits() {
        assert_eq!(row_starts("the quick brown fox jumps", 10), vec![0, 10, 20]);
        assert_eq!(
            rows("the quick brown fox jumps", 10),
            vec!["the quick ", "brown fox ", "jumps"]
        );
        assert_eq!(row_starts("", 10), vec![0]);
        assert_eq!(row_starts("short", 10), vec![0]);
    }

    #[test]
    fn a_word_longer_than_the_row_is_cut_hard() {
        assert_eq!(rows("abcdefghij", 4), vec!["abcd", "efgh", "ij"]);
        assert_eq!(rows("ab abcdefghij", 4), vec!["ab ", "abcd", "efgh", "ij"]);
    }

    #[test]
    fn trailing_spaces_hang_and_never_start_a_row() {
        assert_eq!(rows("abc   ", 4), vec!["abc   "]);
        assert_eq!(rows("abcd    efg", 4), vec!["abcd    ", "efg"]);
        assert_eq!(trim_overflow("abcd    ", 4), "abcd");
        assert_eq!(trim_overflow("ab  ", 4), "ab  ");
        // The reader's lines lose them.
        assert_eq!(wrap("abcd    efg  ", 4), vec!["abcd", "efg "]);
    }

    #[test]
    fn wide_characters_and_tabs_in_rows() {
        // 東 is three bytes and two cells.
        assert_eq!(row_starts("東京都庁", 5), vec![0, 6]);
        assert_eq!(rows("a東京 都", 5), vec!["a東京 ", "都"]);
        assert_eq!(char_cells('\t'), TAB_CELLS);
        assert_eq!(rows("\tab", 5), vec!["\t", "ab"]);
        // A wide char wider than the row still makes progress.
        assert_eq!(rows("東京", 1), vec!["東", "京"]);
    }

    #[test]
    fn rows_cover_the_line_on_char_boundaries() {
        let line = "a bb ccc dddd eeeee ffffff 東京 x  y   z\tw ".repeat(5);
        for w in 1..40 {
            let starts = row_starts(&line, w);
            assert_eq!(starts[0], 0);
            assert!(starts.windows(2).all(|p| p[0] < p[1]), "{starts:?}");
            assert!(starts.iter().all(|&s| line.is_char_boundary(s)));
            for r in rows(&line, w) {
                assert!(cells(trim_overflow(r, w)) <= w.max(2), "{r:?} > {w}");
            }
            assert_eq!(rows(&line, w).concat(), line);
        }
    }

    #[test]
    fn offsets_by_cells() {
        let s = "a東b";
        assert_eq!(offset_at_cells(s, 0), 0);
        assert_eq!(offset_at_cells(s, 1), 1);
        // Inside the wide char: its start.
        assert_eq!(offset_at_cells(s, 2), 1);
        assert_eq!(offset_at_cells(s, 3), 4);
        assert_eq!(offset_at_cells(s, 10), 5);
        assert_eq!(offset_at_cells("", 3), 0);
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
