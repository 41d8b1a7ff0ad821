//! Themes on the screen: the pure theme specs of `config::theme` (the file format, colour
//! names, modifiers) turned into ratatui styles. With `NO_COLOR` set, colours are dropped and
//! only modifiers remain.

use std::collections::BTreeMap;
use std::path::Path;

use ratatui::style::{Color, Modifier, Style};

pub use crate::config::theme::{BUILTIN, ELEMENTS, ThemeError};
use crate::config::theme::{Colour, StyleSpec, ThemeSpec};

/// Resolved styles for every element.
#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<&'static str, Style>,
}

impl Theme {
    /// Finds a theme by built-in name or path (relative to the config file) and loads it.
    pub fn resolve(name: &str, config_path: &Path) -> Result<Theme, ThemeError> {
        ThemeSpec::resolve(name, config_path).map(Theme::from_spec)
    }

    /// Parses theme text over the built-in default.
    pub fn parse(text: &str, origin: &str) -> Result<Theme, ThemeError> {
        ThemeSpec::parse(text, origin).map(Theme::from_spec)
    }

    /// The terminal styles of a parsed theme.
    pub fn from_spec(spec: ThemeSpec) -> Theme {
        Theme {
            name: spec.name,
            styles: spec
                .styles
                .into_iter()
                .map(|(element, s)| (element, to_style(&s)))
                .collect(),
        }
    }

    /// The style of an element; with `no_color`, colours are dropped.
    pub fn style(&self, element: &str, no_color: bool) -> Style {
        let s = self.styles.get(element).copied().unwrap_or_default();
        if no_color {
            Style::default().add_modifier(s.add_modifier)
        } else {
            s
        }
    }
}

/// True when the user asked for no colour (https://no-color.org: set and non-empty).
pub fn no_color_requested() -> bool {
    std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty())
}

/// A theme's style spec as a ratatui style.
fn to_style(spec: &StyleSpec) -> Style {
    let mut s = Style::default();
    if let Some(c) = spec.fg {
        s = s.fg(to_color(c));
    }
    if let Some(c) = spec.bg {
        s = s.bg(to_color(c));
    }
    for (on, m) in [
        (spec.bold, Modifier::BOLD),
        (spec.dim, Modifier::DIM),
        (spec.italic, Modifier::ITALIC),
        (spec.underline, Modifier::UNDERLINED),
        (spec.reversed, Modifier::REVERSED),
    ] {
        if on {
            s = s.add_modifier(m);
        }
    }
    s
}

fn to_color(c: Colour) -> Color {
    match c {
        Colour::Reset => Color::Reset,
        Colour::Black => Color::Black,
        Colour::Red => Color::Red,
        Colour::Green => Color::Green,
        Colour::Yellow => Color::Yellow,
        Colour::Blue => Color::Blue,
        Colour::Magenta => Color::Magenta,
        Colour::Cyan => Color::Cyan,
        Colour::Gray => Color::Gray,
        Colour::DarkGray => Color::DarkGray,
        Colour::LightRed => Color::LightRed,
        Colour::LightGreen => Color::LightGreen,
        Colour::LightYellow => Color::LightYellow,
        Colour::LightBlue => Color::LightBlue,
        Colour::LightMagenta => Color::LightMagenta,
        Colour::LightCyan => Color::LightCyan,
        Colour::White => Color::White,
        Colour::Indexed(i) => Color::Indexed(i),
        Colour::Rgb(r, g, b) => Color::Rgb(r, g, b),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtin_themes_parse_and_style_every_element() {
        for (name, text) in BUILTIN {
            let t = Theme::parse(text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
            for e in ELEMENTS {
                assert!(t.styles.contains_key(e), "{name} lacks [style.{e}]");
            }
        }
    }

    #[test]
    fn ansi16_uses_only_16_colours() {
        let t = Theme::parse(BUILTIN[1].1, "ansi16").unwrap();
        for s in t.styles.values() {
            for c in [s.fg, s.bg].into_iter().flatten() {
                assert!(!matches!(c, Color::Rgb(..) | Color::Indexed(16..)), "{c:?}");
            }
        }
    }

    #[test]
    fn no_color_keeps_modifiers_only() {
        let t = Theme::parse("[style.row_unread]\nfg = \"red\"\nbold = true\n", "x").unwrap();
        let s = t.style("row_unread", true);
        assert_eq!(s.fg, None);
        assert!(s.add_modifier.contains(Modifier::BOLD));
    }

    #[test]
    fn specs_become_the_same_ratatui_styles() {
        let t = Theme::parse(
            "[style.row]\nfg = \"LightBlue\"\nbg = 236\nitalic = true\n[style.row_age]\nfg = \"#0a0b0c\"\nbg = \"default\"\nunderline = true\nreversed = true\n",
            "x",
        )
        .unwrap();
        assert_eq!(
            t.style("row", false),
            Style::default()
                .fg(Color::LightBlue)
                .bg(Color::Indexed(236))
                .add_modifier(Modifier::ITALIC)
        );
        assert_eq!(
            t.style("row_age", false),
            Style::default()
                .fg(Color::Rgb(10, 11, 12))
                .bg(Color::Reset)
                .add_modifier(Modifier::UNDERLINED | Modifier::REVERSED)
        );
    }

    #[test]
    fn unknown_elements_and_colours_are_errors() {
        assert!(Theme::parse("[style.nope]\nfg = \"red\"\n", "x").is_err());
        assert!(Theme::parse("[style.row]\nfg = \"chartreuse\"\n", "x").is_err());
    }
}
