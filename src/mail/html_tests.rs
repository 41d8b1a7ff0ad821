use super::*;

#[test]
fn blocks_lists_tables_and_quotes_keep_their_shape() {
    let text = to_text(
        "<h2>New lead</h2><p>First paragraph.</p><p>Second one.</p>\
         <ul><li>one</li><li>two</li></ul>\
         <table><tr><td>Company</td><td>Acme GmbH</td></tr><tr><td>Seats</td><td>8</td></tr></table>\
         <blockquote>quoted words</blockquote>",
    );
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines.iter().any(|l| l.contains("New lead")), "{text}");
    assert!(!text.contains("New leadFirst"), "{text}");
    assert!(text.contains("First paragraph.\n\nSecond one."), "{text}");
    assert!(
        lines.iter().any(|l| l.trim_start().starts_with("* one")),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l.trim_start().starts_with("* two")),
        "{text}"
    );
    // Table cells stay apart, one row a line.
    let row = lines.iter().find(|l| l.contains("Company")).unwrap();
    assert!(
        row.contains("Acme GmbH") && !row.contains("CompanyAcme"),
        "{text}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("> quoted words")),
        "{text}"
    );
}

#[test]
fn hidden_text_is_dropped() {
    let text = to_text(
        "<html><head><title>T1</title><style>p { color: red }</style>\
         <script>evil()</script></head><body>\
         <div style=\"display:none\">pre-header A</div>\
         <span style=\"visibility: hidden\">pre-header B</span>\
         <div style=\"max-height:0;overflow:hidden\">pre-header C</div>\
         <div style=\"font-size:0px\">pre-header D</div>\
         <div style=\"opacity:0\">pre-header E</div>\
         <div style=\"DISPLAY: NONE !important\">pre-header F</div>\
         <div hidden>pre-header G</div>\
         <script>alert(1)</script><style>.x{}</style>\
         <p>Visible</p></body></html>",
    );
    assert_eq!(text, "Visible");
}

#[test]
fn links_are_numbered_with_their_urls_under_the_text() {
    let text = to_text(
        "<p><a href=\"https://crm.example.test/leads/1\">Open in CRM</a> or \
         <a href=\"https://example.test/other\">the other</a></p>",
    );
    assert!(text.contains("Open in CRM][1]"), "{text}");
    assert!(text.contains("the other][2]"), "{text}");
    let tail: Vec<&str> = text.lines().rev().take(2).collect();
    assert_eq!(
        tail,
        [
            "[2]: https://example.test/other",
            "[1]: https://crm.example.test/leads/1"
        ]
    );
}

#[test]
fn entities_and_text_survive() {
    assert_eq!(
        to_text("<p>We&#39;d like a demo &amp; a quote.</p>"),
        "We'd like a demo & a quote."
    );
}

#[test]
fn deep_nesting_keeps_its_text_without_blowing_the_stack() {
    let depth = 100_000;
    let html = format!(
        "{}deep text{}",
        "<div>".repeat(depth),
        "</div>".repeat(depth)
    );
    let started = std::time::Instant::now();
    // The default test thread's small stack is the point: no recursion per level. The time
    // bound is loose (a debug build on a loaded machine); the tree builder on this input
    // took more than ten minutes.
    let text = to_text(&html);
    assert!(text.contains("deep text"), "{text}");
    let nested = format!("{}x", "<table><tr><td>".repeat(20_000));
    let text = to_text(&nested);
    assert!(text.contains('x'));
    // Just under the tree's bound: laid out, its deepest levels flattened.
    let nested = format!(
        "<p>top</p>{}inner",
        "<blockquote><div>".repeat(MAX_TREE_DEPTH / 2 - 4)
    );
    let text = to_text(&nested);
    assert!(text.contains("top") && text.contains("inner"), "{text}");
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn huge_input_is_cut_and_said() {
    let para = "<p>".to_string() + &"word ".repeat(200) + "</p>";
    let html = para.repeat(10 * 1024 * 1024 / para.len() + 1);
    assert!(html.len() > 10 << 20);
    let started = std::time::Instant::now();
    let text = to_text(&html);
    assert!(
        text.ends_with("press o to open it whole]"),
        "{}",
        &text[text.len() - 200..]
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}

#[test]
fn escapes_are_left_for_the_sanitizer_and_removed_by_it() {
    let text = to_text("<p>a\u{1b}[31mb</p>");
    let shown = crate::sanitize::multi_line(&text);
    assert!(!shown.contains('\u{1b}'), "{shown}");
}

#[test]
fn too_deep_for_a_tree_still_drops_what_is_hidden() {
    let deep = "<div>".repeat(MAX_TREE_DEPTH + 10);
    let text = to_text(&format!(
        "<html><head><title>T</title><style>p {{}}</style></head><body>{deep}\
         <div style=\"display:none\">pre <div>header</div> still hidden</div>\
         <script>evil()</script><p>Visible</p><div hidden>gone</div><p>too</p></body></html>"
    ));
    assert_eq!(text, "Visible\ntoo");
    // Nesting inside a skipped element still counts: the tree builder would see it.
    let hidden_deep = format!("<template>{}</template><p>x</p>", "<div>".repeat(50_000));
    let started = std::time::Instant::now();
    assert!(to_text(&hidden_deep).contains('x'));
    assert!(started.elapsed() < std::time::Duration::from_secs(30));
}
