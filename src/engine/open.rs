//! `o` in the reader (a job of the engine, off the caller's thread): the open message's HTML
//! part or one of its attachments written to a private file — mode 0600, in a 0700 folder
//! under the runtime (else cache) directory, under a name we make — and handed to the user's
//! opener (`ui.open_command`, default `xdg-open`; `$BROWSER` for HTML when set), run as an
//! argument vector, never through a shell. The only argument that comes from us is the file's
//! path; nothing the message says (its file names included) reaches the command line. Files
//! older than a day are removed at the next open.

use std::fs::{self, OpenOptions};
use std::io::Write;
use std::os::unix::fs::{OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant, SystemTime};

use mail_parser::{MessageParser, MimeHeaders, PartType};

use crate::mail::attachments;

/// What to open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// The message's (first) HTML part.
    Html,
    /// Attachment number `n` (from 0), as the reader lists them.
    Attachment(usize),
}

/// Why nothing was opened.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("the message has no HTML part")]
    NoHtml,
    #[error("the message has no attachment {0}")]
    NoAttachment(usize),
    #[error("attachment {0} was not downloaded: save it first (:save {0})")]
    NotDownloaded(usize),
    #[error("the opener is empty: set ui.open_command")]
    NoCommand,
    #[error("{}: {source}", path.display())]
    File {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot run {command}: {source}")]
    Run {
        command: String,
        source: std::io::Error,
    },
    #[error("{command} failed ({status})")]
    Failed { command: String, status: String },
}

/// How long the opener may take to say it failed; one still running then is left to run.
const WAIT: Duration = Duration::from_secs(2);
/// Files of earlier opens older than this are removed.
const KEEP: Duration = Duration::from_secs(24 * 3600);

/// The private folder opened files go to: `$XDG_RUNTIME_DIR/mailroom/open`, else the cache
/// directory's `mailroom/open`.
pub fn default_dir() -> Option<PathBuf> {
    let base = directories::BaseDirs::new()?;
    let root = base
        .runtime_dir()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| base.cache_dir().to_path_buf());
    Some(root.join("mailroom").join("open"))
}

/// The opener's argument vector for `part`, before the file's path: `$BROWSER` (its first
/// `:`-separated entry, split at blanks) for HTML when set, else `command`.
pub fn opener(part: Part, command: &[String], browser: Option<&str>) -> Vec<String> {
    if part == Part::Html
        && let Some(b) = browser.and_then(|b| b.split(':').find(|e| !e.trim().is_empty()))
    {
        return b.split_whitespace().map(str::to_string).collect();
    }
    command.to_vec()
}

/// Writes `part` of `raw` into `dir` and runs `argv` with the file's path as its last
/// argument. Returns what the status line says.
pub fn open(raw: &[u8], part: Part, argv: &[String], dir: &Path) -> Result<String, OpenError> {
    let (bytes, ext, what) = contents(raw, part)?;
    let Some((program, args)) = argv.split_first() else {
        return Err(OpenError::NoCommand);
    };
    let path = write_private(dir, &ext, &bytes)?;
    let mut child = Command::new(program)
        .args(args)
        .arg(&path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|source| OpenError::Run {
            command: program.clone(),
            source,
        })?;
    let started = Instant::now();
    loop {
        match child.try_wait() {
            Ok(Some(status)) if status.success() => break,
            Ok(Some(status)) => {
                return Err(OpenError::Failed {
                    command: program.clone(),
                    status: status.to_string(),
                });
            }
            Ok(None) if started.elapsed() < WAIT => std::thread::sleep(Duration::from_millis(20)),
            Ok(None) | Err(_) => {
                // Still running (a browser in the foreground): reaped when it ends.
                let _ = super::job::spawn("open-wait", move || child.wait(), |_| {});
                break;
            }
        }
    }
    Ok(format!("opened {what} with {program}"))
}

/// The bytes of `part`, the file name extension to give them, and what to call them.
fn contents(raw: &[u8], part: Part) -> Result<(Vec<u8>, String, String), OpenError> {
    let msg = MessageParser::default().parse(raw);
    match part {
        Part::Html => {
            let html = msg
                .as_ref()
                .and_then(|m| {
                    m.html_body
                        .iter()
                        .find_map(|&id| match &m.parts.get(id as usize)?.body {
                            PartType::Html(h) => Some(h.to_string()),
                            _ => None,
                        })
                })
                .ok_or(OpenError::NoHtml)?;
            // Decoded to UTF-8 here: say so before the part's own (now wrong) charset.
            let mut bytes = b"<meta charset=\"utf-8\">\n".to_vec();
            bytes.extend_from_slice(html.as_bytes());
            Ok((bytes, "html".to_string(), "the HTML part".to_string()))
        }
        Part::Attachment(n) => {
            let msg = msg.ok_or(OpenError::NoAttachment(n + 1))?;
            let info = attachments::get(raw, n).map_err(|_| OpenError::NoAttachment(n + 1))?;
            if info.unfetched.is_some() {
                return Err(OpenError::NotDownloaded(n + 1));
            }
            let a = msg
                .attachments()
                .nth(n)
                .ok_or(OpenError::NoAttachment(n + 1))?;
            let name = attachments::file_name_for(&info);
            let ext = extension(&name)
                .or_else(|| {
                    a.content_type()
                        .and_then(|t| t.subtype())
                        .and_then(extension_of_type)
                })
                .unwrap_or_else(|| "bin".to_string());
            Ok((a.contents().to_vec(), ext, format!("attachment {}", n + 1)))
        }
    }
}

/// The extension of a (safe) file name when it is short and alphanumeric: openers choose the
/// program by it. The rest of the name is never used.
fn extension(name: &str) -> Option<String> {
    let (_, ext) = name.rsplit_once('.')?;
    extension_of_type(ext)
}

fn extension_of_type(ext: &str) -> Option<String> {
    (!ext.is_empty() && ext.len() <= 8 && ext.bytes().all(|b| b.is_ascii_alphanumeric()))
        .then(|| ext.to_ascii_lowercase())
}

/// Creates `dir` (0700) if needed, removes old files in it, and writes `bytes` to a new file
/// (0600) named by us.
fn write_private(dir: &Path, ext: &str, bytes: &[u8]) -> Result<PathBuf, OpenError> {
    let file_err = |path: &Path| {
        let path = path.to_path_buf();
        move |source| OpenError::File { path, source }
    };
    fs::create_dir_all(dir).map_err(file_err(dir))?;
    let meta = fs::symlink_metadata(dir).map_err(file_err(dir))?;
    if !meta.is_dir() {
        return Err(OpenError::File {
            path: dir.to_path_buf(),
            source: std::io::Error::other("not a directory"),
        });
    }
    fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(file_err(dir))?;
    remove_old(dir);
    static COUNT: AtomicU64 = AtomicU64::new(0);
    let stamp = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let n = COUNT.fetch_add(1, Ordering::Relaxed);
    let path = dir.join(format!(
        "mailroom-{stamp:x}-{}-{n}.{ext}",
        std::process::id()
    ));
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .map_err(file_err(&path))?;
    if let Err(e) = file.write_all(bytes).and_then(|()| file.sync_all()) {
        let _ = fs::remove_file(&path);
        return Err(OpenError::File { path, source: e });
    }
    Ok(path)
}

/// Removes our files older than [`KEEP`] (an opener may still read a recent one).
fn remove_old(dir: &Path) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for e in entries.flatten() {
        let old = e
            .metadata()
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age > KEEP);
        if old && e.file_name().to_string_lossy().starts_with("mailroom-") {
            let _ = fs::remove_file(e.path());
        }
    }
}

#[cfg(test)]
#[path = "open_tests.rs"]
mod tests;
