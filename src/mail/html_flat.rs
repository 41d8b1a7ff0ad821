//! The bound in front of `mail::html`: html5ever's tree builder checks "in scope" by walking
//! its stack of open elements, so a document nested 100,000 deep costs seconds there. Its
//! tokenizer is linear: it measures the nesting first, and gives the text of a document too
//! deep to lay out (blocks on their own lines, `<head>`, `<style>`, `<script>` left out).

use std::cell::{Cell, RefCell};

use html5ever::tendril::StrTendril;
use html5ever::tokenizer::states::RawKind;
use html5ever::tokenizer::{
    BufferQueue, CharacterTokens, EndTag, StartTag, TagToken, Token, TokenSink, TokenSinkResult,
    Tokenizer, TokenizerOpts,
};

/// Elements that never hold others (`<br>` opens nothing).
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
    "track", "wbr",
];
/// Elements whose content is never shown as text.
const SKIPPED: &[&str] = &["head", "style", "script", "template", "title", "noscript"];
/// Elements that start a line of their own.
const BLOCKS: &[&str] = &[
    "p",
    "div",
    "br",
    "li",
    "tr",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "table",
    "ul",
    "ol",
    "blockquote",
    "hr",
    "pre",
    "section",
    "article",
    "header",
    "footer",
];

#[derive(Default)]
struct Sink {
    depth: Cell<usize>,
    deepest: Cell<usize>,
    text: RefCell<String>,
    /// Inside a skipped element: its name, and how many of that name are open.
    skipping: RefCell<Option<(String, usize)>>,
}

impl TokenSink for Sink {
    type Handle = ();

    fn process_token(&self, token: Token, _line: u64) -> TokenSinkResult<()> {
        match token {
            TagToken(tag) => {
                let name: &str = &tag.name;
                // Nesting counts inside skipped elements too: the tree builder sees them.
                let opens = tag.kind == StartTag && !tag.self_closing && !VOID.contains(&name);
                if opens {
                    let d = self.depth.get() + 1;
                    self.depth.set(d);
                    self.deepest.set(self.deepest.get().max(d));
                } else if tag.kind == EndTag {
                    self.depth.set(self.depth.get().saturating_sub(1));
                }
                let mut skipping = self.skipping.borrow_mut();
                if let Some((open, nested)) = skipping.as_mut() {
                    if open.as_str() == name {
                        if opens {
                            *nested += 1;
                        } else if tag.kind == EndTag {
                            *nested -= 1;
                            if *nested == 0 {
                                *skipping = None;
                            }
                        }
                    }
                    return TokenSinkResult::Continue;
                }
                // Hidden by its inline style, as `mail::html` drops it from the DOM.
                if opens
                    && tag.attrs.iter().any(|a| {
                        &*a.name.local == "hidden"
                            || (&*a.name.local == "style" && super::html::style_hides(&a.value))
                    })
                {
                    *skipping = Some((name.to_string(), 1));
                    return TokenSinkResult::Continue;
                }
                if BLOCKS.contains(&name) {
                    let mut text = self.text.borrow_mut();
                    if !text.is_empty() && !text.ends_with('\n') {
                        text.push('\n');
                    }
                } else if matches!(name, "td" | "th") {
                    self.text.borrow_mut().push(' ');
                }
                if tag.kind == StartTag && SKIPPED.contains(&name) {
                    *skipping = Some((name.to_string(), 1));
                    return match name {
                        "script" => TokenSinkResult::RawData(RawKind::ScriptData),
                        "title" => TokenSinkResult::RawData(RawKind::Rcdata),
                        "style" | "noscript" => TokenSinkResult::RawData(RawKind::Rawtext),
                        _ => TokenSinkResult::Continue,
                    };
                }
            }
            CharacterTokens(t) if self.skipping.borrow().is_none() => {
                self.push_text(&t);
            }
            _ => {}
        }
        TokenSinkResult::Continue
    }
}

impl Sink {
    /// Runs of white space become one space, as a browser shows them.
    fn push_text(&self, t: &StrTendril) {
        let mut text = self.text.borrow_mut();
        for c in t.chars() {
            if c.is_whitespace() {
                if !text.is_empty() && !text.ends_with([' ', '\n']) {
                    text.push(' ');
                }
            } else {
                text.push(c);
            }
        }
    }
}

fn run(html: &str) -> Sink {
    let tokenizer = Tokenizer::new(Sink::default(), TokenizerOpts::default());
    let input = BufferQueue::default();
    input.push_back(StrTendril::from_slice(html));
    let _ = tokenizer.feed(&input);
    tokenizer.end();
    tokenizer.sink
}

/// How deeply the document's elements nest (end tags taken at their word), and its text
/// without its structure (for a document too deep to lay out): one linear pass.
pub(super) fn depth_and_text(html: &str) -> (usize, String) {
    let sink = run(html);
    let text = sink.text.take();
    let text = text
        .lines()
        .map(str::trim_end)
        .collect::<Vec<_>>()
        .join("\n");
    (sink.deepest.get(), text)
}
