use std::os::unix::fs::PermissionsExt;

use super::*;

const HOSTILE: &str = "$(touch pwned); rm -rf ~ `id` ;.pdf";

fn message() -> Vec<u8> {
    format!(
        "From: a@example.test\r\nTo: b@example.test\r\nSubject: s\r\nMIME-Version: 1.0\r\n\
Content-Type: multipart/mixed; boundary=\"b1\"\r\n\r\n--b1\r\n\
Content-Type: text/html; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n\
<p>Caf=E9 <a href=3D\"https://x.test/\">link</a></p>\r\n--b1\r\n\
Content-Type: application/pdf; name=\"{HOSTILE}\"\r\n\
Content-Disposition: attachment; filename=\"{HOSTILE}\"\r\n\
Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQKaGVsbG8K\r\n--b1--\r\n"
    )
    .into_bytes()
}

/// A shell script that records its arguments, the file's mode and its bytes in `out`.
fn recorder(out: &Path) -> PathBuf {
    let script = out.join("opener.sh");
    fs::write(
        &script,
        format!(
            "#!/bin/sh\nprintf '%s\\n' \"$@\" > '{o}/argv'\nstat -c %a \"$1\" > '{o}/mode'\n\
stat -c %a \"$(dirname \"$1\")\" > '{o}/dirmode'\ncat \"$1\" > '{o}/content'\n",
            o = out.display()
        ),
    )
    .unwrap();
    fs::set_permissions(&script, fs::Permissions::from_mode(0o755)).unwrap();
    script
}

#[test]
fn an_attachment_reaches_the_opener_as_a_private_file_whose_name_we_made() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("private").join("open");
    let script = recorder(out.path());
    let argv = vec![script.display().to_string()];
    let said = open(&message(), Part::Attachment(0), &argv, &dir).unwrap();
    assert_eq!(
        said,
        format!("opened attachment 1 with {}", script.display())
    );
    let args = fs::read_to_string(out.path().join("argv")).unwrap();
    let args: Vec<&str> = args.lines().collect();
    assert_eq!(args.len(), 1, "{args:?}");
    let path = Path::new(args[0]);
    assert_eq!(path.parent(), Some(dir.as_path()));
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("mailroom-") && name.ends_with(".pdf"),
        "{name}"
    );
    for bad in ["$", "(", "`", ";", " ", "pwned", "rm"] {
        assert!(!args[0].contains(bad), "{bad} in {args:?}");
    }
    assert_eq!(
        fs::read_to_string(out.path().join("mode")).unwrap().trim(),
        "600"
    );
    assert_eq!(
        fs::read_to_string(out.path().join("dirmode"))
            .unwrap()
            .trim(),
        "700"
    );
    assert_eq!(
        fs::read(out.path().join("content")).unwrap(),
        b"%PDF-1.4\nhello\n"
    );
    assert!(!out.path().join("pwned").exists());
}

#[test]
fn the_html_part_is_written_as_utf8_and_browser_is_honoured() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("open");
    let script = recorder(out.path());
    let config = vec!["xdg-open-that-does-not-exist".to_string()];
    let browser = format!("{}:firefox", script.display());
    let argv = opener(Part::Html, &config, Some(&browser));
    assert_eq!(argv, vec![script.display().to_string()]);
    // $BROWSER is for HTML only.
    assert_eq!(opener(Part::Attachment(0), &config, Some(&browser)), config);
    assert_eq!(opener(Part::Html, &config, None), config);
    open(&message(), Part::Html, &argv, &dir).unwrap();
    let content = fs::read_to_string(out.path().join("content")).unwrap();
    assert!(content.starts_with("<meta charset=\"utf-8\">"), "{content}");
    assert!(content.contains("Café"), "{content}");
    let args = fs::read_to_string(out.path().join("argv")).unwrap();
    assert!(args.trim_end().ends_with(".html"), "{args}");
}

#[test]
fn failures_are_said() {
    let out = tempfile::tempdir().unwrap();
    let dir = out.path().join("open");
    let fail = vec!["false".to_string()];
    assert!(matches!(
        open(&message(), Part::Attachment(0), &fail, &dir),
        Err(OpenError::Failed { .. })
    ));
    let missing = vec![out.path().join("nope").display().to_string()];
    assert!(matches!(
        open(&message(), Part::Html, &missing, &dir),
        Err(OpenError::Run { .. })
    ));
    assert!(matches!(
        open(&message(), Part::Attachment(5), &fail, &dir),
        Err(OpenError::NoAttachment(6))
    ));
    assert!(matches!(
        open(&message(), Part::Html, &[], &dir),
        Err(OpenError::NoCommand)
    ));
    let plain = b"From: a@example.test\r\nSubject: s\r\n\r\nhello\r\n";
    assert!(matches!(
        open(plain, Part::Html, &fail, &dir),
        Err(OpenError::NoHtml)
    ));
}
