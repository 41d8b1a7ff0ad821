//! Configuration: the user's contract (see `config.example.toml` and `man 5 mailroom.toml`).

mod error;
mod hours;
pub mod keys;
mod layout;
mod load;
mod model;
pub mod notify;
pub mod secret;
pub mod template;
pub mod theme;
mod validate;
mod view;

pub use error::{ConfigError, Problem};
pub use hours::{BusinessHours, ParseError, parse_offset, weekday_index};
pub use layout::Layout;
pub use load::{Loaded, default_path, line_column, load, parse, resolve as resolve_path};
pub use model::*;
pub use secret::{Secret, SecretError};
pub use validate::{is_loopback, is_valid_address, is_valid_agent_id};
pub use view::View;
