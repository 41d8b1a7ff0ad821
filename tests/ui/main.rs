//! The UI in process: the app driven by key events and drawn on a ratatui `TestBackend` (no
//! servers, no terminal). One test crate, one module per area; the fixtures are
//! `crate::ui_support`. `cargo test --test ui`, or one area: `cargo test --test ui ui_keys::`.

#[path = "../ui_support/mod.rs"]
mod ui_support;

/// `insta::assert_snapshot!(name, value)` with the snapshot files where they were when each
/// module was a test crate of its own: `tests/snapshots/<module>__<name>.snap` (insta's own
/// default here would be `tests/ui/snapshots/ui__<module>__<name>.snap`). To accept a change:
/// `INSTA_UPDATE=always cargo test --test ui`, then review `git diff tests/snapshots`.
macro_rules! assert_snapshot {
    ($name:literal, $value:expr) => {
        insta::with_settings!({
            snapshot_path => "../snapshots",
            prepend_module_to_snapshot => false,
        }, {
            let module = module_path!().rsplit("::").next().unwrap_or_default();
            insta::assert_snapshot!(format!("{module}__{}", $name), $value)
        })
    };
}

mod ui_columns;
mod ui_complete;
mod ui_compose;
mod ui_compose_editor;
mod ui_compose_forward;
mod ui_conversation;
mod ui_demo_policy;
mod ui_drafts;
mod ui_help;
mod ui_html;
mod ui_identity;
mod ui_keys;
mod ui_layouts;
mod ui_merge;
mod ui_notes;
mod ui_notify;
mod ui_prompts;
mod ui_read_state;
mod ui_replying;
mod ui_review;
mod ui_search;
mod ui_send_warnings;
mod ui_sla;
mod ui_snapshots;
mod ui_snooze_zone;
mod ui_sort;
mod ui_stats;
mod ui_sync_progress;
mod ui_team_policy;
mod ui_templates;
mod ui_triage;
mod ui_undo;
mod ui_wire;
mod ui_wiring;
