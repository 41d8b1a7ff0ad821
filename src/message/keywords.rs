//! IMAP keywords of a message (`$assigned.alice`, `$done`, …) as interned strings.
//!
//! A shared mailbox uses a few dozen distinct keywords over 100,000 messages; each is held
//! once for the life of the process and a message holds a list of references to them (16
//! bytes each, compared and copied without touching the text). The set of distinct keywords
//! only grows — it is bounded by what the servers' mailboxes hold (Cyrus allows 100 per
//! mailbox) — so the interned strings are never freed.

use std::collections::HashSet;
use std::fmt;
use std::ops::Deref;
use std::sync::{Mutex, OnceLock};

/// One keyword, interned: equal keywords share one string.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Keyword(&'static str);

fn interned() -> &'static Mutex<HashSet<&'static str>> {
    static SET: OnceLock<Mutex<HashSet<&'static str>>> = OnceLock::new();
    SET.get_or_init(|| Mutex::new(HashSet::new()))
}

impl Keyword {
    pub fn new(name: &str) -> Keyword {
        // A poisoned lock only means another thread panicked while inserting: the set is
        // still a set of valid strings.
        let mut set = interned().lock().unwrap_or_else(|e| e.into_inner());
        if let Some(&s) = set.get(name) {
            return Keyword(s);
        }
        let s: &'static str = Box::leak(name.to_string().into_boxed_str());
        set.insert(s);
        Keyword(s)
    }

    pub fn as_str(&self) -> &'static str {
        self.0
    }
}

impl Deref for Keyword {
    type Target = str;
    fn deref(&self) -> &str {
        self.0
    }
}

impl AsRef<str> for Keyword {
    fn as_ref(&self) -> &str {
        self.0
    }
}

impl std::borrow::Borrow<str> for Keyword {
    fn borrow(&self) -> &str {
        self.0
    }
}

impl PartialEq<str> for Keyword {
    fn eq(&self, other: &str) -> bool {
        self.0 == other
    }
}

impl PartialEq<&str> for Keyword {
    fn eq(&self, other: &&str) -> bool {
        self.0 == *other
    }
}

impl PartialEq<String> for Keyword {
    fn eq(&self, other: &String) -> bool {
        self.0 == other.as_str()
    }
}

impl fmt::Debug for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self.0, f)
    }
}

impl fmt::Display for Keyword {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0)
    }
}

/// The keywords of one message, in the order they were set.
#[derive(Clone, Default, PartialEq, Eq, Hash)]
pub struct Keywords(Box<[Keyword]>);

impl Keywords {
    pub fn new<S: AsRef<str>>(names: impl IntoIterator<Item = S>) -> Keywords {
        Keywords(
            names
                .into_iter()
                .map(|s| Keyword::new(s.as_ref()))
                .collect(),
        )
    }

    pub fn contains(&self, name: &str) -> bool {
        self.0.iter().any(|k| k.0 == name)
    }

    /// Adds `name` at the end (a list, like the server's: adding one twice keeps two).
    pub fn push(&mut self, name: &str) {
        let mut v = std::mem::take(&mut self.0).into_vec();
        v.push(Keyword::new(name));
        self.0 = v.into_boxed_slice();
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&str) -> bool) {
        if self.0.iter().all(|k| keep(k.0)) {
            return;
        }
        let mut v = std::mem::take(&mut self.0).into_vec();
        v.retain(|k| keep(k.0));
        self.0 = v.into_boxed_slice();
    }

    pub fn to_vec(&self) -> Vec<String> {
        self.0.iter().map(|k| k.0.to_string()).collect()
    }
}

impl Deref for Keywords {
    type Target = [Keyword];
    fn deref(&self) -> &[Keyword] {
        &self.0
    }
}

impl<'a> IntoIterator for &'a Keywords {
    type Item = &'a Keyword;
    type IntoIter = std::slice::Iter<'a, Keyword>;
    fn into_iter(self) -> Self::IntoIter {
        self.0.iter()
    }
}

impl<S: AsRef<str>> FromIterator<S> for Keywords {
    fn from_iter<I: IntoIterator<Item = S>>(iter: I) -> Keywords {
        Keywords::new(iter)
    }
}

impl From<Vec<String>> for Keywords {
    fn from(v: Vec<String>) -> Keywords {
        Keywords::new(v)
    }
}

impl<S: AsRef<str>, const N: usize> PartialEq<[S; N]> for Keywords {
    fn eq(&self, other: &[S; N]) -> bool {
        self.0
            .iter()
            .map(|k| k.0)
            .eq(other.iter().map(AsRef::as_ref))
    }
}

impl<S: AsRef<str>> PartialEq<Vec<S>> for Keywords {
    fn eq(&self, other: &Vec<S>) -> bool {
        self.0
            .iter()
            .map(|k| k.0)
            .eq(other.iter().map(AsRef::as_ref))
    }
}

impl fmt::Debug for Keywords {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.0.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_keywords_share_one_string() {
        let a = Keyword::new("$assigned.alice");
        let b = Keyword::new(&String::from("$assigned.alice"));
        assert!(std::ptr::eq(a.as_str(), b.as_str()));
        assert_eq!(a, "$assigned.alice");
    }

    #[test]
    fn a_list_pushes_retains_and_compares_by_text() {
        let mut k = Keywords::new(["$done", "$assigned.bob"]);
        assert!(k.contains("$done"));
        k.push("$claimed");
        k.retain(|s| s != "$done");
        assert_eq!(k.to_vec(), ["$assigned.bob", "$claimed"]);
        assert!(k.iter().any(|s| s == "$claimed"));
        assert_eq!(k, Keywords::new(["$assigned.bob", "$claimed"]));
    }
}
