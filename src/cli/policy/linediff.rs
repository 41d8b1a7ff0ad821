//! A line diff (pure): the longest common subsequence of two texts' lines, as kept, removed and
//! added lines. Common leading and trailing lines are matched first; what remains is compared
//! with an LCS table when it is small enough, else shown as wholly replaced.

use serde::Serialize;

/// The largest LCS table (cells) built; bigger middles are shown as removed then added.
const MAX_CELLS: usize = 4_000_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Op {
    Keep,
    Remove,
    Add,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub op: Op,
    pub text: String,
}

fn line(op: Op, text: &str) -> Line {
    Line {
        op,
        text: text.to_string(),
    }
}

/// The lines of `old` and `new` in order, each kept, removed (only in `old`) or added.
pub fn diff(old: &str, new: &str) -> Vec<Line> {
    let a: Vec<&str> = old.lines().collect();
    let b: Vec<&str> = new.lines().collect();
    let prefix = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let suffix = a[prefix..]
        .iter()
        .rev()
        .zip(b[prefix..].iter().rev())
        .take_while(|(x, y)| x == y)
        .count();
    let (ma, mb) = (&a[prefix..a.len() - suffix], &b[prefix..b.len() - suffix]);
    let mut out: Vec<Line> = a[..prefix].iter().map(|l| line(Op::Keep, l)).collect();
    if ma.len().saturating_mul(mb.len()) > MAX_CELLS {
        out.extend(ma.iter().map(|l| line(Op::Remove, l)));
        out.extend(mb.iter().map(|l| line(Op::Add, l)));
    } else {
        out.extend(lcs(ma, mb));
    }
    out.extend(a[a.len() - suffix..].iter().map(|l| line(Op::Keep, l)));
    out
}

fn lcs(a: &[&str], b: &[&str]) -> Vec<Line> {
    let (n, m) = (a.len(), b.len());
    // len[i][j]: the LCS length of a[i..] and b[j..].
    let mut len = vec![0u32; (n + 1) * (m + 1)];
    let at = |i: usize, j: usize| i * (m + 1) + j;
    for i in (0..n).rev() {
        for j in (0..m).rev() {
            len[at(i, j)] = if a[i] == b[j] {
                len[at(i + 1, j + 1)] + 1
            } else {
                len[at(i + 1, j)].max(len[at(i, j + 1)])
            };
        }
    }
    let (mut i, mut j) = (0, 0);
    let mut out = Vec::with_capacity(n + m);
    while i < n && j < m {
        if a[i] == b[j] {
            out.push(line(Op::Keep, a[i]));
            i += 1;
            j += 1;
        } else if len[at(i + 1, j)] >= len[at(i, j + 1)] {
            out.push(line(Op::Remove, a[i]));
            i += 1;
        } else {
            out.push(line(Op::Add, b[j]));
            j += 1;
        }
    }
    out.extend(a[i..].iter().map(|l| line(Op::Remove, l)));
    out.extend(b[j..].iter().map(|l| line(Op::Add, l)));
    out
}

/// Whether the two texts have the same lines.
pub fn same(lines: &[Line]) -> bool {
    lines.iter().all(|l| l.op == Op::Keep)
}

/// The diff as text: `  ` kept, `- ` removed, `+ ` added.
pub fn render(lines: &[Line]) -> String {
    let mut s = String::new();
    for l in lines {
        s.push_str(match l.op {
            Op::Keep => "  ",
            Op::Remove => "- ",
            Op::Add => "+ ",
        });
        s.push_str(&l.text);
        s.push('\n');
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changed_lines_are_removed_and_added_in_place() {
        let old = "version = 1\nadministrators = [\"alice\"]\n[send]\nas = [\"alice\"]\n";
        let new = "version = 2\nadministrators = [\"alice\"]\n[send]\nas = [\"alice\"]\non-behalf = [\"bob\"]\n";
        let d = diff(old, new);
        assert_eq!(
            render(&d),
            "- version = 1\n+ version = 2\n  administrators = [\"alice\"]\n  [send]\n  as = [\"alice\"]\n+ on-behalf = [\"bob\"]\n"
        );
        assert!(!same(&d));
    }

    #[test]
    fn identical_and_empty_texts() {
        assert!(same(&diff("a\nb\n", "a\nb")));
        assert_eq!(render(&diff("", "x\n")), "+ x\n");
        assert_eq!(render(&diff("x\n", "")), "- x\n");
        assert!(diff("", "").is_empty());
    }

    #[test]
    fn a_moved_block_keeps_the_longest_common_run() {
        let d = diff("a\nb\nc\nd\n", "c\nd\na\nb\n");
        let kept: Vec<&str> = d
            .iter()
            .filter(|l| l.op == Op::Keep)
            .map(|l| l.text.as_str())
            .collect();
        assert_eq!(kept.len(), 2);
        assert_eq!(d.len(), 6);
    }

    #[test]
    fn a_huge_middle_is_shown_replaced() {
        let old: String = (0..3000).map(|i| format!("o{i}\n")).collect();
        let new: String = (0..3000).map(|i| format!("n{i}\n")).collect();
        let d = diff(&old, &new);
        assert_eq!(d.len(), 6000);
        assert_eq!(d[0].op, Op::Remove);
        assert_eq!(d[5999].op, Op::Add);
    }
}
