//! What a message list needs of one message, without its body: [`Summary`], compact and
//! cheap to clone, and [`Fields`], the same summary as plain owned fields to build one from
//! or to take apart.

use super::packed::{Field, Text, TextWriter};
use super::{Address, AddressRef, Addrs, Flags, Keywords, Strs};

/// One message of a list. The numbers, flags and keywords are fields; the text (addresses,
/// subject, ids) is packed into one shared allocation read through methods, so a clone costs
/// a pointer and ~100 bytes, and a mailbox of 100,000 summaries holds each text once however
/// many layers (the sync's mirror, the cache, the UI) hold the summary.
#[derive(Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
#[serde(from = "Fields", into = "Fields")]
pub struct Summary {
    pub uid: u32,
    pub flags: Flags,
    pub has_attachment: bool,
    /// CONDSTORE MODSEQ, where the backend has one.
    pub modseq: Option<u64>,
    /// When the server received it (INTERNALDATE), seconds since the Unix epoch.
    pub internal_date: i64,
    /// The `Date:` header, seconds since the Unix epoch, as the sender claimed it.
    pub date: Option<i64>,
    pub size: u64,
    /// IMAP keywords (`$assigned.alice`, `$done`, …), as stored.
    pub keywords: Keywords,
    text: Text,
}

/// A summary as plain owned fields: what parsers fill in and tests write down.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize, serde::Deserialize)]
pub struct Fields {
    pub uid: u32,
    pub modseq: Option<u64>,
    pub internal_date: i64,
    pub date: Option<i64>,
    pub size: u64,
    pub from: Vec<Address>,
    pub sender: Vec<Address>,
    pub reply_to: Vec<Address>,
    pub to: Vec<Address>,
    pub cc: Vec<Address>,
    pub subject: String,
    pub message_id: Option<String>,
    pub in_reply_to: Vec<String>,
    pub references: Vec<String>,
    /// Delivered-To and X-Original-To: the address the mail actually reached.
    pub delivered_to: Vec<String>,
    pub flags: Flags,
    pub keywords: Vec<String>,
    pub has_attachment: bool,
}

fn refs(list: &[Address]) -> impl ExactSizeIterator<Item = AddressRef<'_>> {
    list.iter().map(|a| AddressRef {
        name: a.name.as_deref(),
        email: &a.email,
    })
}

impl From<Fields> for Summary {
    fn from(f: Fields) -> Summary {
        Summary::new(f)
    }
}

impl Summary {
    /// Packs owned fields. (`Summary::from` is the From address; this is the constructor.)
    pub fn new(f: Fields) -> Summary {
        let mut w = TextWriter::new();
        w.str(&f.subject);
        w.opt(f.message_id.as_deref());
        for list in [&f.from, &f.sender, &f.reply_to, &f.to, &f.cc] {
            w.addrs(refs(list));
        }
        for list in [&f.in_reply_to, &f.references, &f.delivered_to] {
            w.strs(list.iter().map(String::as_str));
        }
        Summary {
            uid: f.uid,
            flags: f.flags,
            has_attachment: f.has_attachment,
            modseq: f.modseq,
            internal_date: f.internal_date,
            date: f.date,
            size: f.size,
            keywords: Keywords::new(&f.keywords),
            text: w.finish(),
        }
    }
}

impl From<Summary> for Fields {
    fn from(s: Summary) -> Fields {
        s.fields()
    }
}

impl Summary {
    /// The text packed as the header cache stores it (see `message::packed`).
    pub(crate) fn text_bytes(&self) -> &[u8] {
        self.text.as_bytes()
    }

    /// A summary whose text comes from outside (the header cache): None when the bytes are
    /// not a well-formed text.
    pub(crate) fn with_text_bytes(mut self, bytes: &[u8]) -> Option<Summary> {
        self.text = Text::from_bytes(bytes)?;
        Some(self)
    }

    /// This summary with the text a parser wrote straight into `w` (every field once, in
    /// layout order: see `message::packed`), with no owned fields in between.
    pub(crate) fn with_text(mut self, w: TextWriter) -> Summary {
        self.text = w.finish();
        self
    }

    /// The summary as owned fields (allocates; for editing the text or for output).
    pub fn fields(&self) -> Fields {
        Fields {
            uid: self.uid,
            modseq: self.modseq,
            internal_date: self.internal_date,
            date: self.date,
            size: self.size,
            from: self.from().to_vec(),
            sender: self.sender().to_vec(),
            reply_to: self.reply_to().to_vec(),
            to: self.to().to_vec(),
            cc: self.cc().to_vec(),
            subject: self.subject().to_string(),
            message_id: self.message_id().map(str::to_string),
            in_reply_to: self.in_reply_to().to_vec(),
            references: self.references().to_vec(),
            delivered_to: self.delivered_to().to_vec(),
            flags: self.flags,
            keywords: self.keywords.to_vec(),
            has_attachment: self.has_attachment,
        }
    }

    /// Changes the text through its owned fields (rare: a note's own row, a test).
    pub fn edit_text(&mut self, edit: impl FnOnce(&mut Fields)) {
        let mut f = self.fields();
        edit(&mut f);
        let keywords = std::mem::take(&mut self.keywords);
        *self = Summary::new(f);
        self.keywords = keywords;
    }

    pub fn subject(&self) -> &str {
        self.text.str(Field::Subject)
    }

    /// Without angle brackets.
    pub fn message_id(&self) -> Option<&str> {
        self.text.opt(Field::MessageId)
    }

    pub fn from(&self) -> Addrs<'_> {
        self.text.addrs(Field::From)
    }

    pub fn sender(&self) -> Addrs<'_> {
        self.text.addrs(Field::Sender)
    }

    pub fn reply_to(&self) -> Addrs<'_> {
        self.text.addrs(Field::ReplyTo)
    }

    pub fn to(&self) -> Addrs<'_> {
        self.text.addrs(Field::To)
    }

    pub fn cc(&self) -> Addrs<'_> {
        self.text.addrs(Field::Cc)
    }

    pub fn in_reply_to(&self) -> Strs<'_> {
        self.text.strs(Field::InReplyTo)
    }

    pub fn references(&self) -> Strs<'_> {
        self.text.strs(Field::References)
    }

    /// Delivered-To and X-Original-To: the address the mail actually reached.
    pub fn delivered_to(&self) -> Strs<'_> {
        self.text.strs(Field::DeliveredTo)
    }
}

impl std::fmt::Debug for Summary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(&self.fields(), f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> Fields {
        Fields {
            uid: 7,
            modseq: Some(9),
            internal_date: 1_700_000_000,
            date: Some(1_699_999_000),
            size: 4321,
            from: vec![Address {
                name: Some("Ann Example".into()),
                email: "ann@example.com".into(),
            }],
            to: vec![
                Address {
                    name: None,
                    email: "support@x".into(),
                },
                Address {
                    name: Some(String::new()),
                    email: "sales@x".into(),
                },
            ],
            subject: "Order #97916 – where is it?".into(),
            message_id: Some("abc@example.com".into()),
            in_reply_to: vec!["p@x".into()],
            references: vec!["r@x".into(), "p@x".into()],
            delivered_to: vec!["support@x".into()],
            flags: Flags {
                seen: true,
                ..Flags::default()
            },
            keywords: vec!["$assigned.alice".into(), "$done".into()],
            has_attachment: true,
            ..Fields::default()
        }
    }

    #[test]
    fn fields_go_in_and_come_back_whole() {
        let f = fields();
        let s = Summary::new(f.clone());
        assert_eq!(s.fields(), f);
        assert_eq!(s.subject(), f.subject);
        assert_eq!(s.from().first().map(|a| a.email), Some("ann@example.com"));
        assert_eq!(s.to().len(), 2);
        assert_eq!(s.sender().len(), 0);
        assert_eq!(s.references().last(), Some("p@x"));
        assert!(s.keywords.contains("$done"));
        assert_eq!(Summary::new(Fields::default()).fields(), Fields::default());
    }

    #[test]
    fn a_clone_shares_the_text_and_a_keyword_change_stays_its_own() {
        let a = Summary::new(fields());
        let mut b = a.clone();
        b.keywords.push("$claimed");
        assert!(std::ptr::eq(a.subject(), b.subject()));
        assert!(!a.keywords.contains("$claimed"));
        b.edit_text(|f| f.subject = "changed".into());
        assert_eq!(b.subject(), "changed");
        assert!(b.keywords.contains("$claimed"));
        assert_eq!(a.subject(), "Order #97916 – where is it?");
    }

    #[test]
    fn the_text_bytes_round_trip_and_bad_bytes_are_refused() {
        let s = Summary::new(fields());
        let bare = Summary {
            uid: s.uid,
            ..Summary::default()
        };
        let back = bare.clone().with_text_bytes(s.text_bytes());
        assert_eq!(
            back.map(|b| b.fields().subject),
            Some(s.subject().to_string())
        );
        assert!(bare.with_text_bytes(&[0xff]).is_none());
    }

    #[test]
    fn serde_keeps_the_shape_of_the_fields() {
        let s = Summary::new(fields());
        let json = serde_json::to_value(&s).ok();
        let plain = serde_json::to_value(fields()).ok();
        assert!(json.is_some());
        assert_eq!(json, plain);
    }

    #[test]
    fn a_summary_is_small() {
        assert!(std::mem::size_of::<Summary>() <= 96);
    }
}
