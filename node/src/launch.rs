//! Starting and stopping `keel node`: the server, interval mining, the state file (loaded at
//! start, saved periodically and on SIGINT/SIGTERM) and the start banner.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use jsonrpsee::server::ServerHandle;

use keel_chain::executor::ChainDb;

use crate::node::Node;
use crate::rpc::{self, Shared};

/// How to run the node.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Address to listen on.
    pub host: IpAddr,
    /// Port to listen on (0: any free port).
    pub port: u16,
    /// Chain id.
    pub chain_id: u64,
    /// ArbOS version (decides the recent-program entry discount).
    pub arbos_version: u64,
    /// Seal a block every interval instead of after every transaction.
    pub block_time: Option<Duration>,
    /// State file: loaded at start when present, saved periodically and on exit.
    pub state: Option<PathBuf>,
    /// How often the state file is saved while running.
    pub save_every: Duration,
    /// Accounts, code and storage a fresh chain starts from (not used when a state file is
    /// loaded): e.g. a vault wired on a [`keel_chain::TestChain`].
    pub genesis: Option<ChainDb>,
}

impl Default for NodeConfig {
    fn default() -> Self {
        NodeConfig {
            host: IpAddr::from([127, 0, 0, 1]),
            port: crate::DEFAULT_PORT,
            chain_id: crate::DEFAULT_CHAIN_ID,
            arbos_version: crate::DEFAULT_ARBOS_VERSION,
            block_time: None,
            state: None,
            save_every: Duration::from_secs(60),
            genesis: None,
        }
    }
}

/// A running node.
pub struct Running {
    /// Where it listens.
    pub addr: SocketAddr,
    /// The node.
    pub shared: Arc<Shared>,
    /// The server (stop it to stop serving).
    pub handle: ServerHandle,
    /// How long start-up took (state load and bind).
    pub started_in: Duration,
    config: NodeConfig,
}

impl Running {
    /// Saves the state file, if the node has one.
    pub fn save(&self) -> anyhow::Result<()> {
        match &self.config.state {
            Some(path) => self.shared.node().save(path),
            None => Ok(()),
        }
    }

    /// The start banner, as anvil prints it: accounts, keys, chain and address.
    pub fn banner(&self) -> String {
        let node = self.shared.node();
        let mut out = String::from("\nkeel node: a local Arbitrum chain (revm + Stylus)\n\nAvailable Accounts\n==================\n");
        for (i, signer) in node.signers().iter().enumerate() {
            out += &format!(
                "({i}) {} ({} ETH)\n",
                signer.address(),
                crate::node::DEV_BALANCE / 10u128.pow(18)
            );
        }
        out += "\nPrivate Keys\n==================\n";
        for (i, signer) in node.signers().iter().enumerate() {
            out += &format!(
                "({i}) 0x{}\n",
                alloy_primitives::hex::encode(signer.credential().to_bytes())
            );
        }
        out += &format!(
            "\n(0) is the Nitro dev node's key; (1)-(10) derive from \"{}\".\n\nChain ID:      {}\nArbOS version: {}\nMining:        {}\nBlock number:  {}\nState file:    {}\n\nListening on {} (HTTP and WebSocket), started in {} ms\n",
            crate::node::TEST_MNEMONIC,
            node.chain.chain_id(),
            self.config.arbos_version,
            match self.config.block_time {
                None => "automine".to_string(),
                Some(t) => format!("every {} s", t.as_secs_f32()),
            },
            node.latest_number(),
            self.config
                .state
                .as_ref()
                .map_or("none".to_string(), |p| p.display().to_string()),
            self.addr,
            self.started_in.as_millis(),
        );
        out
    }
}

/// Starts the node on the current tokio runtime.
pub async fn launch(config: NodeConfig) -> anyhow::Result<Running> {
    let start = Instant::now();
    let mut node = match &config.state {
        Some(path) if path.exists() => Node::load(path, config.chain_id, config.arbos_version)?,
        _ => Node::with_genesis(
            config.chain_id,
            config.arbos_version,
            config.genesis.clone().unwrap_or_default(),
        ),
    };
    node.automine = config.block_time.is_none();
    let shared = Shared::new(node);
    let (addr, handle) =
        rpc::serve(shared.clone(), SocketAddr::new(config.host, config.port)).await?;
    if let Some(interval) = config.block_time {
        let miner = shared.clone();
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                miner.mutate(|n| n.mine());
            }
        });
    }
    if let Some(path) = config.state.clone() {
        let saver = shared.clone();
        let every = config.save_every;
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(every);
            ticks.tick().await;
            loop {
                ticks.tick().await;
                if let Err(e) = saver.node().save(&path) {
                    eprintln!("keel node: could not save {}: {e:#}", path.display());
                }
            }
        });
    }
    Ok(Running {
        addr,
        shared,
        handle,
        started_in: start.elapsed(),
        config,
    })
}

/// Runs the node until SIGINT or SIGTERM, then saves the state file and returns.
pub fn run(config: NodeConfig, print: impl Fn(&str)) -> anyhow::Result<()> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(async {
        let running = launch(config).await?;
        print(&running.banner());
        wait_for_shutdown().await;
        print("\nshutting down: saving state");
        running.save()?;
        let _ = running.handle.stop();
        Ok(())
    })
}

async fn wait_for_shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{signal, SignalKind};
        let Ok(mut term) = signal(SignalKind::terminate()) else {
            let _ = tokio::signal::ctrl_c().await;
            return;
        };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
    }
    #[cfg(not(unix))]
    {
        let _ = tokio::signal::ctrl_c().await;
    }
}
