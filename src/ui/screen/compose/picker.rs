//! The compose pane's template picker (`Ctrl-g`, `[keys.compose] templates`): the team
//! policy's reply templates and the agent's own (`[template.NAME]`), filtered as you type
//! (the letters in order, not necessarily together: best match first), `Up`/`Down` or
//! `Ctrl-j`/`Ctrl-k` move, `Enter` inserts the rendered text at the cursor (and sets the
//! subject when the template has one), `Esc` closes.
//!
//! No I/O: the team's templates come from the policy the engine delivered to the App
//! ([`team_policy`]); rendering is `policy::templates`.

use std::sync::Arc;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph};

use crate::engine::Request;
use crate::mail::display::fit;
use crate::policy::team::InForce;
use crate::policy::templates::{self, Available, Origin};
use crate::sanitize;
use crate::ui::app::App;
use crate::ui::draw::{pane_style, st};
use crate::ui::widget;

use super::model::{Field, Line as EditLine};

/// The team policy in force for `account`, as the engine delivered it to the App
/// (`engine::Event::Policy`, `App::team_policy`).
pub(crate) fn team_policy(app: &App, account: &str) -> Option<Arc<InForce>> {
    app.team_policy(account).cloned()
}

/// The open picker.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Picker {
    /// What was typed: the filter.
    pub query: String,
    /// Index into [`Picker::matches`].
    pub selected: usize,
    /// Every usable template (a personal one a team template replaces is left out).
    pub templates: Vec<Available>,
}

/// How well `query` matches `name` as a subsequence (case-insensitive): `None` when it does
/// not; higher is better — letters together, and early, count most.
pub fn score(query: &str, name: &str) -> Option<i64> {
    let name: Vec<char> = name.chars().flat_map(char::to_lowercase).collect();
    let mut at = 0;
    let mut total: i64 = 0;
    let mut last: Option<usize> = None;
    for q in query.chars().flat_map(char::to_lowercase) {
        let found = name[at..].iter().position(|&c| c == q)? + at;
        total += match last {
            Some(l) if found == l + 1 => 8,
            _ if found == 0 => 6,
            _ => 1,
        };
        total -= i64::try_from(found - at).unwrap_or(i64::MAX / 4).min(8) / 2;
        last = Some(found);
        at = found + 1;
    }
    Some(total * 64 - i64::try_from(name.len()).unwrap_or(64).min(63))
}

impl Picker {
    pub fn new(templates: Vec<Available>) -> Picker {
        Picker {
            query: String::new(),
            selected: 0,
            templates: templates.into_iter().filter(|t| !t.shadowed).collect(),
        }
    }

    /// The templates the filter keeps, best match first (the list's order among equals).
    pub fn matches(&self) -> Vec<&Available> {
        let mut scored: Vec<(i64, usize, &Available)> = self
            .templates
            .iter()
            .enumerate()
            .filter_map(|(i, t)| score(&self.query, &t.name).map(|s| (s, i, t)))
            .collect();
        scored.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.into_iter().map(|(_, _, t)| t).collect()
    }

    /// Pasted text joins the filter (its printable characters, up to the filter's length).
    pub fn paste(&mut self, text: &str) {
        let room = 64usize.saturating_sub(self.query.chars().count());
        self.query
            .extend(text.chars().filter(|c| !c.is_control()).take(room));
        self.selected = 0;
    }

    fn clamp(&mut self) {
        self.selected = self.selected.min(self.matches().len().saturating_sub(1));
    }
}

/// `Ctrl-g`: opens the picker over the account's templates, or says there are none.
pub(crate) fn open(app: &mut App) {
    let Some(c) = &app.compose else { return };
    let team = team_policy(app, &c.account);
    let personal = app
        .config
        .as_ref()
        .map(|cfg| cfg.templates.clone())
        .unwrap_or_default();
    let list = templates::available(team.as_ref().map(|f| &f.policy), &personal);
    if list.is_empty() {
        app.say(
            "no reply templates: the team policy has none, and no [template.NAME] is configured",
        );
        return;
    }
    if let Some(c) = &mut app.compose {
        c.picker = Some(Picker::new(list));
    }
    app.say("templates: type to filter, Up/Down move, Enter inserts, Esc closes");
}

/// Keys while the picker is open.
pub(crate) fn key(app: &mut App, k: &KeyEvent) -> Vec<Request> {
    let Some(p) = app.compose.as_mut().and_then(|c| c.picker.as_mut()) else {
        return Vec::new();
    };
    let ctrl = k.modifiers.contains(KeyModifiers::CONTROL);
    let plain = (k.modifiers - KeyModifiers::SHIFT).is_empty();
    match k.code {
        KeyCode::Esc => {
            if let Some(c) = &mut app.compose {
                c.picker = None;
            }
        }
        KeyCode::Enter => {
            let chosen = p.matches().get(p.selected).map(|t| (*t).clone());
            if let Some(c) = &mut app.compose {
                c.picker = None;
            }
            if let Some(t) = chosen {
                insert(app, &t);
            }
        }
        KeyCode::Down | KeyCode::Tab => p.selected += 1,
        KeyCode::Char('j' | 'n') if ctrl => p.selected += 1,
        KeyCode::Up | KeyCode::BackTab => p.selected = p.selected.saturating_sub(1),
        KeyCode::Char('k' | 'p') if ctrl => p.selected = p.selected.saturating_sub(1),
        KeyCode::Backspace => {
            p.query.pop();
            p.selected = 0;
        }
        KeyCode::Char(ch) if plain && !ch.is_control() && p.query.chars().count() < 64 => {
            p.query.push(ch);
            p.selected = 0;
        }
        _ => {}
    }
    if let Some(p) = app.compose.as_mut().and_then(|c| c.picker.as_mut()) {
        p.clamp();
    }
    Vec::new()
}

/// Renders `t` for the pane's message and inserts it at the body's cursor.
fn insert(app: &mut App, t: &Available) {
    let Some(config) = app.config.clone() else {
        return;
    };
    let team = app
        .compose
        .as_ref()
        .and_then(|c| team_policy(app, &c.account));
    let Some(c) = &mut app.compose else { return };
    let Some(account) = config.accounts.iter().find(|a| a.name == c.account) else {
        return;
    };
    // A team template's files: parts of the policy message, attached with the text.
    let parts = team
        .as_ref()
        .map(|f| f.attachments.as_slice())
        .unwrap_or_default();
    let files = match templates::attachments(t, parts) {
        Ok(files) => files,
        Err(e) => {
            app.fail(e.to_string());
            return;
        }
    };
    match crate::engine::templates::render_for(&config, account, &c.plan, t) {
        Ok(r) => {
            c.body.insert(&r.body);
            if let Some(s) = &r.subject {
                c.subject = EditLine::new(s);
            }
            c.field = Field::Body;
            c.unsaved = true;
            c.template = Some(t.name.clone());
            for f in files {
                if !c.template_files.contains(&f.file_name) {
                    c.template_files.push(f.file_name.clone());
                    c.forwarded.push(f);
                }
            }
            let name = sanitize::single_line(&t.name);
            app.say(format!("template {name} inserted"));
        }
        Err(e) => app.fail(format!("template {}: {e}", sanitize::single_line(&t.name))),
    }
}

/// The picker over the compose pane.
pub(crate) fn draw(app: &App, p: &Picker, frame: &mut Frame, area: Rect) {
    let width = area.width.saturating_sub(8).min(72);
    let matches = p.matches();
    let rows = u16::try_from(matches.len().max(1)).unwrap_or(u16::MAX);
    let height = (rows + 3).min(area.height.saturating_sub(4));
    if width < 20 || height < 4 {
        return;
    }
    let rect = Rect {
        x: area.x + (area.width - width) / 2,
        y: area.y + 3,
        width,
        height,
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Thick)
        .border_style(st(app, "border_focused"))
        .title(Line::from(" reply templates "))
        .title_bottom(Line::from(" Enter insert · Esc close · ↑/↓ move "));
    let base = pane_style(app);
    let inner = widget::popup(frame, rect, block, base);
    let w = usize::from(inner.width);
    let mut lines = vec![Line::from(vec![
        Span::styled("filter: ", st(app, "reader_header")),
        Span::styled(
            fit(&sanitize::single_line(&p.query), w.saturating_sub(8)),
            base,
        ),
    ])];
    if matches.is_empty() {
        lines.push(Line::styled(
            fit(
                &format!(
                    "no template matches \"{}\"",
                    sanitize::single_line(&p.query)
                ),
                w,
            ),
            st(app, "row_age"),
        ));
    }
    let name_w = matches
        .iter()
        .map(|t| t.name.chars().count())
        .max()
        .unwrap_or(0)
        .min(24);
    let visible = usize::from(inner.height).saturating_sub(1);
    let skip = (p.selected + 1).saturating_sub(visible);
    for (i, t) in matches.iter().enumerate().skip(skip).take(visible) {
        let origin = match t.origin {
            Origin::Team => "team",
            Origin::Personal => "mine",
        };
        let mark = if i == p.selected { '›' } else { ' ' };
        let text = format!(
            "{mark} {} {:<4} {}",
            fit(&sanitize::single_line(&t.name), name_w),
            origin,
            sanitize::single_line(t.first_line())
        );
        let style = if i == p.selected {
            st(app, "row_selected").add_modifier(Modifier::BOLD)
        } else {
            base
        };
        lines.push(Line::styled(fit(&text, w), style));
    }
    frame.render_widget(Paragraph::new(lines).style(base), inner);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(name: &str) -> Available {
        Available {
            name: name.into(),
            origin: Origin::Personal,
            subject: None,
            body: String::new(),
            attachments: Vec::new(),
            shadowed: false,
        }
    }

    #[test]
    fn letters_in_order_match_and_together_rank_first() {
        assert!(score("rfd", "refund").is_some());
        assert!(score("dfr", "refund").is_none());
        assert!(score("", "refund").is_some());
        let p = Picker {
            query: "re".into(),
            selected: 0,
            templates: vec![t("outage-reply"), t("thanks"), t("refund"), t("r-e")],
        };
        let names: Vec<&str> = p.matches().iter().map(|t| t.name.as_str()).collect();
        assert_eq!(names, vec!["refund", "r-e", "outage-reply"]);
        let p = Picker {
            query: "REF".into(),
            ..p
        };
        assert_eq!(p.matches()[0].name, "refund");
    }

    #[test]
    fn a_paste_filters_without_controls_or_line_breaks() {
        let mut p = Picker::new(vec![t("refund")]);
        p.selected = 3;
        p.paste("re\nf\x1b");
        assert_eq!(p.query, "ref");
        assert_eq!(p.selected, 0);
        p.paste(&"x".repeat(100));
        assert_eq!(p.query.chars().count(), 64);
    }

    #[test]
    fn a_personal_template_the_team_replaces_is_not_offered() {
        let mut shadowed = t("refund");
        shadowed.shadowed = true;
        let p = Picker::new(vec![t("refund"), shadowed, t("thanks")]);
        assert_eq!(p.templates.len(), 2);
    }
}
