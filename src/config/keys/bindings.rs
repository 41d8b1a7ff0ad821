//! The bindings that `[keys]` makes of the defaults, checked as a whole.

use std::collections::BTreeMap;
use std::fmt;

use super::{Action, Context, KeySpec, parse_key};
use crate::config::{KeyList, Keys};

/// A problem in the `[keys]` table, located by its dotted key (`keys.list.toggle_flag`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyConfigError {
    pub key: String,
    pub message: String,
}

impl fmt::Display for KeyConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`: {}", self.key, self.message)
    }
}

/// The bindings of every context: the defaults with `[keys]` applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bindings {
    /// Per context (by `Context::index`): (key, action), in help order.
    tables: [Vec<(KeySpec, Action)>; 4],
}

impl Default for Bindings {
    fn default() -> Bindings {
        // The defaults are checked by a unit test; should one ever fail to parse, that key is
        // left out rather than taking the program down.
        let tables = Context::ALL.map(|ctx| {
            ctx.specs()
                .flat_map(|s| {
                    s.keys
                        .iter()
                        .filter_map(|k| parse_key(k).ok())
                        .map(|k| (k, s.action))
                })
                .collect()
        });
        Bindings { tables }
    }
}

impl Bindings {
    /// The defaults with the `[keys]` configuration applied: a configured action replaces all
    /// of its default keys. Every problem is reported, not just the first.
    pub fn from_config(keys: &Keys) -> Result<Bindings, Vec<KeyConfigError>> {
        let mut map = Bindings::default();
        let mut errors = Vec::new();
        for ctx in Context::ALL {
            let table = match ctx {
                Context::List => &keys.list,
                Context::Reader => &keys.reader,
                Context::Compose => &keys.compose,
                Context::Command => &keys.command,
            };
            map.apply(ctx, table, &mut errors);
        }
        if errors.is_empty() {
            Ok(map)
        } else {
            Err(errors)
        }
    }

    fn apply(
        &mut self,
        ctx: Context,
        table: &BTreeMap<String, KeyList>,
        errors: &mut Vec<KeyConfigError>,
    ) {
        let path =
            |name: &str| format!("keys.{}.{}", ctx.name(), crate::sanitize::single_line(name));
        let mut configured: Vec<(Action, Vec<KeySpec>, String)> = Vec::new();
        for (name, list) in table {
            let Some(spec) = ctx.specs().find(|s| s.action.name() == name) else {
                let names: Vec<&str> = ctx.specs().map(|s| s.action.name()).collect();
                errors.push(KeyConfigError {
                    key: path(name),
                    message: format!(
                        "no such action in the {} context (actions: {})",
                        ctx.name(),
                        names.join(", ")
                    ),
                });
                continue;
            };
            let mut parsed = Vec::new();
            for spec_text in list.as_slice() {
                match parse_key(spec_text) {
                    Ok(k) if ctx.types_text() && k.is_text() => {
                        errors.push(KeyConfigError {
                            key: path(name),
                            message: format!(
                                "{:?} is typed as text in the {} context: bind a Ctrl- or named key",
                                k.to_string(),
                                ctx.name()
                            ),
                        });
                    }
                    Ok(k) if !parsed.contains(&k) => parsed.push(k),
                    Ok(_) => {}
                    Err(e) => errors.push(KeyConfigError {
                        key: path(name),
                        message: e.to_string(),
                    }),
                }
            }
            configured.push((spec.action, parsed, path(name)));
        }
        if configured.is_empty() {
            return;
        }
        let table = &mut self.tables[ctx.index()];
        table.retain(|(_, a)| !configured.iter().any(|(c, _, _)| c == a));
        // Configured keys go where the action's defaults were, so help keeps its order.
        for (action, keys, at) in configured {
            for k in keys {
                if let Some((_, other)) = table.iter().find(|(key, _)| *key == k) {
                    errors.push(KeyConfigError {
                        key: at.clone(),
                        message: format!(
                            "{:?} is also bound to {} in the {} context: bind {} to another key as well",
                            k.to_string(),
                            other.name(),
                            ctx.name(),
                            other.name()
                        ),
                    });
                    continue;
                }
                table.push((k, action));
            }
        }
        let order = |a: Action| ctx.specs().position(|s| s.action == a);
        table.sort_by_key(|(_, a)| order(*a));
    }

    /// The action bound to `key` in `ctx`, if any.
    pub fn action(&self, ctx: Context, key: KeySpec) -> Option<Action> {
        self.tables[ctx.index()]
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, a)| *a)
    }

    /// The keys bound to `action` in `ctx`, in the order they were given.
    pub fn keys_of(&self, ctx: Context, action: Action) -> Vec<KeySpec> {
        self.tables[ctx.index()]
            .iter()
            .filter(|(_, a)| *a == action)
            .map(|(k, _)| *k)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_parse_and_do_not_clash() {
        for ctx in Context::ALL {
            let mut seen: Vec<KeySpec> = Vec::new();
            for s in ctx.specs() {
                for k in s.keys {
                    let key = parse_key(k).unwrap_or_else(|e| panic!("{k}: {e}"));
                    assert!(!seen.contains(&key), "{} {k} twice", ctx.name());
                    if ctx.types_text() {
                        assert!(!key.is_text(), "{k} is text");
                    }
                    seen.push(key);
                }
            }
        }
        assert_eq!(
            Bindings::from_config(&Keys::default()),
            Ok(Bindings::default())
        );
    }

    #[test]
    fn overrides_replace_defaults_and_problems_are_named() {
        let mut keys = Keys::default();
        keys.list
            .insert("toggle_flag".into(), KeyList(vec!["F".into()]));
        let b = Bindings::from_config(&keys).expect("bindings");
        let f = parse_key("F").expect("F");
        assert_eq!(b.action(Context::List, f), Some(Action::ToggleFlag));
        assert_eq!(b.action(Context::List, parse_key("!").expect("!")), None);
        assert_eq!(b.keys_of(Context::List, Action::ToggleFlag), vec![f]);

        let mut keys = Keys::default();
        keys.list
            .insert("toggle_flag".into(), KeyList(vec!["j".into()]));
        keys.compose
            .insert("send".into(), KeyList(vec!["x".into()]));
        keys.reader
            .insert("nope".into(), KeyList(vec!["Alt-x".into()]));
        let errors = Bindings::from_config(&keys).expect_err("problems");
        let at: Vec<&str> = errors.iter().map(|e| e.key.as_str()).collect();
        assert_eq!(
            at,
            [
                "keys.list.toggle_flag",
                "keys.reader.nope",
                "keys.compose.send"
            ]
        );
        assert!(errors[0].message.starts_with("\"j\" is also bound to down"));
        assert!(
            errors[1]
                .message
                .starts_with("no such action in the reader context")
        );
        assert!(
            errors[2]
                .message
                .starts_with("\"x\" is typed as text in the compose context")
        );
    }
}
