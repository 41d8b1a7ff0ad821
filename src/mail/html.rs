//! HTML mail as text, by the `html2text` crate (html5ever's DOM, its CSS support for
//! `display: none`): paragraphs, lists, tables and quotes keep their shape, links become
//! numbered references with their URLs listed under the text. What a mail client would not
//! show is dropped before rendering: `<head>`, `<style>`, `<script>` and elements hidden by
//! their inline style (`display:none`, `visibility:hidden`, zero size, zero opacity — the
//! "pre-header" tricks of newsletters).
//!
//! Bounded: at most [`MAX_HTML_BYTES`] of HTML are parsed, and elements nested deeper than
//! [`MAX_DEPTH`] are flattened to their text before rendering (html2text's layout recurses).
//! Not sanitized: the caller passes the text through `crate::sanitize` like all message text.

use std::rc::Rc;

use html2text::{Element, Handle};

/// HTML parsed at most; the rest of a larger part is left out (with a note).
pub const MAX_HTML_BYTES: usize = 1 << 20;
/// Elements nested deeper than this keep their text, not their structure.
pub const MAX_DEPTH: usize = 64;
/// A document nested deeper than this is not built into a tree at all (html5ever's tree
/// builder is quadratic in the nesting): its text is shown without structure.
pub const MAX_TREE_DEPTH: usize = 256;
/// The width HTML is laid out at: plain-text mail's own width, so the reader's wrapping
/// leaves it alone on any terminal of 80 columns or more.
pub const WIDTH: usize = 78;

/// The text of an HTML document.
pub fn to_text(html: &str) -> String {
    let cut = html.len() > MAX_HTML_BYTES;
    let html = if cut {
        let mut end = MAX_HTML_BYTES;
        while !html.is_char_boundary(end) {
            end -= 1;
        }
        &html[..end]
    } else {
        html
    };
    let (depth, flat) = super::html_flat::depth_and_text(html);
    let mut text = if depth > MAX_TREE_DEPTH {
        flat
    } else {
        laid_out(html)
    };
    let trimmed = text.trim_end().len();
    text.truncate(trimmed);
    if cut {
        text.push_str(&format!(
            "\n\n[… the HTML part is longer than {} MiB: press o to open it whole]",
            MAX_HTML_BYTES >> 20
        ));
    }
    text
}

/// Whether `raw` has an HTML part that `o` can open.
pub fn has_html_part(raw: &[u8]) -> bool {
    let bounded = super::parse::bound_headers(raw);
    mail_parser::MessageParser::default()
        .parse(bounded.as_ref())
        .is_some_and(|m| {
            m.html_body.iter().any(|&id| {
                m.parts
                    .get(id as usize)
                    .is_some_and(|p| matches!(p.body, mail_parser::PartType::Html(_)))
            })
        })
}

/// html2text's layout of a document of bounded depth.
fn laid_out(html: &str) -> String {
    let config = html2text::config::plain()
        .link_footnotes(true)
        .no_link_wrapping()
        .empty_img_mode(html2text::config::ImageRenderMode::IgnoreEmpty);
    match config.parse_html(html.as_bytes()) {
        Ok(dom) => {
            prune(&dom.document);
            config
                .dom_to_render_tree(&dom)
                .and_then(|tree| config.render_to_string(tree, WIDTH))
                .unwrap_or_default()
        }
        Err(_) => String::new(),
    }
}

/// Removes what is never shown and flattens what is nested too deep, without recursion.
fn prune(root: &Handle) {
    let mut stack: Vec<(Handle, usize)> = vec![(root.clone(), 0)];
    while let Some((node, depth)) = stack.pop() {
        if depth >= MAX_DEPTH {
            flatten(&node);
            continue;
        }
        node.children.borrow_mut().retain(|child| !hidden(child));
        for child in node.children.borrow().iter() {
            stack.push((child.clone(), depth + 1));
        }
    }
}

/// Makes every non-element descendant (the text) of `node` its direct child, in order, and
/// drops the elements between: the text stays readable, the nesting goes.
fn flatten(node: &Handle) {
    let mut texts = Vec::new();
    let mut pending: Vec<Handle> = node.children.take();
    pending.reverse();
    while let Some(n) = pending.pop() {
        if hidden(&n) {
            continue;
        }
        if matches!(n.data, Element { .. }) {
            let mut kids = n.children.take();
            kids.reverse();
            pending.extend(kids);
        } else {
            n.parent.set(Some(Rc::downgrade(node)));
            texts.push(n);
        }
    }
    *node.children.borrow_mut() = texts;
}

/// An element a mail client does not show: `<head>`, `<style>`, `<script>`, `<template>`,
/// `hidden`, or one whose inline style hides it.
fn hidden(node: &Handle) -> bool {
    let Element { name, attrs, .. } = &node.data else {
        return false;
    };
    if matches!(
        &*name.local,
        "head" | "style" | "script" | "template" | "title" | "noscript"
    ) {
        return true;
    }
    let attrs = attrs.borrow();
    attrs.iter().any(|a| {
        let key = &*a.name.local;
        key == "hidden" || (key == "style" && style_hides(&a.value))
    })
}

/// Whether an inline style (`a: b; c: d`) hides its element.
pub(super) fn style_hides(style: &str) -> bool {
    let mut zero_height = false;
    let mut zero_width = false;
    let mut overflow_hidden = false;
    for decl in style.split(';') {
        let Some((prop, value)) = decl.split_once(':') else {
            continue;
        };
        let prop = prop.trim().to_ascii_lowercase();
        let value = value
            .trim()
            .trim_end_matches("!important")
            .trim()
            .to_ascii_lowercase();
        let zero = is_zero(&value);
        match prop.as_str() {
            "display" if value == "none" => return true,
            "visibility" if value == "hidden" || value == "collapse" => return true,
            "opacity" | "font-size" | "line-height" if zero => {
                if prop != "line-height" {
                    return true;
                }
                zero_height = true;
            }
            "mso-hide" if value == "all" => return true,
            "height" | "max-height" if zero => zero_height = true,
            "width" | "max-width" if zero => zero_width = true,
            "overflow" | "overflow-y" | "overflow-x" if value == "hidden" => {
                overflow_hidden = true;
            }
            _ => {}
        }
    }
    (zero_height || zero_width) && overflow_hidden
}

/// `0`, `0px`, `0.0em`, `0%`…
fn is_zero(value: &str) -> bool {
    let number = value.trim_end_matches(|c: char| c.is_ascii_alphabetic() || c == '%');
    !number.is_empty() && number.parse::<f64>().is_ok_and(|n| n == 0.0)
}

#[cfg(test)]
#[path = "html_tests.rs"]
mod tests;
