//! Terminal display helpers shared by both front ends: cutting text to a width, the sender
//! label of a message row, an attachment's line and human-readable sizes.

use unicode_width::UnicodeWidthStr;

use super::attachments::{self, AttachmentInfo};
use crate::message::Summary;
use crate::sanitize;

/// Pads or cuts `s` to exactly `width` terminal cells.
pub fn fit(s: &str, width: usize) -> String {
    let mut out = String::new();
    if s.width() <= width {
        out.push_str(s);
    } else if width > 0 {
        // Cut to leave one cell for the ellipsis.
        let mut w = 0;
        for c in s.chars() {
            let cw = unicode_width::UnicodeWidthChar::width(c).unwrap_or(0);
            if w + cw > width - 1 {
                break;
            }
            out.push(c);
            w += cw;
        }
        out.push('…');
    }
    let w = out.width();
    if w < width {
        out.extend(std::iter::repeat_n(' ', width - w));
    }
    out
}

/// Who a row is from: "Name" or "agent via support@" when Sender differs from From.
pub fn sender_label(s: &Summary) -> String {
    let from = s.from().first();
    let from_label = from
        .map(|a| {
            a.name
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| a.email.to_string())
        })
        .unwrap_or_default();
    match (s.sender().first(), from) {
        (Some(sender), Some(from)) if !sender.email.eq_ignore_ascii_case(from.email) => {
            let who = sender
                .name
                .filter(|n| !n.is_empty())
                .map(str::to_string)
                .unwrap_or_else(|| sender.email.to_string());
            format!("{who} via {}", from.email)
        }
        _ => from_label,
    }
}

/// One attachment as the reader lists it: "[1] report.pdf  application/pdf, 12 KB". The name
/// is the one it is saved under (a plain base name), sanitized like every string from a message.
pub fn attachment_label(a: &AttachmentInfo) -> String {
    let name = sanitize::single_line(&attachments::file_name_for(a));
    let mut s = format!(
        "[{}] {name}  {}, {}",
        a.index.saturating_add(1),
        sanitize::single_line(&a.mime_type),
        human_size(a.size)
    );
    if a.inline {
        s.push_str(", inline");
    }
    if a.unfetched.is_some() {
        s.push_str(", not downloaded (saving streams it)");
    }
    s
}

/// "512 B", "12 KB", "3.4 MB" (powers of 1024, as file managers show them).
pub fn human_size(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KB", "MB", "GB", "TB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if value < 10.0 {
        format!("{value:.1} {}", UNITS[unit])
    } else {
        format!("{value:.0} {}", UNITS[unit])
    }
}
