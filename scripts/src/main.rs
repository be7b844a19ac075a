//! `keel`: Keel's command-line tool.

use std::path::Path;
use std::process::ExitCode;

use keel_cli::artifact;
use keel_cli::conformance::{self, Suite};

const USAGE: &str = "usage:
  keel margin [--json] [FILE]      margin an account (TOML/JSON, see examples/README.md) in
                                   isolated, cross and portfolio mode side by side; without
                                   FILE, a bundled example
  keel conformance (pm2|srm) DIR   run reference cases, one line each, then `N passed, M failed`
  keel artifact FILE.wasm...       check contract WASM for Stylus (features, floats, host
                                   interface) and print its deployable size
  keel abi (check|generate) [--export FILE] [--solc PATH] [--root DIR]
                                   hold abi/*.sol against the contracts' exports (built with
                                   `cargo run -p keel-abi-export --features export-abi`, or read
                                   from FILE); `check` also compares abi/*.json, `generate`
                                   writes them; run from the repository root
  keel bench [--json] [--wasm-dir DIR]
                                   deploy the built contracts (default DIR
                                   target/wasm32-unknown-unknown/contract) in the embedded
                                   Stylus host and print their sizes and gas figures
  keel bench --profile [--wasm-dir DIR] [--names DIR]
                                   the portfolio engine's ink per function in the
                                   16-option margin check (names from an unstripped build
                                   in DIR)";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let argv: Vec<&str> = args.iter().map(String::as_str).collect();
    match run(&argv) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn run(args: &[&str]) -> anyhow::Result<ExitCode> {
    match args {
        ["margin", rest @ ..] => {
            print!("{}", keel_cli::margin_report::run(rest)?);
            Ok(ExitCode::SUCCESS)
        }
        ["conformance", suite, dir] => {
            let suite = Suite::from_name(suite)
                .ok_or_else(|| anyhow::anyhow!("unknown suite `{suite}` (expected pm2 or srm)"))?;
            let (summary, _) =
                conformance::run_dir(suite, Path::new(dir), |line| println!("{line}"))?;
            Ok(if summary.failed == 0 && summary.passed > 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        ["artifact", files @ ..] if !files.is_empty() => {
            let ok = artifact::run(files, |line| println!("{line}"))?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        ["abi", rest @ ..] if !rest.is_empty() => {
            let ok = keel_cli::abi::run(rest, &mut |line| println!("{line}"))?;
            Ok(if ok {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        ["bench", rest @ ..] => {
            print!("{}", keel_cli::bench::run(rest)?);
            Ok(ExitCode::SUCCESS)
        }
        _ => {
            eprintln!("{USAGE}");
            Ok(ExitCode::from(2))
        }
    }
}
