//! Themes: TOML files that style every element of the screen.
//!
//! A theme is a table `[style]` of elements, each with `fg`, `bg` and modifiers. A theme only
//! overrides what it names; everything else comes from the built-in default. Colours are ANSI
//! names (`red`, `lightblue`, …, which 16-colour terminals honour), indexes 0–255, or
//! `#rrggbb`. With `NO_COLOR` set, colours are dropped and only modifiers remain.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

/// Built-in themes, shipped in `themes/` and compiled in so an installed binary has them.
pub const BUILTIN: [(&str, &str); 3] = [
    ("default", include_str!("../../themes/default.toml")),
    ("ansi16", include_str!("../../themes/ansi16.toml")),
    (
        "high-contrast",
        include_str!("../../themes/high-contrast.toml"),
    ),
];

/// Every element a theme can style.
pub const ELEMENTS: [&str; 22] = [
    "base",
    "border",
    "border_focused",
    "column_header",
    "column_header_focused",
    "row",
    "row_unread",
    "row_selected",
    "row_flagged",
    "row_age",
    "row_sender",
    "row_marks",
    "tab_active",
    "tab_inactive",
    "reader_header",
    "reader_body",
    "reader_quote",
    "reader_note",
    "status_line",
    "status_error",
    "command_line",
    "chart_bar",
];

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    style: BTreeMap<String, StyleSpec>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct StyleSpec {
    fg: Option<ColorSpec>,
    bg: Option<ColorSpec>,
    #[serde(default)]
    bold: bool,
    #[serde(default)]
    dim: bool,
    #[serde(default)]
    italic: bool,
    #[serde(default)]
    underline: bool,
    #[serde(default)]
    reversed: bool,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum ColorSpec {
    Index(u8),
    Name(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ThemeError {
    #[error(
        "theme {0:?} is neither a built-in theme (default, ansi16, high-contrast) nor a readable file"
    )]
    NotFound(String),
    #[error("theme {path}: {message}")]
    Invalid { path: String, message: String },
}

/// Resolved styles for every element.
#[derive(Debug, Clone)]
pub struct Theme {
    pub name: String,
    styles: BTreeMap<&'static str, Style>,
}

impl Theme {
    /// Finds a theme by built-in name or path (relative to the config file) and loads it.
    pub fn resolve(name: &str, config_path: &Path) -> Result<Theme, ThemeError> {
        if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name) {
            return Theme::parse(text, name);
        }
        let base = config_path.parent().unwrap_or(Path::new("."));
        let path: PathBuf = crate::config::resolve_path(base, Path::new(name));
        let text =
            std::fs::read_to_string(&path).map_err(|_| ThemeError::NotFound(name.to_string()))?;
        Theme::parse(&text, &path.display().to_string())
    }

    /// Parses theme text over the built-in default.
    pub fn parse(text: &str, origin: &str) -> Result<Theme, ThemeError> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| {
            let (line, col) = e
                .span()
                .map(|s| crate::config::line_column(text, s.start))
                .unwrap_or((0, 0));
            ThemeError::Invalid {
                path: origin.to_string(),
                message: format!("{line}:{col}: {}", e.message().trim()),
            }
        })?;
        let mut theme = if origin == "default" {
            Theme {
                name: "default".into(),
                styles: BTreeMap::new(),
            }
        } else {
            Theme::default_theme()
        };
        if let Some(n) = &file.name {
            theme.name = n.clone();
        } else {
            theme.name = origin.to_string();
        }
        for (element, spec) in &file.style {
            let Some(key) = ELEMENTS.iter().find(|e| *e == element) else {
                return Err(ThemeError::Invalid {
                    path: origin.to_string(),
                    message: format!(
                        "unknown element [style.{element}] (known: {})",
                        ELEMENTS.join(", ")
                    ),
                });
            };
            let style = spec.to_style().map_err(|message| ThemeError::Invalid {
                path: origin.to_string(),
                message: format!("[style.{element}]: {message}"),
            })?;
            theme.styles.insert(key, style);
        }
        Ok(theme)
    }

    fn default_theme() -> Theme {
        // The embedded default is tested to parse; an empty theme is the safe fallback.
        Theme::parse(BUILTIN[0].1, "default").unwrap_or(Theme {
            name: "default".into(),
            styles: BTreeMap::new(),
        })
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

impl StyleSpec {
    fn to_style(&self) -> Result<Style, String> {
        let mut s = Style::default();
        if let Some(c) = &self.fg {
            s = s.fg(parse_color(c)?);
        }
        if let Some(c) = &self.bg {
            s = s.bg(parse_color(c)?);
        }
        for (on, m) in [
            (self.bold, Modifier::BOLD),
            (self.dim, Modifier::DIM),
            (self.italic, Modifier::ITALIC),
            (self.underline, Modifier::UNDERLINED),
            (self.reversed, Modifier::REVERSED),
        ] {
            if on {
                s = s.add_modifier(m);
            }
        }
        Ok(s)
    }
}

fn parse_color(c: &ColorSpec) -> Result<Color, String> {
    let name = match c {
        ColorSpec::Index(i) => return Ok(Color::Indexed(*i)),
        ColorSpec::Name(n) => n.to_ascii_lowercase(),
    };
    if let Some(hex) = name.strip_prefix('#') {
        if hex.len() == 6
            && let Ok(v) = u32::from_str_radix(hex, 16)
        {
            return Ok(Color::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return Err(format!("{name:?} is not a #rrggbb colour"));
    }
    Ok(match name.as_str() {
        "default" | "reset" => Color::Reset,
        "black" => Color::Black,
        "red" => Color::Red,
        "green" => Color::Green,
        "yellow" => Color::Yellow,
        "blue" => Color::Blue,
        "magenta" => Color::Magenta,
        "cyan" => Color::Cyan,
        "gray" | "grey" => Color::Gray,
        "darkgray" | "darkgrey" => Color::DarkGray,
        "lightred" => Color::LightRed,
        "lightgreen" => Color::LightGreen,
        "lightyellow" => Color::LightYellow,
        "lightblue" => Color::LightBlue,
        "lightmagenta" => Color::LightMagenta,
        "lightcyan" => Color::LightCyan,
        "white" => Color::White,
        other => {
            return Err(format!(
                "unknown colour {other:?} (use an ANSI name, 0-255 or #rrggbb)"
            ));
        }
    })
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
    fn unknown_elements_and_colours_are_errors() {
        assert!(Theme::parse("[style.nope]\nfg = \"red\"\n", "x").is_err());
        assert!(Theme::parse("[style.row]\nfg = \"chartreuse\"\n", "x").is_err());
    }
}
