//! The column view's layouts (`ui.layout`, `:layout`): their names, parsed here so a bad
//! `ui.layout` is caught at load. Where each puts things is `ui::layout`.

/// How the column view lays out the accounts. Read as a lower-case name, so a bad value is
/// a serde error located by line and column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Layout {
    /// Side-by-side columns while each stays readable, else `focus`, else `tabs`.
    #[default]
    Auto,
    /// Every account side by side (tabs when a column would be narrower than 40 cells).
    Columns,
    /// One column at a time, with a tab per account.
    Tabs,
    /// The focused account wide, the others as narrow strips of counts.
    Focus,
    /// One list of every account's rows, sorted together, each tagged with its account.
    Unified,
}

impl Layout {
    pub const ALL: [Layout; 5] = [
        Layout::Auto,
        Layout::Columns,
        Layout::Tabs,
        Layout::Focus,
        Layout::Unified,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Layout::Auto => "auto",
            Layout::Columns => "columns",
            Layout::Tabs => "tabs",
            Layout::Focus => "focus",
            Layout::Unified => "unified",
        }
    }

    pub fn parse(s: &str) -> Option<Layout> {
        let s = s.trim().to_ascii_lowercase();
        Layout::ALL.into_iter().find(|l| l.name() == s)
    }

    /// The names, for messages: "auto, columns, tabs, focus or unified".
    pub fn names() -> String {
        let names: Vec<&str> = Layout::ALL.iter().map(|l| l.name()).collect();
        match names.split_last() {
            Some((last, rest)) => format!("{} or {last}", rest.join(", ")),
            None => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_layout_parses_from_its_name_and_nothing_else_does() {
        for l in Layout::ALL {
            assert_eq!(Layout::parse(l.name()), Some(l));
        }
        assert_eq!(Layout::parse(" Focus "), Some(Layout::Focus));
        assert_eq!(Layout::parse("grid"), None);
        assert_eq!(Layout::names(), "auto, columns, tabs, focus or unified");
    }
}
