//! `keel`: Keel's command-line tool.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use alloy::primitives::U256;
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
    /// mode side by side; without FILE, a bundled example. `keel margin --json [FILE]`;
    /// `keel margin --account ID [--rpc-url URL]`: a live account of a deployment.
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
    /// Deploy Keel and configure it from a deployment file (deploy/*.toml): every program
    /// through the StylusDeployer at CREATE2 addresses, local tokens and feeds on local chains,
    /// then each setting read and sent only where it differs — a rerun sends nothing. Writes
    /// deployments/<chainId>.json.
    Deploy(DeployArgs),
    /// Check a deployment: code hashes against the local artifacts, activation and expiry,
    /// the configuration against its file.
    Verify(DeployArgs),
    /// Mint a local deployment's test tokens: `keel faucet SYMBOL TO AMOUNT` (whole units).
    Faucet(FaucetArgs),
    /// Use a Keel account: open, deposit, withdraw, positions, margin, mode, operator.
    Account {
        #[command(subcommand)]
        action: AccountAction,
        #[command(flatten)]
        chain: ChainArgs,
    },
    /// Trade through Keel's RFQ market: the maker's key signs an EIP-712 quote, the sender fills
    /// it into its account: `keel trade perp WETH --size 1 --price 2000 --maker 2 --taker 1
    /// --maker-key KEY`.
    Trade {
        /// perp, call or put.
        kind: String,
        /// The underlying's asset symbol (e.g. WETH for the ETH underlying).
        underlying: String,
        /// What the taker receives, in units of the underlying (negative: sells).
        #[arg(long, allow_hyphen_values = true)]
        size: String,
        /// USD per unit (the perp price or the option premium).
        #[arg(long)]
        price: String,
        /// Options: expiry, Unix seconds.
        #[arg(long, default_value_t = 0)]
        expiry: u64,
        /// Options: strike, USD.
        #[arg(long, default_value = "0")]
        strike: String,
        /// The maker's account.
        #[arg(long)]
        maker: U256,
        /// The taker's (sender's) account.
        #[arg(long)]
        taker: U256,
        /// The maker's private key (hex), or KEEL_MAKER_KEY.
        #[arg(long, env = "KEEL_MAKER_KEY", hide_env_values = true)]
        maker_key: String,
        #[command(flatten)]
        chain: ChainArgs,
    },
    /// The oracle adapter as a feeder: `keel oracle push UNDERLYING EXPIRY --forward F --rate R
    /// --svi-a … --svi-sigma …` pushes one expiry's forward, rate and SVI slice.
    Oracle {
        #[command(subcommand)]
        action: OracleAction,
        #[command(flatten)]
        chain: ChainArgs,
    },
    /// The deployment's state: paused, sequencer, feed ages, insurance fund, socialised loss,
    /// accounts and open auctions.
    Status(ChainArgs),
    /// Run a forge project's Solidity tests against Keel's real WASM: deploy Keel on an
    /// in-process keel node, write its addresses into a `KeelDeployment` library, build with
    /// forge, run `setUp` and each `test*` in its own snapshot with Foundry's cheatcodes, report
    /// as forge does.
    ForgeTest(keel_cli::forge_test::ForgeTestArgs),
    /// Reliability harnesses on the real WASM: `keel fuzz invariants --runs N --seed S` runs
    /// generated sequences of vault calls with every invariant checked after every step;
    /// `keel fuzz faults` the fault and hostile-counterpart table.
    Fuzz {
        #[command(subcommand)]
        harness: keel_cli::fuzz::FuzzCommand,
    },
    /// The whole system in one command: keel node in-process, Keel deployed, the examples/
    /// strategies and a few over-levered accounts opened and traded through the RFQ market,
    /// each margined in all three modes, then a 40 % ETH crash and a stETH depeg, the keeper
    /// run, and what happened reported.
    Demo(keel_cli::demo::DemoArgs),
    /// Stress replays: ETH's 2020-03-12 and 2021-05-19 falls (hourly), stETH at 0.935, a
    /// 4-hour sequencer outage and a vol spike, against the examples' strategies opened at
    /// initial margin, the keeper running every hour; liquidations, bad debt and any account
    /// insolvent before a keeper could act, per scenario.
    Stress(keel_cli::stress::StressArgs),
    /// The liquidation keeper: finds accounts from the vault's events, margins them natively
    /// with keel-risk, starts auctions of accounts below maintenance margin and bids once the
    /// discount pays for gas and its profit (keeper/keeper.toml documents its settings).
    Keeper {
        #[command(flatten)]
        args: keel_cli::keeper::KeeperArgs,
        #[command(flatten)]
        chain: ChainArgs,
    },
}

#[derive(Subcommand)]
enum OracleAction {
    /// Push one expiry's forward, rate and raw-SVI slice (observed now).
    Push {
        /// The underlying's asset symbol (e.g. WETH).
        underlying: String,
        /// Expiry, Unix seconds.
        expiry: u64,
        /// Forward price, USD.
        #[arg(long)]
        forward: String,
        /// Continuously compounded annual rate.
        #[arg(long, allow_hyphen_values = true)]
        rate: String,
        #[arg(long, allow_hyphen_values = true)]
        svi_a: String,
        #[arg(long)]
        svi_b: String,
        #[arg(long, allow_hyphen_values = true)]
        svi_rho: String,
        #[arg(long, allow_hyphen_values = true)]
        svi_m: String,
        #[arg(long)]
        svi_sigma: String,
        /// The feeder's confidence in [0, 1].
        #[arg(long, default_value = "1")]
        confidence: String,
    },
}

#[derive(Subcommand)]
enum AccountAction {
    /// Open an account owned by the sender; prints its id.
    Open {
        /// isolated, cross or portfolio.
        #[arg(long, default_value = "portfolio")]
        mode: String,
    },
    /// Deposit AMOUNT whole units of SYMBOL (approving the vault first if needed).
    Deposit {
        id: U256,
        symbol: String,
        amount: String,
    },
    /// Withdraw AMOUNT whole units of SYMBOL (to the sender unless --to).
    Withdraw {
        id: U256,
        symbol: String,
        amount: String,
        #[arg(long)]
        to: Option<alloy::primitives::Address>,
    },
    /// The account's positions.
    Positions { id: U256 },
    /// The account's margin in all three modes (marginAllModes), USD.
    Margin { id: U256 },
    /// Switch the account to MODE (isolated, cross or portfolio).
    Mode { id: U256, mode: String },
    /// Approve (or --revoke) an operator on the account.
    Operator {
        id: U256,
        operator: alloy::primitives::Address,
        #[arg(long)]
        revoke: bool,
    },
}

#[derive(clap::Args)]
struct ChainArgs {
    /// JSON-RPC endpoint.
    #[arg(
        long,
        global = true,
        env = "KEEL_RPC_URL",
        default_value = "http://127.0.0.1:8547"
    )]
    rpc_url: String,
    /// Where deployment records (<chainId>.json) are kept.
    #[arg(
        long,
        global = true,
        env = "KEEL_DEPLOYMENTS",
        default_value = "deployments",
        value_name = "DIR"
    )]
    deployments: PathBuf,
    #[command(flatten)]
    key: keel_cli::deployment::KeyArgs,
    /// Print JSON for machines instead of text.
    #[arg(long, global = true)]
    json: bool,
}

/// `keel margin --account ID`: a live account in all three modes.
#[derive(Parser)]
struct MarginLive {
    /// The account.
    #[arg(long)]
    account: U256,
    #[command(flatten)]
    chain: ChainArgs,
}

#[derive(clap::Args)]
struct DeployArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The deployment file.
    #[arg(
        long,
        short,
        env = "KEEL_DEPLOY_CONFIG",
        default_value = "deploy/local.toml",
        value_name = "FILE"
    )]
    config: PathBuf,
    /// The built contracts (`keel artifact` checks each before it is deployed).
    #[arg(long, env = "KEEL_WASM_DIR", value_name = "DIR")]
    wasm_dir: Option<PathBuf>,
    /// Print the plan and its estimated gas; send nothing.
    #[arg(long)]
    dry_run: bool,
    /// Bid to cache every program in ArbOS's cache manager (the minimum bid).
    #[arg(long)]
    cache: bool,
}

#[derive(clap::Args)]
struct FaucetArgs {
    #[command(flatten)]
    chain: ChainArgs,
    /// The token's symbol in the deployment (e.g. USDC).
    symbol: String,
    /// Who receives it.
    to: alloy::primitives::Address,
    /// Whole units (e.g. 1000.5).
    amount: String,
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

fn runtime() -> anyhow::Result<tokio::runtime::Runtime> {
    Ok(tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?)
}

fn deploy_command(args: DeployArgs, verify_only: bool) -> anyhow::Result<ExitCode> {
    use keel_cli::deployment;
    let config = deployment::load_config(&args.config)?;
    let local = deployment::is_local(config.chain_id);
    if config.has_local_sources() && !local {
        anyhow::bail!(
            "{}: \"local\" tokens and feeds are for local chains, not chain {}",
            args.config.display(),
            config.chain_id
        );
    }
    let wasm_dir = args
        .wasm_dir
        .unwrap_or_else(keel_cli::contracts::default_artifact_dir);
    let artifacts =
        deployment::artifacts(&wasm_dir, config.has_local_sources(), config.rfq_market)?;
    let json = args.chain.json;
    let record_dir = args.chain.deployments.clone();
    if verify_only {
        let record_path = keel_deploy::Record::path(&record_dir, config.chain_id);
        let record = keel_deploy::Record::load(&record_path)?;
        let report = runtime()?.block_on(keel_deploy::verify::verify(
            &args.chain.rpc_url,
            config,
            &record,
            record_dir,
            &artifacts,
        ))?;
        if json {
            println!("{}", serde_json::to_string_pretty(&report)?);
        } else {
            for p in &report.programs {
                let left = p
                    .time_left
                    .map_or("-".to_string(), |s| format!("{} days", s / 86_400));
                println!(
                    "{:<18} code {:<9} active {:<5} cached {:<5} expires in {left}",
                    p.role,
                    if p.code_matches { "matches" } else { "DIFFERS" },
                    p.active,
                    p.cached
                );
            }
            for d in &report.differences {
                println!("differs from the file: {d}");
            }
            println!(
                "{}",
                if report.ok() {
                    "verified"
                } else {
                    "NOT verified"
                }
            );
        }
        return Ok(status(report.ok()));
    }
    let signer = args.chain.key.signer(local)?;
    let options = keel_deploy::Options {
        rpc_url: args.chain.rpc_url.clone(),
        signer,
        config,
        record_dir,
        dry_run: args.dry_run,
        cache: args.cache,
        plan_as: None,
    };
    let mut progress = keel_cli::progress::DeployProgress::stderr();
    let mut say = |event: keel_deploy::Progress<'_>| progress.show(event);
    let deployed = runtime()?.block_on(keel_deploy::deploy(options, &artifacts, &mut say));
    progress.finish();
    let summary = deployed?;
    if json {
        println!("{}", serde_json::to_string_pretty(&summary)?);
    } else if args.dry_run {
        let gas: u64 = summary.steps.iter().filter_map(|s| s.gas).sum();
        println!(
            "plan: {} transactions, ~{gas} gas estimated for those the chain can estimate now, estimated cost {} wei",
            summary.steps.len(),
            summary.cost_wei
        );
    } else {
        println!(
            "chain {}: {} transactions sent, {} gas, {} wei, {:.1} s; record {}",
            summary.chain_id,
            summary.sent,
            summary.gas_used,
            summary.cost_wei,
            summary.seconds,
            summary.record_path.display()
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The chain id at `rpc_url` and a signer for it (the dev key by default on local chains).
fn chain_signer(
    rt: &tokio::runtime::Runtime,
    chain: &ChainArgs,
) -> anyhow::Result<alloy::signers::local::PrivateKeySigner> {
    let chain_id = rt.block_on(async {
        use alloy::providers::Provider;
        let url = chain
            .rpc_url
            .parse()
            .map_err(|_| anyhow::anyhow!("--rpc-url: `{}` is not a URL", chain.rpc_url))?;
        anyhow::Ok(
            alloy::providers::ProviderBuilder::new()
                .connect_http(url)
                .get_chain_id()
                .await?,
        )
    })?;
    chain.key.signer(keel_cli::deployment::is_local(chain_id))
}

fn account_command(action: AccountAction, chain: ChainArgs) -> anyhow::Result<ExitCode> {
    use keel_cli::drive::{mode_number, Session};
    let rt = runtime()?;
    let signer = chain_signer(&rt, &chain)?;
    let session = rt.block_on(Session::connect(
        &chain.rpc_url,
        &chain.deployments,
        &signer,
    ))?;
    let print_sent = |sent: &[keel_cli::drive::Sent]| {
        for s in sent {
            println!("{}: gas {}, tx {}", s.what, s.gas_used, s.transaction_hash);
        }
    };
    let json = chain.json;
    let sent: Vec<keel_cli::drive::Sent> = match action {
        AccountAction::Open { mode } => {
            let (id, sent) = rt.block_on(session.open(mode_number(&mode)?))?;
            if json {
                println!(
                    "{}",
                    serde_json::json!({"id": id.to_string(), "gasUsed": sent.gas_used, "transactionHash": sent.transaction_hash})
                );
            } else {
                println!(
                    "account {id} ({mode}): gas {}, tx {}",
                    sent.gas_used, sent.transaction_hash
                );
            }
            return Ok(ExitCode::SUCCESS);
        }
        AccountAction::Deposit { id, symbol, amount } => {
            rt.block_on(session.deposit(id, &symbol, &amount))?
        }
        AccountAction::Withdraw {
            id,
            symbol,
            amount,
            to,
        } => {
            vec![rt.block_on(session.withdraw(id, &symbol, &amount, to))?]
        }
        AccountAction::Mode { id, mode } => {
            vec![rt.block_on(session.set_mode(id, mode_number(&mode)?))?]
        }
        AccountAction::Operator {
            id,
            operator,
            revoke,
        } => {
            vec![rt.block_on(session.set_operator(id, operator, !revoke))?]
        }
        AccountAction::Margin { id } => {
            let rows = rt.block_on(session.margin(id))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                println!(
                    "{:<10} {:>20} {:>20} {:>20}",
                    "mode", "value USD", "IM surplus USD", "MM surplus USD"
                );
                for r in rows {
                    println!(
                        "{:<10} {:>20} {:>20} {:>20}",
                        r.mode, r.mark_to_market, r.initial_surplus, r.maintenance_surplus
                    );
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
        AccountAction::Positions { id } => {
            let positions = rt.block_on(session.positions(id))?;
            if json {
                let rows: Vec<_> = positions
                    .iter()
                    .map(|(i, s, b)| serde_json::json!({"instrument": i.to_string(), "size": s.to_string(), "basis": b.to_string()}))
                    .collect();
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else if positions.is_empty() {
                println!("account {id} holds no position");
            } else {
                for (instrument, size, basis) in positions {
                    println!("instrument {instrument}: size {size} (wad), basis {basis}");
                }
            }
            return Ok(ExitCode::SUCCESS);
        }
    };
    if json {
        println!("{}", serde_json::to_string_pretty(&sent)?);
    } else {
        print_sent(&sent);
    }
    Ok(ExitCode::SUCCESS)
}

fn status_command(chain: ChainArgs) -> anyhow::Result<ExitCode> {
    let rt = runtime()?;
    let reader = alloy::signers::local::PrivateKeySigner::random();
    let session = rt.block_on(keel_cli::drive::Session::connect(
        &chain.rpc_url,
        &chain.deployments,
        &reader,
    ))?;
    let status = rt.block_on(session.status())?;
    if chain.json {
        println!("{}", serde_json::to_string_pretty(&status)?);
    } else {
        println!("paused:          {}", status.paused);
        match status.sequencer_up {
            Some(up) => println!(
                "sequencer:       {} since {}",
                if up { "up" } else { "DOWN" },
                status.sequencer_since.unwrap_or_default()
            ),
            None => println!("sequencer:       no uptime feed"),
        }
        for f in &status.feeds {
            let age = f
                .age_seconds
                .map_or("no answer".to_string(), |s| format!("{s} s old"));
            println!("feed {:<10} {} {age}", f.symbol, f.feed);
        }
        println!("insurance fund:  {} USD", status.insurance_fund);
        println!("socialised loss: {} USD", status.socialised_loss);
        println!("accounts:        {}", status.accounts);
        println!("open auctions:   {:?}", status.open_auctions);
    }
    Ok(ExitCode::SUCCESS)
}

fn forge_test_command(args: keel_cli::forge_test::ForgeTestArgs) -> anyhow::Result<ExitCode> {
    use keel_cli::forge_test;
    let run = forge_test::run(&args, &mut |line| {
        if line.starts_with("Ran ") {
            println!("{line}");
        } else {
            eprintln!("{line}");
        }
    })?;
    if args.json {
        println!("{}", serde_json::to_string_pretty(&forge_test::json(&run))?);
    } else {
        print!(
            "{}",
            keel_forge_test::report::summary(&run.suites, run.seconds)
        );
    }
    Ok(status(run.ok()))
}

fn fuzz_command(harness: keel_cli::fuzz::FuzzCommand) -> anyhow::Result<ExitCode> {
    use keel_cli::fuzz;
    match harness {
        fuzz::FuzzCommand::Invariants(args) => {
            let report = fuzz::invariants(&args, &mut |line| eprintln!("{line}"))?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                print!("{}", fuzz::text(&report));
            }
            Ok(status(report.failure.is_none()))
        }
        fuzz::FuzzCommand::Calldata(args) => {
            let run = fuzz::calldata(&args, &|line| eprintln!("{line}"))?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&run)?);
            } else {
                print!("{}", fuzz::calldata_text(&run));
            }
            Ok(status(run.clean()))
        }
        fuzz::FuzzCommand::Faults(args) => {
            let rows = fuzz::faults(&args, &mut |line| eprintln!("{line}"))?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&rows)?);
            } else {
                print!("{}", fuzz::fault_table(&rows));
            }
            Ok(status(rows.iter().all(|r| r.held)))
        }
    }
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
        Command::Margin { args } if args.iter().any(|a| a == "--account") => {
            let live =
                MarginLive::try_parse_from(std::iter::once("keel margin".to_string()).chain(args))?;
            account_command(AccountAction::Margin { id: live.account }, live.chain)
        }
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
        Command::Deploy(args) => deploy_command(args, false),
        Command::Account { action, chain } => account_command(action, chain),
        Command::Status(chain) => status_command(chain),
        Command::ForgeTest(args) => forge_test_command(args),
        Command::Fuzz { harness } => fuzz_command(harness),
        Command::Demo(args) => {
            let report = keel_cli::demo::run(&args, &mut |line| eprintln!("{line}"))?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&report)?);
            } else {
                println!("{}", keel_cli::demo::outcome_table(&report));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Stress(args) => {
            let reports = keel_cli::stress::run(&args, &mut |line| eprintln!("{line}"))?;
            if args.json {
                println!("{}", serde_json::to_string_pretty(&reports)?);
            } else {
                println!("{}", keel_cli::stress::table(&reports));
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Keeper { args, chain } => {
            let json = chain.json;
            keel_cli::keeper::run(
                &args,
                &chain.rpc_url,
                &chain.deployments,
                &chain.key,
                |round| {
                    if json {
                        println!("{}", serde_json::to_string(round).unwrap_or_default());
                    } else {
                        println!("{}", keel_cli::keeper::line(round));
                    }
                },
            )?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Oracle {
            action:
                OracleAction::Push {
                    underlying,
                    expiry,
                    forward,
                    rate,
                    svi_a,
                    svi_b,
                    svi_rho,
                    svi_m,
                    svi_sigma,
                    confidence,
                },
            chain,
        } => {
            let rt = runtime()?;
            let signer = chain_signer(&rt, &chain)?;
            let session = rt.block_on(keel_cli::drive::Session::connect(
                &chain.rpc_url,
                &chain.deployments,
                &signer,
            ))?;
            let push = keel_cli::drive::ExpiryPush {
                underlying,
                expiry,
                forward,
                rate,
                svi: [svi_a, svi_b, svi_rho, svi_m, svi_sigma],
                confidence,
            };
            let sent = rt.block_on(session.push_expiry(&push))?;
            if chain.json {
                println!("{}", serde_json::to_string_pretty(&sent)?);
            } else {
                println!(
                    "{}: gas {}, tx {}",
                    sent.what, sent.gas_used, sent.transaction_hash
                );
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Trade {
            kind,
            underlying,
            size,
            price,
            expiry,
            strike,
            maker,
            taker,
            maker_key,
            chain,
        } => {
            let rt = runtime()?;
            let signer = chain_signer(&rt, &chain)?;
            let maker_key: alloy::signers::local::PrivateKeySigner = maker_key
                .trim()
                .parse()
                .map_err(|_| anyhow::anyhow!("--maker-key: not a 32-byte hex private key"))?;
            let session = rt.block_on(keel_cli::drive::Session::connect(
                &chain.rpc_url,
                &chain.deployments,
                &signer,
            ))?;
            let request = keel_cli::drive::TradeRequest {
                kind,
                underlying,
                expiry,
                strike,
                size,
                price,
                maker_account: maker,
                taker_account: taker,
            };
            let sent = rt.block_on(session.trade(&maker_key, &request))?;
            if chain.json {
                println!("{}", serde_json::to_string_pretty(&sent)?);
            } else {
                for s in sent {
                    println!("{}: gas {}, tx {}", s.what, s.gas_used, s.transaction_hash);
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Verify(args) => deploy_command(args, true),
        Command::Faucet(args) => {
            let path = keel_deploy::Record::path(&args.chain.deployments, 0);
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let rt = runtime()?;
            let chain_id = rt.block_on(async {
                use alloy::providers::Provider;
                let url = args
                    .chain
                    .rpc_url
                    .parse()
                    .map_err(|_| anyhow::anyhow!("--rpc-url: not a URL"))?;
                anyhow::Ok(
                    alloy::providers::ProviderBuilder::new()
                        .connect_http(url)
                        .get_chain_id()
                        .await?,
                )
            })?;
            let record = keel_deploy::Record::load(&keel_deploy::Record::path(&dir, chain_id))?;
            let signer = args
                .chain
                .key
                .signer(keel_cli::deployment::is_local(chain_id))?;
            let (units, tx) = rt.block_on(keel_cli::deployment::faucet(
                &args.chain.rpc_url,
                &signer,
                &record,
                &args.symbol,
                args.to,
                &args.amount,
            ))?;
            if args.chain.json {
                println!(
                    "{}",
                    serde_json::json!({"token": args.symbol, "to": args.to, "units": units.to_string(), "transactionHash": tx})
                );
            } else {
                println!(
                    "minted {} {} ({units} units) to {} in {tx}",
                    args.amount, args.symbol, args.to
                );
            }
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
