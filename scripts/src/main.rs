//! `keel`: Keel's command-line tool.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};
use keel_cli::artifact;
use keel_cli::conformance::{self, Suite};

/// Keel: a portfolio-margin vault for Arbitrum, and the tools around it.
#[derive(Parser)]
#[command(name = "keel", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Margin an account (TOML/JSON, see examples/README.md) in isolated, cross and portfolio
    /// mode side by side; without FILE, a bundled example. `keel margin --json [FILE]`.
    #[command(disable_help_flag = true)]
    Margin {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run a folder of reference cases, one line each, then `N passed, M failed`.
    Conformance {
        /// `pm2` or `srm`.
        suite: String,
        /// Folder of cases.
        dir: PathBuf,
    },
    /// Check contract WASM for Stylus (features, floats, host interface) and print its
    /// deployable size.
    Artifact {
        #[arg(required = true)]
        files: Vec<String>,
    },
    /// Hold abi/*.sol against the contracts' exports: `keel abi (check|generate) [--export
    /// FILE] [--solc PATH] [--root DIR]`.
    #[command(disable_help_flag = true)]
    Abi {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true, required = true)]
        args: Vec<String>,
    },
    /// Deploy the built contracts in the embedded Stylus host and print sizes and gas
    /// figures: `keel bench [--json] [--wasm-dir DIR] [--profile [--names DIR]]`.
    #[command(disable_help_flag = true)]
    Bench {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<String>,
    },
    /// Run a local Arbitrum chain (revm + Stylus) with a JSON-RPC server, as the Nitro dev
    /// node does: chain 412346 on port 8547, its dev key and the test mnemonic's accounts.
    Node(NodeArgs),
}

#[derive(clap::Args)]
struct NodeArgs {
    /// Address to listen on.
    #[arg(long, env = "KEEL_NODE_HOST", default_value = "127.0.0.1")]
    host: std::net::IpAddr,
    /// Port to listen on (0: any free port).
    #[arg(long, short, env = "KEEL_NODE_PORT", default_value_t = keel_node::DEFAULT_PORT)]
    port: u16,
    /// Chain id.
    #[arg(long, env = "KEEL_CHAIN_ID", default_value_t = keel_node::DEFAULT_CHAIN_ID)]
    chain_id: u64,
    /// Seal a block every SECONDS instead of after every transaction.
    #[arg(long, short, env = "KEEL_BLOCK_TIME", value_name = "SECONDS")]
    block_time: Option<f64>,
    /// ArbOS version (60 and later: re-entering a program in a transaction skips its init
    /// cost).
    #[arg(long, env = "KEEL_ARBOS_VERSION", default_value_t = keel_node::DEFAULT_ARBOS_VERSION)]
    arbos_version: u64,
    /// State file: loaded at start when it exists, saved every --save-every seconds and on
    /// SIGINT/SIGTERM.
    #[arg(long, env = "KEEL_NODE_STATE", value_name = "FILE")]
    state: Option<PathBuf>,
    /// Seconds between periodic saves of --state.
    #[arg(long, default_value_t = 60, value_name = "SECONDS")]
    save_every: u64,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}

fn status(ok: bool) -> ExitCode {
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn run(command: Command) -> anyhow::Result<ExitCode> {
    match command {
        Command::Margin { args } => {
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            print!("{}", keel_cli::margin_report::run(&argv)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Conformance { suite, dir } => {
            let suite = Suite::from_name(&suite)
                .ok_or_else(|| anyhow::anyhow!("unknown suite `{suite}` (expected pm2 or srm)"))?;
            let (summary, _) =
                conformance::run_dir(suite, Path::new(&dir), |line| println!("{line}"))?;
            Ok(status(summary.failed == 0 && summary.passed > 0))
        }
        Command::Artifact { files } => {
            let files: Vec<&str> = files.iter().map(String::as_str).collect();
            Ok(status(artifact::run(&files, |line| println!("{line}"))?))
        }
        Command::Abi { args } => {
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            Ok(status(keel_cli::abi::run(&argv, &mut |line| {
                println!("{line}")
            })?))
        }
        Command::Bench { args } => {
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            print!("{}", keel_cli::bench::run(&argv)?);
            Ok(ExitCode::SUCCESS)
        }
        Command::Node(args) => {
            let block_time = match args.block_time {
                Some(s) if !(s > 0.0 && s.is_finite()) => {
                    anyhow::bail!("--block-time: {s} is not a positive number of seconds")
                }
                Some(s) => Some(Duration::from_secs_f64(s)),
                None => None,
            };
            let config = keel_node::launch::NodeConfig {
                host: args.host,
                port: args.port,
                chain_id: args.chain_id,
                arbos_version: args.arbos_version,
                block_time,
                state: args.state,
                save_every: Duration::from_secs(args.save_every.max(1)),
                genesis: None,
            };
            keel_node::launch::run(config, |text| println!("{text}"))?;
            Ok(ExitCode::SUCCESS)
        }
    }
}
