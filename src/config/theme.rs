//! Themes as the user writes them: TOML files that style every element of the screen, read
//! into pure style specs (a colour enum and modifier flags) that the UI turns into terminal
//! styles.
//!
//! A theme is a table `[style]` of elements, each with `fg`, `bg` and modifiers. A theme only
//! overrides what it names; everything else comes from the built-in default. Colours are ANSI
//! names (`red`, `lightblue`, …, which 16-colour terminals honour), indexes 0–255, or
//! `#rrggbb`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

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
pub const ELEMENTS: [&str; 27] = [
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
    "row_new",
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
    "sla_ok",
    "sla_due_soon",
    "sla_overdue",
    "sla_met",
];

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct ThemeFile {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    style: BTreeMap<String, RawStyle>,
}

#[derive(Debug, Clone, Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawStyle {
    fg: Option<RawColour>,
    bg: Option<RawColour>,
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
enum RawColour {
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

/// A colour as a theme names it: the terminal's default, one of the 16 ANSI colours, an
/// index 0–255 or `#rrggbb`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Colour {
    /// `default` / `reset`: the terminal's own colour.
    Reset,
    Black,
    Red,
    Green,
    Yellow,
    Blue,
    Magenta,
    Cyan,
    Gray,
    DarkGray,
    LightRed,
    LightGreen,
    LightYellow,
    LightBlue,
    LightMagenta,
    LightCyan,
    White,
    Indexed(u8),
    Rgb(u8, u8, u8),
}

/// The style of one element: colours and modifier flags.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StyleSpec {
    pub fg: Option<Colour>,
    pub bg: Option<Colour>,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underline: bool,
    pub reversed: bool,
}

/// A parsed theme: its name and the style of every element it (or the default) names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThemeSpec {
    pub name: String,
    pub styles: BTreeMap<&'static str, StyleSpec>,
}

impl ThemeSpec {
    /// Finds a theme by built-in name or path (relative to the config file) and loads it.
    pub fn resolve(name: &str, config_path: &Path) -> Result<ThemeSpec, ThemeError> {
        if let Some((_, text)) = BUILTIN.iter().find(|(n, _)| *n == name) {
            return ThemeSpec::parse(text, name);
        }
        let base = config_path.parent().unwrap_or(Path::new("."));
        let path: PathBuf = super::resolve_path(base, Path::new(name));
        let text =
            std::fs::read_to_string(&path).map_err(|_| ThemeError::NotFound(name.to_string()))?;
        ThemeSpec::parse(&text, &path.display().to_string())
    }

    /// Parses theme text over the built-in default.
    pub fn parse(text: &str, origin: &str) -> Result<ThemeSpec, ThemeError> {
        let file: ThemeFile = toml::from_str(text).map_err(|e| {
            let (line, col) = e
                .span()
                .map(|s| super::line_column(text, s.start))
                .unwrap_or((0, 0));
            ThemeError::Invalid {
                path: origin.to_string(),
                message: format!("{line}:{col}: {}", e.message().trim()),
            }
        })?;
        let mut theme = if origin == "default" {
            ThemeSpec {
                name: "default".into(),
                styles: BTreeMap::new(),
            }
        } else {
            ThemeSpec::default_theme()
        };
        if let Some(n) = &file.name {
            theme.name = n.clone();
        } else {
            theme.name = origin.to_string();
        }
        for (element, raw) in &file.style {
            let Some(key) = ELEMENTS.iter().find(|e| *e == element) else {
                return Err(ThemeError::Invalid {
                    path: origin.to_string(),
                    message: format!(
                        "unknown element [style.{element}] (known: {})",
                        ELEMENTS.join(", ")
                    ),
                });
            };
            let style = raw.to_spec().map_err(|message| ThemeError::Invalid {
                path: origin.to_string(),
                message: format!("[style.{element}]: {message}"),
            })?;
            theme.styles.insert(key, style);
        }
        Ok(theme)
    }

    fn default_theme() -> ThemeSpec {
        // The embedded default is tested to parse; an empty theme is the safe fallback.
        ThemeSpec::parse(BUILTIN[0].1, "default").unwrap_or(ThemeSpec {
            name: "default".into(),
            styles: BTreeMap::new(),
        })
    }
}

impl RawStyle {
    fn to_spec(&self) -> Result<StyleSpec, String> {
        let fg = self.fg.as_ref().map(parse_colour).transpose()?;
        let bg = self.bg.as_ref().map(parse_colour).transpose()?;
        Ok(StyleSpec {
            fg,
            bg,
            bold: self.bold,
            dim: self.dim,
            italic: self.italic,
            underline: self.underline,
            reversed: self.reversed,
        })
    }
}

fn parse_colour(c: &RawColour) -> Result<Colour, String> {
    let name = match c {
        RawColour::Index(i) => return Ok(Colour::Indexed(*i)),
        RawColour::Name(n) => n.to_ascii_lowercase(),
    };
    if let Some(hex) = name.strip_prefix('#') {
        if hex.len() == 6
            && let Ok(v) = u32::from_str_radix(hex, 16)
        {
            return Ok(Colour::Rgb((v >> 16) as u8, (v >> 8) as u8, v as u8));
        }
        return Err(format!("{name:?} is not a #rrggbb colour"));
    }
    Ok(match name.as_str() {
        "default" | "reset" => Colour::Reset,
        "black" => Colour::Black,
        "red" => Colour::Red,
        "green" => Colour::Green,
        "yellow" => Colour::Yellow,
        "blue" => Colour::Blue,
        "magenta" => Colour::Magenta,
        "cyan" => Colour::Cyan,
        "gray" | "grey" => Colour::Gray,
        "darkgray" | "darkgrey" => Colour::DarkGray,
        "lightred" => Colour::LightRed,
        "lightgreen" => Colour::LightGreen,
        "lightyellow" => Colour::LightYellow,
        "lightblue" => Colour::LightBlue,
        "lightmagenta" => Colour::LightMagenta,
        "lightcyan" => Colour::LightCyan,
        "white" => Colour::White,
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
            let t = ThemeSpec::parse(text, name).unwrap_or_else(|e| panic!("{name}: {e}"));
            for e in ELEMENTS {
                assert!(t.styles.contains_key(e), "{name} lacks [style.{e}]");
            }
        }
    }

    #[test]
    fn colours_are_names_indexes_or_hex() {
        let t = ThemeSpec::parse(
            "[style.row]\nfg = \"LightBlue\"\nbg = 236\n[style.row_age]\nfg = \"#0a0B0c\"\nbg = \"grey\"\ndim = true\n",
            "x",
        )
        .unwrap();
        assert_eq!(t.styles["row"].fg, Some(Colour::LightBlue));
        assert_eq!(t.styles["row"].bg, Some(Colour::Indexed(236)));
        assert_eq!(t.styles["row_age"].fg, Some(Colour::Rgb(10, 11, 12)));
        assert_eq!(t.styles["row_age"].bg, Some(Colour::Gray));
        assert!(t.styles["row_age"].dim && !t.styles["row_age"].bold);
        assert_eq!(t.name, "x");
    }

    #[test]
    fn unknown_elements_and_colours_are_errors() {
        let e = ThemeSpec::parse("[style.nope]\nfg = \"red\"\n", "x").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("theme x: unknown element [style.nope]")
        );
        let e = ThemeSpec::parse("[style.row]\nfg = \"chartreuse\"\n", "x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "theme x: [style.row]: unknown colour \"chartreuse\" (use an ANSI name, 0-255 or #rrggbb)"
        );
        let e = ThemeSpec::parse("[style.row]\nbg = \"#12345\"\n", "x").unwrap_err();
        assert_eq!(
            e.to_string(),
            "theme x: [style.row]: \"#12345\" is not a #rrggbb colour"
        );
    }
}
