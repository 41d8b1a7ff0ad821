//! The command-line side of `tests/support/fill.rs`, compiled on its own by `tests/testbed/fill`
//! (`rustc -O`, std only; not a Cargo target).
//!
//!   fill-bin FOLDER_DIR ADDRESS N SEED [UID GID]
//!
//! Writes N messages into the Maildir folder FOLDER_DIR (cur/ tmp/), prints one summary line.

#[path = "../support/fill.rs"]
mod fill;

use std::process::ExitCode;
use std::time::Instant;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() != 4 && args.len() != 6 {
        eprintln!("usage: fill-bin FOLDER_DIR ADDRESS N SEED [UID GID]");
        return ExitCode::from(2);
    }
    let num = |s: &str, what: &str| -> Result<u64, String> {
        s.parse()
            .map_err(|_| format!("{what} must be a number, not {s:?}"))
    };
    let parsed = (|| -> Result<_, String> {
        let n = num(&args[2], "N")? as usize;
        let seed = num(&args[3], "SEED")?;
        let owner = if args.len() == 6 {
            Some((num(&args[4], "UID")? as u32, num(&args[5], "GID")? as u32))
        } else {
            None
        };
        Ok((n, seed, owner))
    })();
    let (n, seed, owner) = match parsed {
        Ok(v) => v,
        Err(e) => {
            eprintln!("fill: {e}");
            return ExitCode::from(2);
        }
    };
    let started = Instant::now();
    match fill::fill_maildir(args[0].as_ref(), &args[1], n, seed, owner) {
        Ok(msgs) => {
            let bytes: usize = msgs.iter().map(|m| m.size).sum();
            let replies = msgs.iter().filter(|m| m.in_reply_to.is_some()).count();
            println!(
                "wrote {} messages ({:.1} MiB, {} replies) in {:.2} s",
                msgs.len(),
                bytes as f64 / 1048576.0,
                replies,
                started.elapsed().as_secs_f64()
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("fill: {}: {e}", args[0]);
            ExitCode::from(1)
        }
    }
}
