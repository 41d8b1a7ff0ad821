//! Completing a path typed in the compose pane's attach line: reading the directory is I/O, so
//! it runs on a compose job (`Request::CompletePath`), never on the UI thread.

/// Directory entries looked at, at most (a huge directory is cut, not read whole).
const MAX_DIR_ENTRIES: usize = 5_000;

/// Completes the path `typed` (the attach line): the entries of its directory that start with
/// its last part, sorted; `~/` is the home directory. Returns the completed text (the longest
/// common prefix, a directory with `/`) and the candidates' names.
pub fn path(typed: &str) -> (String, Vec<String>) {
    let (dir_part, base) = match typed.rfind('/') {
        Some(i) => (&typed[..=i], &typed[i + 1..]),
        None => ("", typed),
    };
    let dir = if dir_part.is_empty() {
        std::path::PathBuf::from(".")
    } else if let Some(rest) = dir_part.strip_prefix("~/") {
        match std::env::var_os("HOME") {
            Some(h) => std::path::PathBuf::from(h).join(rest),
            None => return (typed.to_string(), Vec::new()),
        }
    } else {
        std::path::PathBuf::from(dir_part)
    };
    let Ok(entries) = std::fs::read_dir(&dir) else {
        return (typed.to_string(), Vec::new());
    };
    let mut names: Vec<String> = entries
        .take(MAX_DIR_ENTRIES)
        .filter_map(Result::ok)
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            if !name.starts_with(base) || (base.is_empty() && name.starts_with('.')) {
                return None;
            }
            if name.chars().any(char::is_control) {
                return None;
            }
            let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
            Some(if is_dir { format!("{name}/") } else { name })
        })
        .collect();
    names.sort();
    let common = match names.split_first() {
        None => return (typed.to_string(), names),
        Some((first, rest)) => rest.iter().fold(first.clone(), |acc, n| {
            acc.chars()
                .zip(n.chars())
                .take_while(|(a, b)| a == b)
                .map(|(a, _)| a)
                .collect()
        }),
    };
    (format!("{dir_part}{common}"), names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_complete_from_the_directory() {
        let dir = tempfile::tempdir().unwrap();
        let d = dir.path().display().to_string();
        std::fs::write(dir.path().join("report-2026.pdf"), b"x").unwrap();
        std::fs::write(dir.path().join("report-2025.pdf"), b"x").unwrap();
        std::fs::write(dir.path().join(".hidden"), b"x").unwrap();
        std::fs::create_dir(dir.path().join("shots")).unwrap();
        let (text, names) = path(&format!("{d}/rep"));
        assert_eq!(text, format!("{d}/report-202"));
        assert_eq!(names, ["report-2025.pdf", "report-2026.pdf"]);
        let (text, _) = path(&format!("{d}/sh"));
        assert_eq!(text, format!("{d}/shots/"));
        let (_, names) = path(&format!("{d}/"));
        assert!(!names.contains(&".hidden".to_string()));
        let (text, names) = path(&format!("{d}/nothing"));
        assert_eq!((text, names.len()), (format!("{d}/nothing"), 0));
        let (text, names) = path("/nonexistent-dir-xyz/a");
        assert_eq!((text.as_str(), names.len()), ("/nonexistent-dir-xyz/a", 0));
    }
}
