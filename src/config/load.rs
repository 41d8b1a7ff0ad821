//! Reading the configuration file: locating it, parsing with positions, resolving paths.

use std::path::{Path, PathBuf};

use super::error::{ConfigError, Problem};
use super::model::Config;
use super::validate;

/// `$XDG_CONFIG_HOME/mailroom/config.toml` (or the platform's equivalent).
pub fn default_path() -> Option<PathBuf> {
    directories::BaseDirs::new().map(|d| d.config_dir().join("mailroom").join("config.toml"))
}

/// The result of loading: a usable configuration plus warnings that do not stop it.
#[derive(Debug)]
pub struct Loaded {
    pub config: Config,
    pub warnings: Vec<Problem>,
}

/// Loads and validates the configuration at `path`.
pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
    let text = std::fs::read(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })?;
    let text = String::from_utf8(text).map_err(|e| {
        let (line, column) = line_column(
            &String::from_utf8_lossy(e.as_bytes()),
            e.utf8_error().valid_up_to(),
        );
        ConfigError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: "the file is not valid UTF-8".to_string(),
        }
    })?;
    let loaded = parse(&text, path)?;
    let mut errors = Vec::new();
    if let Some(p) = validate::plaintext_password_permissions(&loaded.config, path) {
        errors.push(p);
    }
    if errors.is_empty() {
        Ok(loaded)
    } else {
        Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            problems: errors,
        })
    }
}

/// Parses and validates configuration text; `path` names it in errors and anchors relative
/// paths. Does not touch the file system except to resolve `~`.
pub fn parse(text: &str, path: &Path) -> Result<Loaded, ConfigError> {
    let mut config: Config = toml::from_str(text).map_err(|e| {
        let (line, column) = e
            .span()
            .map(|s| line_column(text, s.start))
            .unwrap_or((0, 0));
        ConfigError::Syntax {
            path: path.to_path_buf(),
            line,
            column,
            message: e.message().trim().to_string(),
        }
    })?;
    config.source = path.to_path_buf();
    resolve_paths(&mut config, path.parent().unwrap_or(Path::new(".")));
    let report = validate::validate(&config);
    if !report.errors.is_empty() {
        return Err(ConfigError::Invalid {
            path: path.to_path_buf(),
            problems: report.errors,
        });
    }
    Ok(Loaded {
        config,
        warnings: report.warnings,
    })
}

/// 1-based line and column (in characters) of byte `offset` in `text`.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = text.get(..offset).unwrap_or(text);
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map(|i| i + 1).unwrap_or(0);
    let column = before[line_start..].chars().count() + 1;
    (line, column)
}

/// Relative paths are relative to the configuration file; `~/` is the home directory.
fn resolve_paths(config: &mut Config, base: &Path) {
    for account in &mut config.accounts {
        if let Some(m) = &mut account.maildir {
            m.path = resolve(base, &m.path);
        }
        if let Some(f) = &mut account.file {
            f.dir = resolve(base, &f.dir);
        }
        if let Some(i) = &mut account.imap
            && let Some(ca) = &mut i.ca_file
        {
            *ca = resolve(base, ca);
        }
        if let Some(s) = &mut account.smtp
            && let Some(ca) = &mut s.ca_file
        {
            *ca = resolve(base, ca);
        }
    }
}

pub fn resolve(base: &Path, p: &Path) -> PathBuf {
    if let Ok(rest) = p.strip_prefix("~")
        && let Some(home) = directories::BaseDirs::new().map(|d| d.home_dir().to_path_buf())
    {
        return home.join(rest);
    }
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        base.join(p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_column_counts_characters() {
        let t = "a = 1\nbé = 2\n";
        assert_eq!(line_column(t, 0), (1, 1));
        assert_eq!(line_column(t, 6), (2, 1));
        assert_eq!(line_column(t, 9), (2, 3));
        assert_eq!(line_column(t, 999), (3, 1));
    }
}
