//! Warnings before sending (issue 18, item 5): an empty subject, and a text that says
//! "attached" (or "Anhang", "pièce jointe", "adjunto"…) with nothing attached. The first `y`
//! in the preview says what is wrong and asks "send anyway?"; a second `y` sends.

/// Words that announce an attachment, lower case: English and common translations (de, fr,
/// es, nl, it, pt).
const WORDS: &[&str] = &[
    "attached",
    "attachment",
    "attachments",
    "attaching",
    "angehängt",
    "anhang",
    "anbei",
    "adjunto",
    "adjunta",
    "adjuntos",
    "adjuntas",
    "adjuntamos",
    "bijlage",
    "bijlagen",
    "bijgevoegd",
    "allegato",
    "allegati",
    "allego",
    "anexo",
    "anexos",
    "anexado",
    "anexada",
];

/// Phrases of several words (as the text splits into words).
const PHRASES: &[&[&str]] = &[
    &["pièce", "jointe"],
    &["pièces", "jointes"],
    &["piece", "jointe"],
    &["ci", "joint"],
    &["ci", "jointe"],
    &["ci", "joints"],
    &["ci", "jointes"],
];

/// The agent's own text of `body`: without quoted lines (`>`), and nothing from the
/// signature separator or a forwarded/original message's marker line on.
pub fn own_text(body: &str) -> String {
    let mut out = String::new();
    for line in body.lines() {
        let t = line.trim_start();
        if line == "-- "
            || t.starts_with("---------- Forwarded message")
            || t.starts_with("-----Original Message-----")
            || t.starts_with("-------- Original Message")
        {
            break;
        }
        if t.starts_with('>') {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    out
}

/// The first word or phrase of `text` that announces an attachment.
pub fn mentions_attachment(text: &str) -> Option<String> {
    let lower = text.to_lowercase();
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    for (i, w) in words.iter().enumerate() {
        if WORDS.contains(w) {
            return Some((*w).to_string());
        }
        for p in PHRASES {
            if words.get(i..i + p.len()) == Some(p) {
                return Some(p.join(" "));
            }
        }
    }
    None
}

/// What is worth a second look before sending (empty when nothing is).
pub fn warnings(subject: &str, body: &str, attachments: usize) -> Vec<String> {
    let mut out = Vec::new();
    if subject.trim().is_empty() {
        out.push("the subject is empty".to_string());
    }
    if attachments == 0
        && let Some(word) = mentions_attachment(&own_text(body))
    {
        out.push(format!(
            "the text says {:?} but nothing is attached",
            crate::sanitize::single_line(&word)
        ));
    }
    out
}

/// The first `y` of a preview with warnings: says them and asks again (`true`: do not send
/// yet). The preview remembers it was asked, so the next `y` sends.
pub(crate) fn hold_send(app: &mut crate::ui::app::App) -> bool {
    let Some(c) = &mut app.compose else {
        return false;
    };
    let Some(p) = &mut c.preview else {
        return false;
    };
    if p.warned {
        return false;
    }
    let attached = attachment_count(&p.outgoing.raw);
    let found = warnings(&c.subject.text, &c.body.text(), attached);
    if found.is_empty() {
        return false;
    }
    p.warned = true;
    app.fail(format!(
        "{}: send anyway? y sends, n goes back to editing",
        found.join("; ")
    ));
    true
}

/// How many attachments the built message carries (the pane's files, and a forward's).
pub fn attachment_count(raw: &[u8]) -> usize {
    mail_parser::MessageParser::default()
        .parse(raw)
        .map_or(0, |m| m.attachment_count())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_word_in_many_languages_only_in_the_agents_text() {
        for text in [
            "Please see the attached log.",
            "ATTACHMENT below",
            "Im Anhang finden Sie die Rechnung",
            "wie besprochen angehängt",
            "Veuillez trouver ci-joint le devis",
            "voir la pièce jointe",
            "Te envío el adjunto",
            "zie bijlage",
            "in allegato il file",
            "segue em anexo",
        ] {
            assert!(mentions_attachment(text).is_some(), "{text:?}");
        }
        for text in [
            "the attache case",
            "Anhänger",
            "jointe",
            "joint venture",
            "anexion",
        ] {
            assert_eq!(mentions_attachment(text), None, "{text:?}");
        }
        let body = "Thanks, fixed.\n\nOn Mon, Ann wrote:\n> see the attached screenshot\n>> Anhang\n-- \nsee attachment policy\n";
        assert_eq!(mentions_attachment(&own_text(body)), None);
        let fwd = "FYI\n---------- Forwarded message ---------\nSee the attachment\n";
        assert_eq!(mentions_attachment(&own_text(fwd)), None);
    }

    #[test]
    fn warns_for_an_empty_subject_and_a_missing_attachment() {
        assert!(warnings("Hello", "Thanks", 0).is_empty());
        assert_eq!(warnings("  ", "Thanks", 0), vec!["the subject is empty"]);
        let w = warnings("Log", "Log attached.", 0);
        assert_eq!(
            w,
            vec!["the text says \"attached\" but nothing is attached"]
        );
        assert!(warnings("Log", "Log attached.", 1).is_empty());
        assert_eq!(warnings("", "ci-joint", 0).len(), 2);
        // Hostile text: long, control characters; never a panic, one line out.
        let hostile = format!("{}\u{1b}[2J attached\r\n", "x".repeat(100_000));
        let w = warnings("s", &hostile, 0);
        assert_eq!(w.len(), 1);
        assert!(!w[0].contains('\u{1b}'));
    }

    #[test]
    fn counts_the_attachments_of_the_built_message() {
        let plain = b"Subject: x\r\nContent-Type: text/plain\r\n\r\nhi\r\n";
        assert_eq!(attachment_count(plain), 0);
        let mixed = b"Subject: x\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/pdf\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\nJVBERi0=\r\n--b--\r\n";
        assert_eq!(attachment_count(mixed), 1);
        assert_eq!(attachment_count(b"\xff\xfe garbage"), 0);
    }
}
