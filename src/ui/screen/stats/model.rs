//! The stats screen (`S`): response times per mailbox and per agent, as text bars and
//! sparklines that read at a glance over SSH, in 16 colours and without colour. The numbers
//! come from `insight` (the same engine as `mailroom stats`), computed on a thread of their
//! own; this module only holds the screen's state and turns a report into lines.

use crate::insight::stats::{AgentStats, MailboxStats, Report, WeekHours, human_duration};
use crate::sanitize::single_line;

const DAY: i64 = 86_400;

/// How far back the screen looks (`w` cycles).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Window {
    Week,
    #[default]
    Month,
    All,
}

impl Window {
    pub fn label(self) -> &'static str {
        match self {
            Window::Week => "last 7 days",
            Window::Month => "last 30 days",
            Window::All => "all time",
        }
    }

    /// The start of the window (Unix seconds), `None` for all time.
    pub fn since(self, now: i64) -> Option<i64> {
        match self {
            Window::Week => Some(now - 7 * DAY),
            Window::Month => Some(now - 30 * DAY),
            Window::All => None,
        }
    }

    pub fn next(self) -> Window {
        match self {
            Window::Week => Window::Month,
            Window::Month => Window::All,
            Window::All => Window::Week,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum State {
    Loading,
    Ready(Box<Report>),
    /// Why not (sanitized).
    Failed(String),
}

/// The open stats screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsScreen {
    /// Names the computation on its way; an older answer is dropped.
    pub id: u64,
    pub window: Window,
    /// 0: every mailbox; n: the nth mailbox of the report.
    pub mailbox: usize,
    pub state: State,
    pub scroll: usize,
}

impl StatsScreen {
    pub fn new(id: u64, window: Window) -> StatsScreen {
        StatsScreen {
            id,
            window,
            mailbox: 0,
            state: State::Loading,
            scroll: 0,
        }
    }

    /// Tab / `l`: the next mailbox (after the last, every mailbox again); `back` goes the
    /// other way.
    pub fn cycle_mailbox(&mut self, back: bool) {
        let n = match &self.state {
            State::Ready(r) => r.mailboxes.len() + 1,
            _ => 1,
        };
        self.mailbox = if back {
            (self.mailbox + n - 1) % n
        } else {
            (self.mailbox + 1) % n
        };
        self.scroll = 0;
    }

    /// `j`: one line further down, no further than the last line of the report fits on a
    /// screen of `width` × `height` cells.
    pub fn scroll_down(&mut self, width: usize, height: usize) {
        let max = max_scroll(lines(self, width).len(), height);
        self.scroll = (self.scroll + 1).min(max);
    }
}

/// How far `lines` lines scroll in `height` rows: the title (the first line) stays and the
/// last row is the key hint, so `height - 2` rows show the rest.
pub fn max_scroll(lines: usize, height: usize) -> usize {
    lines.saturating_sub(height.saturating_sub(1).max(1))
}

/// What a line of the screen is, so the drawing code can style it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Title,
    Heading,
    Text,
    /// A text line whose cells from `start` (in chars) for `len` chars are a bar.
    Bar {
        start: usize,
        len: usize,
    },
    Warning,
}

/// One line of the screen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatsLine {
    pub text: String,
    pub kind: Kind,
}

fn line(kind: Kind, text: impl Into<String>) -> StatsLine {
    StatsLine {
        text: text.into(),
        kind,
    }
}

const EIGHTHS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];
const SPARKS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const WEEKDAYS: [&str; 7] = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"];

/// A horizontal bar of `value` out of `max` in `width` cells, in eighths of a cell; a value
/// above zero always shows at least a sliver.
pub fn bar(value: u64, max: u64, width: usize) -> String {
    if max == 0 || width == 0 || value == 0 {
        return String::new();
    }
    let eighths = (value.min(max) * width as u64 * 8).div_ceil(max).max(1) as usize;
    let mut s = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        s.push(EIGHTHS[eighths % 8 - 1]);
    }
    s
}

/// One character a value, scaled to the largest (`▁` for zero too: the axis stays visible).
pub fn sparkline(values: &[u32]) -> String {
    let max = values.iter().copied().max().unwrap_or(0);
    values
        .iter()
        .map(|&v| {
            if max == 0 {
                SPARKS[0]
            } else {
                SPARKS[((u64::from(v) * 7).div_ceil(u64::from(max))) as usize]
            }
        })
        .collect()
}

fn duration(secs: Option<i64>) -> String {
    secs.map_or_else(|| "—".to_string(), human_duration)
}

fn pad(s: &str, w: usize) -> String {
    let mut out: String = s.chars().take(w).collect();
    let n = out.chars().count();
    out.extend(std::iter::repeat_n(' ', w - n));
    out
}

/// The lines of the screen for `report` (what is selected: every mailbox, or one) in
/// `width` cells.
pub fn lines(screen: &StatsScreen, width: usize) -> Vec<StatsLine> {
    let report = match &screen.state {
        State::Loading => {
            return vec![
                title(screen, None, width),
                line(Kind::Text, ""),
                line(
                    Kind::Text,
                    " computing… (every mailbox and its Sent folder are read)",
                ),
            ];
        }
        State::Failed(e) => {
            return vec![
                title(screen, None, width),
                line(Kind::Text, ""),
                line(Kind::Warning, format!(" stats could not be computed: {e}")),
            ];
        }
        State::Ready(r) => r,
    };
    let one = screen
        .mailbox
        .checked_sub(1)
        .and_then(|i| report.mailboxes.get(i));
    let mut out = vec![title(screen, Some(report), width)];
    out.push(line(Kind::Text, ""));
    out.extend(mailbox_lines(report, one, width));
    let agents: &[AgentStats] = one.map_or(&report.agents, |m| &m.agents);
    out.push(line(Kind::Text, ""));
    out.extend(agent_lines(agents, width));
    let hours = match one {
        Some(m) => m.by_weekday_hour.clone(),
        None => {
            let mut all = WeekHours::default();
            for m in &report.mailboxes {
                for (d, row) in m.by_weekday_hour.0.iter().enumerate() {
                    for (h, n) in row.iter().enumerate() {
                        all.0[d][h] += n;
                    }
                }
            }
            all
        }
    };
    out.push(line(Kind::Text, ""));
    out.extend(when_lines(&hours, &report.timezone_offset, width));
    let waiting: Vec<&MailboxStats> = match one {
        Some(m) => vec![m],
        None => report.mailboxes.iter().collect(),
    };
    let oldest: Vec<StatsLine> = waiting
        .iter()
        .filter_map(|m| {
            m.oldest_unanswered.as_ref().map(|w| {
                line(
                    Kind::Text,
                    format!(
                        " {}  waiting {}  UID {}  {} — {}",
                        pad(&single_line(&m.account), 10),
                        human_duration(w.age_seconds),
                        w.uid,
                        single_line(&w.from),
                        single_line(&w.subject)
                    ),
                )
            })
        })
        .collect();
    if !oldest.is_empty() {
        out.push(line(Kind::Text, ""));
        out.push(line(Kind::Heading, " Oldest unanswered"));
        out.extend(oldest);
    }
    if !report.warnings.is_empty() {
        out.push(line(Kind::Text, ""));
        for w in &report.warnings {
            out.push(line(Kind::Warning, format!(" ! {}", single_line(w))));
        }
    }
    out
}

fn title(screen: &StatsScreen, report: Option<&Report>, width: usize) -> StatsLine {
    let which = match (screen.mailbox, report) {
        (0, _) | (_, None) => "every mailbox".to_string(),
        (i, Some(r)) => r
            .mailboxes
            .get(i - 1)
            .map_or_else(|| "every mailbox".to_string(), |m| single_line(&m.account)),
    };
    let hours = report
        .and_then(|r| r.business_hours.as_deref())
        .map(|b| format!(" · business hours {}", single_line(b)))
        .unwrap_or_default();
    let text = format!(" Stats · {which} · {}{hours}", screen.window.label());
    line(Kind::Title, pad(&text, width))
}

fn mailbox_lines(report: &Report, one: Option<&MailboxStats>, width: usize) -> Vec<StatsLine> {
    let shown: Vec<&MailboxStats> = match one {
        Some(m) => vec![m],
        None => report.mailboxes.iter().collect(),
    };
    let mut out = vec![line(
        Kind::Heading,
        " Mailbox      received answered  unanswered   median    p90      opened",
    )];
    let max = shown.iter().map(|m| m.received).max().unwrap_or(0) as u64;
    let bar_w = width.saturating_sub(74).clamp(0, 30);
    for m in shown {
        let text = format!(
            " {} {:>8} {:>8}  {:>10}   {:>7}  {:>7}  {:>6}  ",
            pad(&single_line(&m.account), 12),
            m.received,
            m.answered,
            m.unanswered,
            duration(m.first_response.median_seconds),
            duration(m.first_response.p90_seconds),
            m.opened
        );
        let b = bar(m.answered as u64, max, bar_w);
        let u = bar(m.received as u64, max, bar_w)
            .chars()
            .count()
            .saturating_sub(b.chars().count());
        // Answered as a bar, the unanswered rest of the received as dots after it.
        out.push(bar_line(text, &b, &"·".repeat(u)));
    }
    out
}

fn agent_lines(agents: &[AgentStats], width: usize) -> Vec<StatsLine> {
    let mut out = vec![line(
        Kind::Heading,
        " Agent        first responses   median    p90      sent",
    )];
    if agents.is_empty() {
        out.push(line(Kind::Text, " (no responses in this window)"));
        return out;
    }
    let max = agents.iter().map(|a| a.answered).max().unwrap_or(0) as u64;
    let bar_w = width.saturating_sub(58).clamp(0, 40);
    for a in agents {
        let text = format!(
            " {} {:>15}   {:>7}  {:>7}  {:>6}  ",
            pad(&single_line(&a.agent), 12),
            a.answered,
            duration(a.first_response.median_seconds),
            duration(a.first_response.p90_seconds),
            a.sent
        );
        out.push(bar_line(text, &bar(a.answered as u64, max, bar_w), ""));
    }
    out
}

/// `text`, then `bar` (styled as one), then `tail`.
fn bar_line(text: String, bar: &str, tail: &str) -> StatsLine {
    line(
        Kind::Bar {
            start: text.chars().count(),
            len: bar.chars().count(),
        },
        format!("{text}{bar}{tail}"),
    )
}

fn when_lines(hours: &WeekHours, offset: &str, width: usize) -> Vec<StatsLine> {
    let per_hour = hours.per_hour();
    let per_day = hours.per_weekday();
    let mut out = vec![line(
        Kind::Heading,
        format!(" Customer messages by hour (UTC{offset})"),
    )];
    // Two cells an hour when there is room: easier to read than one.
    let wide = width >= 2 * 24 + 8;
    let spark: String = sparkline(&per_hour)
        .chars()
        .flat_map(|c| std::iter::repeat_n(c, if wide { 2 } else { 1 }))
        .collect();
    let len = spark.chars().count();
    out.push(line(Kind::Bar { start: 1, len }, format!(" {spark}")));
    let axis = if wide {
        " 0           6           12          18         23"
    } else {
        " 0     6     12    18   23"
    };
    out.push(line(Kind::Text, axis));
    out.push(line(Kind::Text, ""));
    out.push(line(Kind::Heading, " By weekday"));
    let max = u64::from(per_day.iter().copied().max().unwrap_or(0));
    let bar_w = width.saturating_sub(14).clamp(0, 40);
    for (d, n) in per_day.iter().enumerate() {
        let text = format!(" {} {:>5} ", WEEKDAYS[d], n);
        out.push(bar_line(text, &bar(u64::from(*n), max, bar_w), ""));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_in_eighths_and_never_vanish() {
        assert_eq!(bar(0, 10, 10), "");
        assert_eq!(bar(10, 10, 4), "████");
        assert_eq!(bar(5, 10, 4), "██");
        assert_eq!(bar(1, 1000, 4), "▏");
        assert_eq!(bar(3, 8, 1), "▍");
        assert_eq!(bar(20, 10, 2), "██", "capped at the width");
    }

    #[test]
    fn sparklines_scale_to_the_largest() {
        assert_eq!(sparkline(&[0, 0]), "▁▁");
        assert_eq!(sparkline(&[0, 1, 2, 7]), "▁▂▃█");
    }

    #[test]
    fn windows_cycle() {
        assert_eq!(Window::Week.next().next().next(), Window::Week);
        assert_eq!(Window::Week.since(8 * DAY), Some(DAY));
        assert_eq!(Window::All.since(5), None);
    }
}
