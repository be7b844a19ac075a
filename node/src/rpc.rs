//! The JSON-RPC server (jsonrpsee): HTTP with batches and WebSocket with `eth_subscribe`, on
//! one port. Each method reads its parameters, asks the [`Node`] and returns alloy's RPC types;
//! the node's errors become JSON-RPC errors with readable messages (`3` with the revert data
//! for a revert, `-32000` for a refused transaction, `-32602` for a bad parameter).

use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use alloy_rpc_types_eth::state::StateOverride;
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use alloy_sol_types::SolError;
use jsonrpsee::server::{
    BatchRequestConfig, RpcModule, Server, ServerConfig, ServerHandle, SubscriptionMessage,
};
use jsonrpsee::types::{ErrorObjectOwned, Params};
use serde::de::DeserializeOwned;
use serde_json::{json, Value};
use tokio::sync::broadcast;

use crate::node::{Node, NodeError};

/// The largest request body the server reads (bytes): enough for a 24 KiB program's
/// deployment several times over.
pub const MAX_REQUEST_BYTES: u32 = 8 * 1024 * 1024;
/// The most calls one batch may hold.
pub const MAX_BATCH: u32 = 1_000;
/// What `web3_clientVersion` answers.
pub const CLIENT_VERSION: &str = concat!("keel-node/v", env!("CARGO_PKG_VERSION"));

/// The node as the server shares it, with the feed of sealed block numbers.
pub struct Shared {
    node: Mutex<Node>,
    blocks: broadcast::Sender<u64>,
}

impl Shared {
    /// Shares `node`.
    pub fn new(node: Node) -> Arc<Self> {
        let (blocks, _) = broadcast::channel(1024);
        Arc::new(Shared {
            node: Mutex::new(node),
            blocks,
        })
    }

    /// The node, locked.
    pub fn node(&self) -> MutexGuard<'_, Node> {
        self.node.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Runs `f` on the node and announces every block it sealed.
    pub fn mutate<T>(&self, f: impl FnOnce(&mut Node) -> T) -> T {
        let mut node = self.node();
        let before = node.latest_number();
        let out = f(&mut node);
        let after = node.latest_number();
        drop(node);
        for number in before + 1..=after {
            let _ = self.blocks.send(number);
        }
        out
    }
}

type RpcResult<T> = Result<T, ErrorObjectOwned>;

fn invalid_params(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(-32602, message.into(), None::<()>)
}

fn server_error(message: impl Into<String>) -> ErrorObjectOwned {
    ErrorObjectOwned::owned(-32000, message.into(), None::<()>)
}

impl From<NodeError> for ErrorObjectOwned {
    fn from(e: NodeError) -> Self {
        match e {
            NodeError::Params(m) => invalid_params(m),
            NodeError::Invalid(m) | NodeError::Halted(m) => server_error(m),
            NodeError::Reverted(data) => {
                let message = match alloy_sol_types::Revert::abi_decode(&data) {
                    Ok(reason) => format!("execution reverted: {}", reason.reason),
                    Err(_) => "execution reverted".to_string(),
                };
                ErrorObjectOwned::owned(3, message, Some(data))
            }
        }
    }
}

/// Positional parameters, read one at a time with the position named in errors.
struct Args<'a> {
    seq: jsonrpsee::types::params::ParamsSequence<'a>,
    method: &'static str,
    position: usize,
}

impl<'a> Args<'a> {
    fn new(params: &'a Params<'a>, method: &'static str) -> Self {
        Args {
            seq: params.sequence(),
            method,
            position: 0,
        }
    }

    fn next<T: DeserializeOwned>(&mut self, what: &str) -> RpcResult<T> {
        self.position += 1;
        self.seq.next::<T>().map_err(|e| {
            invalid_params(format!(
                "{}: parameter {} ({what}): {}",
                self.method,
                self.position,
                e.message()
            ))
        })
    }

    fn optional<T: DeserializeOwned>(&mut self, what: &str) -> RpcResult<Option<T>> {
        self.position += 1;
        self.seq.optional_next::<T>().map_err(|e| {
            invalid_params(format!(
                "{}: parameter {} ({what}): {}",
                self.method,
                self.position,
                e.message()
            ))
        })
    }
}

/// A quantity given as hex or as a JSON number (dev methods accept both, as anvil's do).
#[derive(serde::Deserialize)]
#[serde(untagged)]
enum Quantity {
    Hex(U64),
    Number(u64),
}

impl Quantity {
    fn get(self) -> u64 {
        match self {
            Quantity::Hex(v) => v.to(),
            Quantity::Number(v) => v,
        }
    }
}

/// Every method, registered on `shared`.
pub fn module(shared: Arc<Shared>) -> anyhow::Result<RpcModule<Arc<Shared>>> {
    let mut m = RpcModule::new(shared);

    macro_rules! method {
        ($name:literal, |$args:ident, $s:ident| $body:expr) => {
            m.register_method($name, |params, shared, _| -> RpcResult<Value> {
                #[allow(unused_mut, unused_variables)]
                let mut $args = Args::new(&params, $name);
                let $s: &Arc<Shared> = shared;
                let _ = &$s;
                let value = $body;
                serde_json::to_value(value).map_err(|e| server_error(e.to_string()))
            })?;
        };
    }

    method!("web3_clientVersion", |a, s| CLIENT_VERSION);
    method!("net_version", |a, s| s.node().chain.chain_id().to_string());
    method!("net_listening", |a, s| true);
    method!("eth_chainId", |a, s| U64::from(s.node().chain.chain_id()));
    method!("eth_syncing", |a, s| false);
    method!("eth_blockNumber", |a, s| U64::from(
        s.node().latest_number()
    ));
    method!("eth_gasPrice", |a, s| U256::from(
        keel_chain::chain::BASE_FEE
    ));
    method!("eth_maxPriorityFeePerGas", |a, s| U256::ZERO);
    method!("eth_accounts", |a, s| s.node().accounts());
    method!("eth_getBlockByNumber", |a, s| {
        let tag: BlockNumberOrTag = a.next("block number or tag")?;
        let full: bool = a.optional("full transactions")?.unwrap_or(false);
        s.node().block_by_number(tag, full)?
    });
    method!("eth_getBlockByHash", |a, s| {
        let hash: B256 = a.next("block hash")?;
        let full: bool = a.optional("full transactions")?.unwrap_or(false);
        s.node().block_by_hash(hash, full)
    });
    method!("eth_getBalance", |a, s| {
        let address: Address = a.next("address")?;
        let block: Option<BlockId> = a.optional("block")?;
        s.node().balance(address, block)?
    });
    method!("eth_getTransactionCount", |a, s| {
        let address: Address = a.next("address")?;
        let block: Option<BlockId> = a.optional("block")?;
        U64::from(s.node().nonce(address, block)?)
    });
    method!("eth_getCode", |a, s| {
        let address: Address = a.next("address")?;
        let block: Option<BlockId> = a.optional("block")?;
        s.node().code(address, block)?
    });
    method!("eth_getStorageAt", |a, s| {
        let address: Address = a.next("address")?;
        let slot: U256 = a.next("storage slot")?;
        let block: Option<BlockId> = a.optional("block")?;
        s.node().storage(address, slot, block)?
    });
    method!("eth_call", |a, s| {
        let request: TransactionRequest = a.next("transaction")?;
        let block: Option<BlockId> = a.optional("block")?;
        let overrides: Option<StateOverride> = a.optional("state overrides")?;
        s.node().call(&request, block, overrides.as_ref())?
    });
    method!("eth_estimateGas", |a, s| {
        let request: TransactionRequest = a.next("transaction")?;
        let block: Option<BlockId> = a.optional("block")?;
        let overrides: Option<StateOverride> = a.optional("state overrides")?;
        U64::from(s.node().estimate_gas(&request, block, overrides.as_ref())?)
    });
    method!("eth_feeHistory", |a, s| {
        let count: Quantity = a.next("block count")?;
        let newest: BlockNumberOrTag = a.next("newest block")?;
        let percentiles: Option<Vec<f64>> = a.optional("reward percentiles")?;
        s.node()
            .fee_history(count.get(), newest, &percentiles.unwrap_or_default())?
    });
    method!("eth_sendRawTransaction", |a, s| {
        let raw: Bytes = a.next("signed transaction")?;
        s.mutate(|n| n.send_raw(&raw))?
    });
    method!("eth_sendTransaction", |a, s| {
        let request: TransactionRequest = a.next("transaction")?;
        s.mutate(|n| n.send(request))?
    });
    method!("eth_getTransactionByHash", |a, s| {
        let hash: B256 = a.next("transaction hash")?;
        s.node().transaction(hash)
    });
    method!("eth_getTransactionReceipt", |a, s| {
        let hash: B256 = a.next("transaction hash")?;
        let receipt = s.node().receipt(hash);
        receipt.map(arbitrum_receipt).transpose()?
    });
    method!("eth_getLogs", |a, s| {
        let filter: Filter = a.next("filter")?;
        s.node().logs(&filter)?
    });
    method!("eth_newFilter", |a, s| {
        let filter: Filter = a.next("filter")?;
        s.node().new_filter(filter)
    });
    method!("eth_newBlockFilter", |a, s| s.node().new_block_filter());
    method!("eth_getFilterChanges", |a, s| {
        let id: U256 = a.next("filter id")?;
        s.node().filter_changes(id)?
    });
    method!("eth_uninstallFilter", |a, s| {
        let id: U256 = a.next("filter id")?;
        s.node().uninstall_filter(id)
    });

    // anvil's dev methods.
    method!("evm_increaseTime", |a, s| {
        let seconds: Quantity = a.next("seconds")?;
        U64::from(s.node().increase_time(seconds.get()).max(0) as u64)
    });
    method!("evm_setNextBlockTimestamp", |a, s| {
        let timestamp: Quantity = a.next("timestamp")?;
        s.node().set_next_timestamp(timestamp.get())?;
        Value::Null
    });
    method!("evm_mine", |a, s| {
        if let Some(timestamp) = a.optional::<Quantity>("timestamp")? {
            s.node().set_next_timestamp(timestamp.get())?;
        }
        s.mutate(|n| n.mine());
        "0x0"
    });
    method!("anvil_mine", |a, s| {
        let blocks = a.optional::<Quantity>("blocks")?.map_or(1, Quantity::get);
        let interval = a.optional::<Quantity>("interval")?.map_or(0, Quantity::get);
        s.mutate(|n| {
            for _ in 0..blocks {
                n.mine();
                n.increase_time(interval);
            }
        });
        Value::Null
    });
    method!("evm_snapshot", |a, s| s.node().snapshot());
    method!("evm_revert", |a, s| {
        let id: U256 = a.next("snapshot id")?;
        s.node().revert(id)
    });
    method!("anvil_setBalance", |a, s| {
        let address: Address = a.next("address")?;
        let balance: U256 = a.next("balance")?;
        s.node().set_balance(address, balance);
        Value::Null
    });
    method!("anvil_setCode", |a, s| {
        let address: Address = a.next("address")?;
        let code: Bytes = a.next("code")?;
        s.node().set_code(address, code);
        Value::Null
    });
    method!("anvil_setStorageAt", |a, s| {
        let address: Address = a.next("address")?;
        let slot: U256 = a.next("storage slot")?;
        let value: B256 = a.next("value")?;
        s.node().set_storage(address, slot, value);
        true
    });
    method!("anvil_setNonce", |a, s| {
        let address: Address = a.next("address")?;
        let nonce: Quantity = a.next("nonce")?;
        s.node().set_nonce(address, nonce.get());
        Value::Null
    });
    method!("anvil_impersonateAccount", |a, s| {
        let address: Address = a.next("address")?;
        s.node().impersonate(address, true);
        Value::Null
    });
    method!("anvil_stopImpersonatingAccount", |a, s| {
        let address: Address = a.next("address")?;
        s.node().impersonate(address, false);
        Value::Null
    });

    m.register_subscription(
        "eth_subscribe",
        "eth_subscription",
        "eth_unsubscribe",
        |params, pending, shared, _| async move {
            let mut args = Args::new(&params, "eth_subscribe");
            let kind: String = match args.next("subscription kind") {
                Ok(kind) => kind,
                Err(e) => {
                    pending.reject(e).await;
                    return Ok(());
                }
            };
            let filter: Option<Filter> = match kind.as_str() {
                "newHeads" => None,
                "logs" => match args.optional::<Filter>("filter") {
                    Ok(filter) => Some(filter.unwrap_or_default()),
                    Err(e) => {
                        pending.reject(e).await;
                        return Ok(());
                    }
                },
                other => {
                    let e = invalid_params(format!(
                        "eth_subscribe: unknown subscription `{other}` (newHeads or logs)"
                    ));
                    pending.reject(e).await;
                    return Ok(());
                }
            };
            let mut blocks = shared.blocks.subscribe();
            let sink = pending.accept().await?;
            loop {
                let number = match blocks.recv().await {
                    Ok(number) => number,
                    Err(broadcast::error::RecvError::Lagged(_)) => continue,
                    Err(broadcast::error::RecvError::Closed) => break,
                };
                let items: Vec<Value> = {
                    let node = shared.node();
                    match &filter {
                        None => node
                            .block_by_number(BlockNumberOrTag::Number(number), false)
                            .ok()
                            .flatten()
                            .and_then(|b| serde_json::to_value(b.header).ok())
                            .into_iter()
                            .collect(),
                        Some(filter) => {
                            let at = filter.clone().from_block(number).to_block(number);
                            node.logs(&at)
                                .unwrap_or_default()
                                .into_iter()
                                .filter_map(|l| serde_json::to_value(l).ok())
                                .collect()
                        }
                    }
                };
                for item in items {
                    let message = SubscriptionMessage::new(
                        sink.method_name(),
                        sink.subscription_id(),
                        &item,
                    )?;
                    if sink.send(message).await.is_err() {
                        return Ok(());
                    }
                }
            }
            Ok(())
        },
    )?;
    Ok(m)
}

/// A receipt with the fields Arbitrum's clients read: `l1BlockNumber`, `gasUsedForL1` (0 on
/// a local chain).
fn arbitrum_receipt(receipt: alloy_rpc_types_eth::TransactionReceipt) -> RpcResult<Value> {
    let l1_block = receipt.block_number.unwrap_or_default();
    let mut value = serde_json::to_value(receipt).map_err(|e| server_error(e.to_string()))?;
    if let Some(object) = value.as_object_mut() {
        object.insert("l1BlockNumber".into(), json!(U64::from(l1_block)));
        object.insert("gasUsedForL1".into(), json!(U64::ZERO));
    }
    Ok(value)
}

/// Starts serving `shared` on `addr` (HTTP and WebSocket on one port).
pub async fn serve(
    shared: Arc<Shared>,
    addr: SocketAddr,
) -> anyhow::Result<(SocketAddr, ServerHandle)> {
    let config = ServerConfig::builder()
        .max_request_body_size(MAX_REQUEST_BYTES)
        .max_response_body_size(64 * 1024 * 1024)
        .set_batch_request_config(BatchRequestConfig::Limit(MAX_BATCH))
        .build();
    let server = Server::builder()
        .set_config(config)
        .build(addr)
        .await
        .map_err(|e| anyhow::anyhow!("cannot listen on {addr}: {e}"))?;
    let local = server.local_addr()?;
    let handle = server.start(module(shared)?);
    Ok((local, handle))
}
