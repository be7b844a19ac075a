//! The `vm_hooks` (and debug `console`) imports a Stylus program calls, with Nitro's ink and
//! gas charges, and the entry of one program frame ([`run`]).
//!
//! Each frame gets its own wasmer store and instance. The frame keeps what Nitro's host keeps
//! per program invocation: the calldata, the result, the last call's return data, the storage
//! cache (reads served from it; writes stay in it until `storage_flush_cache`, which pays the
//! EVM SSTORE cost per dirty slot), and the last account code read.

use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use std::collections::BTreeMap;
use std::fmt;
use wasmer::{
    imports, Function, FunctionEnv, FunctionEnvMut, Global, Instance, Memory, RuntimeError, Store,
    Value,
};
use wasmer_types::TrapCode;

use crate::api::{account_gas, EvmApi};
use crate::api::{GasTally, Log};
use crate::code::Program;
use crate::exec::{CallKind, FrameResult, Msg, Status};
use crate::meter::{
    StackGauge, COVERAGE_GLOBAL_PREFIX, INK_LEFT_GLOBAL, INK_STATUS_GLOBAL, OUT_OF_STACK,
    PROFILE_GLOBAL_PREFIX,
};
use crate::pricing::{
    gas, hostio as ink, keccak_price, memory_gas, pow_price, read_price, write_price, INK_PRICE,
};

/// How a host I/O leaves the program early.
#[derive(Debug)]
enum Escape {
    OutOfInk,
    Exit(u32),
    Failure(String),
}

impl fmt::Display for Escape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Escape::OutOfInk => f.write_str("out of ink"),
            Escape::Exit(s) => write!(f, "exit_early({s})"),
            Escape::Failure(e) => f.write_str(e),
        }
    }
}

impl std::error::Error for Escape {}

fn escape(e: Escape) -> RuntimeError {
    RuntimeError::user(Box::new(e))
}

fn failure(text: impl Into<String>) -> RuntimeError {
    escape(Escape::Failure(text.into()))
}

type Hr<T> = Result<T, RuntimeError>;
type Ctx<'a> = FunctionEnvMut<'a, Frame>;

/// A storage-cache word: its value now, and the value the state holds, if known.
struct Word {
    value: B256,
    known: Option<B256>,
}

/// Per-frame state behind the imports.
pub(crate) struct Frame {
    /// The chain; taken back by [`run`] when the frame ends.
    api: Option<Box<dyn EvmApi>>,
    msg: Msg,
    reentrant: bool,
    memory: Option<Memory>,
    ink_global: Option<Global>,
    status_global: Option<Global>,
    outs: Vec<u8>,
    return_data: Vec<u8>,
    cache: BTreeMap<B256, Word>,
    reads: usize,
    writes: usize,
    last_code: Option<(Address, Bytes)>,
}

impl Frame {
    fn api(&mut self) -> Hr<&mut dyn EvmApi> {
        match self.api.as_deref_mut() {
            Some(api) => Ok(api),
            None => Err(failure("the frame has no chain")),
        }
    }
}

// ---- ink and memory helpers -----------------------------------------------------------------

fn globals(ctx: &Ctx<'_>) -> Hr<(Global, Global)> {
    let f = ctx.data();
    match (&f.ink_global, &f.status_global) {
        (Some(i), Some(s)) => Ok((i.clone(), s.clone())),
        _ => Err(failure("instance is not ready")),
    }
}

/// Ink left, or out of ink if the meter is exhausted.
fn ink_ready(ctx: &mut Ctx<'_>) -> Hr<u64> {
    let (ink_g, status_g) = globals(ctx)?;
    let status = status_g.get(ctx);
    if !matches!(status, Value::I32(0)) {
        return Err(escape(Escape::OutOfInk));
    }
    match ink_g.get(ctx) {
        Value::I64(v) => Ok(v as u64),
        _ => Err(failure("ink global has the wrong type")),
    }
}

fn set_ink(ctx: &mut Ctx<'_>, value: u64, exhausted: bool) -> Hr<()> {
    let (ink_g, status_g) = globals(ctx)?;
    ink_g
        .set(ctx, Value::I64(value as i64))
        .map_err(|e| failure(e.message()))?;
    status_g
        .set(ctx, Value::I32(i32::from(exhausted)))
        .map_err(|e| failure(e.message()))?;
    Ok(())
}

fn out_of_ink<T>(ctx: &mut Ctx<'_>) -> Hr<T> {
    set_ink(ctx, 0, true)?;
    Err(escape(Escape::OutOfInk))
}

fn buy_ink(ctx: &mut Ctx<'_>, amount: u64) -> Hr<()> {
    let left = ink_ready(ctx)?;
    if left < amount {
        return out_of_ink(ctx);
    }
    set_ink(ctx, left - amount, false)
}

fn require_ink(ctx: &mut Ctx<'_>, amount: u64) -> Hr<()> {
    if ink_ready(ctx)? < amount {
        return out_of_ink(ctx);
    }
    Ok(())
}

fn buy_gas(ctx: &mut Ctx<'_>, gas: u64) -> Hr<()> {
    buy_ink(ctx, gas.saturating_mul(INK_PRICE))
}

fn require_gas(ctx: &mut Ctx<'_>, gas: u64) -> Hr<()> {
    require_ink(ctx, gas.saturating_mul(INK_PRICE))
}

fn gas_left(ctx: &mut Ctx<'_>) -> Hr<u64> {
    Ok(ink_ready(ctx)? / INK_PRICE)
}

fn pay_for_read(ctx: &mut Ctx<'_>, bytes: u32) -> Hr<()> {
    buy_ink(ctx, read_price(bytes))
}

fn pay_for_write(ctx: &mut Ctx<'_>, bytes: u32) -> Hr<()> {
    buy_ink(ctx, write_price(bytes))
}

fn read(ctx: &Ctx<'_>, ptr: u32, len: u32) -> Hr<Vec<u8>> {
    let memory = ctx
        .data()
        .memory
        .clone()
        .ok_or_else(|| failure("no memory"))?;
    let mut buf = vec![0u8; len as usize];
    memory
        .view(ctx)
        .read(u64::from(ptr), &mut buf)
        .map_err(|e| failure(format!("memory read out of bounds: {e}")))?;
    Ok(buf)
}

fn read32(ctx: &Ctx<'_>, ptr: u32) -> Hr<B256> {
    Ok(B256::from_slice(&read(ctx, ptr, 32)?))
}

fn read20(ctx: &Ctx<'_>, ptr: u32) -> Hr<Address> {
    Ok(Address::from_slice(&read(ctx, ptr, 20)?))
}

fn write(ctx: &Ctx<'_>, ptr: u32, data: &[u8]) -> Hr<()> {
    let memory = ctx
        .data()
        .memory
        .clone()
        .ok_or_else(|| failure("no memory"))?;
    memory
        .view(ctx)
        .write(u64::from(ptr), data)
        .map_err(|e| failure(format!("memory write out of bounds: {e}")))
}

fn write_u32(ctx: &Ctx<'_>, ptr: u32, v: u32) -> Hr<()> {
    write(ctx, ptr, &v.to_le_bytes())
}

fn len32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

// ---- calldata and result --------------------------------------------------------------------

fn read_args(mut ctx: Ctx<'_>, ptr: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::READ_ARGS)?;
    let args = ctx.data().msg.input.clone();
    pay_for_write(&mut ctx, len32(args.len()))?;
    write(&ctx, ptr, &args)
}

fn write_result(mut ctx: Ctx<'_>, ptr: u32, len: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::WRITE_RESULT)?;
    pay_for_read(&mut ctx, len)?;
    pay_for_read(&mut ctx, len)?;
    let outs = read(&ctx, ptr, len)?;
    ctx.data_mut().outs = outs;
    Ok(())
}

fn exit_early(_ctx: Ctx<'_>, status: u32) -> Hr<()> {
    Err(escape(Escape::Exit(status)))
}

// ---- storage --------------------------------------------------------------------------------

fn storage_load_bytes32(mut ctx: Ctx<'_>, key: u32, dest: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::STORAGE_LOAD)?;
    let api_gas = crate::pricing::EVM_API_INK / INK_PRICE;
    require_gas(&mut ctx, gas::COLD_SLOAD + gas::CACHE_ACCESS + api_gas)?;
    let key = read32(&ctx, key)?;
    let frame = ctx.data_mut();
    frame.reads += 1;
    let mut cost = match frame.reads {
        0..=32 => 0,
        33..=128 => 2,
        _ => 10,
    };
    let value = match frame.cache.get(&key) {
        Some(word) => word.value,
        None => {
            let contract = frame.msg.address;
            let (value, gas) = frame.api()?.sload(contract, key);
            cost += gas + api_gas;
            frame.cache.insert(
                key,
                Word {
                    value,
                    known: Some(value),
                },
            );
            value
        }
    };
    buy_gas(&mut ctx, cost)?;
    write(&ctx, dest, value.as_slice())
}

fn storage_cache_bytes32(mut ctx: Ctx<'_>, key: u32, value: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::STORAGE_CACHE)?;
    require_gas(&mut ctx, gas::SSTORE_SENTRY + gas::CACHE_ACCESS)?;
    let key = read32(&ctx, key)?;
    let value = read32(&ctx, value)?;
    let frame = ctx.data_mut();
    frame.writes += 1;
    let cost = match frame.writes {
        0..=8 => 0,
        9..=64 => 7,
        _ => 10,
    };
    frame
        .cache
        .entry(key)
        .and_modify(|w| w.value = value)
        .or_insert(Word { value, known: None });
    buy_gas(&mut ctx, cost)
}

fn storage_flush_cache(mut ctx: Ctx<'_>, clear: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::STORAGE_FLUSH)?;
    require_gas(&mut ctx, gas::SSTORE_SENTRY)?;
    let budget = gas_left(&mut ctx)?.saturating_add(1);
    let frame = ctx.data_mut();
    let mut dirty = Vec::new();
    for (key, word) in frame.cache.iter_mut() {
        if word.known != Some(word.value) {
            dirty.push((*key, word.value));
            word.known = Some(word.value);
        }
    }
    if clear != 0 {
        frame.cache.clear();
    }
    if dirty.is_empty() {
        return Ok(());
    }
    let mut left = budget;
    let mut outcome = Ok(());
    {
        let (contract, read_only) = (frame.msg.address, frame.msg.read_only);
        let api = frame.api()?;
        for (key, value) in dirty {
            if read_only {
                outcome = Err("write protection: storage write in a static call");
                break;
            }
            let cost = api.sstore_gas(contract, key, value);
            if cost > left {
                left = 0;
                break;
            }
            left -= cost;
            api.sstore(contract, key, value);
        }
    }
    if outcome.is_ok() && left == 0 {
        outcome = Err("out of gas flushing storage");
    }
    buy_gas(&mut ctx, budget - left)?;
    outcome.map_err(failure)
}

fn transient_load_bytes32(mut ctx: Ctx<'_>, key: u32, dest: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::TRANSIENT_LOAD)?;
    buy_gas(&mut ctx, gas::WARM_READ)?;
    let key = read32(&ctx, key)?;
    let frame = ctx.data_mut();
    let contract = frame.msg.address;
    let value = frame.api()?.tload(contract, key);
    write(&ctx, dest, value.as_slice())
}

fn transient_store_bytes32(mut ctx: Ctx<'_>, key: u32, value: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::TRANSIENT_STORE)?;
    buy_gas(&mut ctx, gas::WARM_READ)?;
    let key = read32(&ctx, key)?;
    let value = read32(&ctx, value)?;
    let frame = ctx.data_mut();
    if frame.msg.read_only {
        return Err(failure(
            "write protection: transient store in a static call",
        ));
    }
    let contract = frame.msg.address;
    frame.api()?.tstore(contract, key, value);
    Ok(())
}

// ---- calls and creation ---------------------------------------------------------------------

/// Nitro's `doCall`: returns (output, gas cost, status byte).
fn do_call(
    ctx: &mut Ctx<'_>,
    kind: CallKind,
    contract: Address,
    input: Vec<u8>,
    gas_left: u64,
    gas_req: u64,
    value: U256,
) -> Hr<(Vec<u8>, u64, u32)> {
    let frame = ctx.data_mut();
    if frame.msg.read_only && !value.is_zero() {
        return Ok((Vec::new(), 0, 2));
    }
    let m = frame.msg.clone();
    let api = frame.api()?;
    // geth's WasmCallCost, checked against the budget step by step.
    let base = {
        let mut total = gas::WARM_READ;
        let mut over = total > gas_left;
        if !over && api.warm_account(contract) {
            total += gas::COLD_ACCOUNT - gas::WARM_READ;
            over = total > gas_left;
        }
        if !over && !value.is_zero() && !api.account_exists(contract) {
            total += gas::CALL_NEW_ACCOUNT;
            over = total > gas_left;
        }
        if !over && !value.is_zero() {
            total += gas::CALL_VALUE_TRANSFER;
            over = total > gas_left;
        }
        if over {
            return Ok((Vec::new(), gas_left, 2));
        }
        api.count(GasTally {
            calls: 1,
            access_gas: total,
            ..GasTally::default()
        });
        total
    };
    let start_gas = (gas_left - base) * 63 / 64;
    let mut gas = start_gas.min(gas_req);
    if !value.is_zero() {
        gas = gas.saturating_add(gas::CALL_STIPEND);
    }
    let msg = match kind {
        CallKind::Call => Msg {
            kind,
            caller: m.address,
            address: contract,
            code_address: contract,
            value,
            transfer: true,
            input,
            gas,
            read_only: m.read_only,
            depth: m.depth + 1,
        },
        CallKind::Delegate => Msg {
            kind,
            caller: m.caller,
            address: m.address,
            code_address: contract,
            value: m.value,
            transfer: false,
            input,
            gas,
            read_only: m.read_only,
            depth: m.depth + 1,
        },
        CallKind::Static => Msg {
            kind,
            caller: m.address,
            address: contract,
            code_address: contract,
            value: U256::ZERO,
            transfer: false,
            input,
            gas,
            read_only: true,
            depth: m.depth + 1,
        },
    };
    let result = api.call(msg);
    let cost = base.saturating_add(gas.saturating_sub(result.gas_left));
    let status = if result.success() { 0 } else { 2 };
    Ok((result.output, cost, status))
}

#[allow(clippy::too_many_arguments)]
fn any_call(
    mut ctx: Ctx<'_>,
    kind: CallKind,
    contract: u32,
    data: u32,
    data_len: u32,
    value: Option<u32>,
    gas: u64,
    ret_len: u32,
) -> Hr<u32> {
    buy_ink(&mut ctx, ink::CALL_CONTRACT)?;
    pay_for_read(&mut ctx, data_len)?;
    pay_for_read(&mut ctx, data_len)?;
    let gas_left = gas_left(&mut ctx)?;
    let gas_req = gas.min(gas_left);
    let contract = read20(&ctx, contract)?;
    let input = read(&ctx, data, data_len)?;
    let value = match value {
        Some(ptr) => read32(&ctx, ptr)?.into(),
        None => U256::ZERO,
    };
    let (output, cost, status) =
        do_call(&mut ctx, kind, contract, input, gas_left, gas_req, value)?;
    buy_gas(&mut ctx, cost)?;
    let len = len32(output.len());
    ctx.data_mut().return_data = output;
    write_u32(&ctx, ret_len, len)?;
    Ok(status)
}

fn call_contract(
    ctx: Ctx<'_>,
    contract: u32,
    data: u32,
    data_len: u32,
    value: u32,
    gas: u64,
    ret_len: u32,
) -> Hr<u32> {
    any_call(
        ctx,
        CallKind::Call,
        contract,
        data,
        data_len,
        Some(value),
        gas,
        ret_len,
    )
}

fn delegate_call_contract(
    ctx: Ctx<'_>,
    contract: u32,
    data: u32,
    data_len: u32,
    gas: u64,
    ret_len: u32,
) -> Hr<u32> {
    any_call(
        ctx,
        CallKind::Delegate,
        contract,
        data,
        data_len,
        None,
        gas,
        ret_len,
    )
}

fn static_call_contract(
    ctx: Ctx<'_>,
    contract: u32,
    data: u32,
    data_len: u32,
    gas: u64,
    ret_len: u32,
) -> Hr<u32> {
    any_call(
        ctx,
        CallKind::Static,
        contract,
        data,
        data_len,
        None,
        gas,
        ret_len,
    )
}

#[allow(clippy::too_many_arguments)]
fn any_create(
    mut ctx: Ctx<'_>,
    code: u32,
    code_len: u32,
    endowment: u32,
    salt: Option<u32>,
    contract: u32,
    revert_len: u32,
) -> Hr<()> {
    let base_ink = if salt.is_some() {
        ink::CREATE2
    } else {
        ink::CREATE1
    };
    buy_ink(&mut ctx, base_ink)?;
    pay_for_read(&mut ctx, code_len)?;
    pay_for_read(&mut ctx, code_len)?;
    let code = read(&ctx, code, code_len)?;
    let endowment: U256 = read32(&ctx, endowment)?.into();
    let salt = match salt {
        Some(ptr) => Some(read32(&ctx, ptr)?),
        None => None,
    };
    let start_gas = gas_left(&mut ctx)?;
    let frame = ctx.data_mut();
    if frame.msg.read_only {
        return Err(failure("write protection: create in a static call"));
    }
    let mut base = gas::CREATE;
    if salt.is_some() {
        base += crate::exec::word_gas(code.len(), gas::KECCAK_WORD);
    }
    if start_gas < base {
        return Err(failure("out of gas for create"));
    }
    let gas = start_gas - base;
    let one64th = gas / 64;
    let (address, depth) = (frame.msg.address, frame.msg.depth + 1);
    let result = frame
        .api()?
        .create(address, &code, endowment, salt, gas - one64th, depth);
    let cost = start_gas.saturating_sub(result.gas_left + one64th);
    buy_gas(&mut ctx, cost)?;
    let len = len32(result.output.len());
    ctx.data_mut().return_data = result.output;
    write_u32(&ctx, revert_len, len)?;
    write(
        &ctx,
        contract,
        result.address.unwrap_or_default().as_slice(),
    )
}

fn create1(
    ctx: Ctx<'_>,
    code: u32,
    code_len: u32,
    endowment: u32,
    contract: u32,
    revert_len: u32,
) -> Hr<()> {
    any_create(ctx, code, code_len, endowment, None, contract, revert_len)
}

fn create2(
    ctx: Ctx<'_>,
    code: u32,
    code_len: u32,
    endowment: u32,
    salt: u32,
    contract: u32,
    revert_len: u32,
) -> Hr<()> {
    any_create(
        ctx,
        code,
        code_len,
        endowment,
        Some(salt),
        contract,
        revert_len,
    )
}

fn read_return_data(mut ctx: Ctx<'_>, dest: u32, offset: u32, size: u32) -> Hr<u32> {
    buy_ink(&mut ctx, ink::READ_RETURN_DATA)?;
    let total = len32(ctx.data().return_data.len());
    let max = total.saturating_sub(offset);
    pay_for_write(&mut ctx, size.min(max))?;
    if max == 0 {
        return Ok(0);
    }
    let end = offset.saturating_add(size).min(total) as usize;
    let slice = ctx.data().return_data[offset as usize..end].to_vec();
    if !slice.is_empty() {
        write(&ctx, dest, &slice)?;
    }
    Ok(len32(slice.len()))
}

fn return_data_size(mut ctx: Ctx<'_>) -> Hr<u32> {
    buy_ink(&mut ctx, ink::RETURN_DATA_SIZE)?;
    Ok(len32(ctx.data().return_data.len()))
}

fn emit_log(mut ctx: Ctx<'_>, data: u32, len: u32, topics: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::EMIT_LOG)?;
    if topics > 4 || len < topics * 32 {
        return Err(failure("bad topic data"));
    }
    pay_for_read(&mut ctx, len)?;
    let data_len = u64::from(len - topics * 32);
    buy_gas(
        &mut ctx,
        (1 + u64::from(topics)) * gas::LOG_TOPIC + data_len * gas::LOG_DATA,
    )?;
    let bytes = read(&ctx, data, len)?;
    let frame = ctx.data_mut();
    if frame.msg.read_only {
        return Err(failure("write protection: log in a static call"));
    }
    let split = (topics * 32) as usize;
    let log = Log {
        address: frame.msg.address,
        topics: bytes[..split].chunks(32).map(B256::from_slice).collect(),
        data: bytes[split..].to_vec(),
    };
    frame.api()?.emit_log(log);
    Ok(())
}

// ---- accounts -------------------------------------------------------------------------------

fn account_balance(mut ctx: Ctx<'_>, address: u32, dest: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::ACCOUNT_BALANCE)?;
    require_gas(&mut ctx, gas::COLD_ACCOUNT)?;
    let address = read20(&ctx, address)?;
    let (cost, balance) = {
        let api = ctx.data_mut().api()?;
        (account_gas(api, address, false), api.balance(address))
    };
    buy_gas(&mut ctx, cost)?;
    write(&ctx, dest, &balance.to_be_bytes::<32>())
}

/// Nitro's `account_code` API call, with the frame's last-code cache.
fn load_code(ctx: &mut Ctx<'_>, address: Address) -> Hr<(Bytes, u64)> {
    if let Some((a, code)) = &ctx.data().last_code {
        if *a == address {
            return Ok((code.clone(), 0));
        }
    }
    let gas = gas_left(ctx)?;
    let (code, cost) = {
        let api = ctx.data_mut().api()?;
        let cost = account_gas(api, address, true);
        let code = if gas < cost {
            Bytes::new()
        } else {
            api.code(address)
        };
        (code, cost)
    };
    if !code.is_empty() {
        ctx.data_mut().last_code = Some((address, code.clone()));
    }
    Ok((code, cost))
}

fn account_code(mut ctx: Ctx<'_>, address: u32, offset: u32, size: u32, dest: u32) -> Hr<u32> {
    buy_ink(&mut ctx, ink::ACCOUNT_CODE)?;
    require_gas(&mut ctx, gas::COLD_ACCOUNT)?;
    let address = read20(&ctx, address)?;
    let (code, cost) = load_code(&mut ctx, address)?;
    buy_gas(&mut ctx, cost)?;
    pay_for_write(&mut ctx, len32(code.len()))?;
    let start = (offset as usize).min(code.len());
    let end = (offset.saturating_add(size) as usize).min(code.len());
    let slice = &code[start..end];
    write(&ctx, dest, slice)?;
    Ok(len32(slice.len()))
}

fn account_code_size(mut ctx: Ctx<'_>, address: u32) -> Hr<u32> {
    buy_ink(&mut ctx, ink::ACCOUNT_CODE_SIZE)?;
    require_gas(&mut ctx, gas::COLD_ACCOUNT)?;
    let address = read20(&ctx, address)?;
    let (code, cost) = load_code(&mut ctx, address)?;
    buy_gas(&mut ctx, cost)?;
    Ok(len32(code.len()))
}

fn account_codehash(mut ctx: Ctx<'_>, address: u32, dest: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::ACCOUNT_CODE_HASH)?;
    require_gas(&mut ctx, gas::COLD_ACCOUNT)?;
    let address = read20(&ctx, address)?;
    let (cost, hash) = {
        let api = ctx.data_mut().api()?;
        (account_gas(api, address, false), api.code_hash(address))
    };
    buy_gas(&mut ctx, cost)?;
    write(&ctx, dest, hash.as_slice())
}

// ---- context --------------------------------------------------------------------------------

fn block(ctx: &mut Ctx<'_>) -> Hr<crate::api::BlockEnv> {
    Ok(ctx.data_mut().api()?.block())
}

fn block_basefee(mut ctx: Ctx<'_>, ptr: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::BLOCK_BASEFEE)?;
    let v = block(&mut ctx)?.basefee;
    write(&ctx, ptr, &v.to_be_bytes::<32>())
}

fn block_coinbase(mut ctx: Ctx<'_>, ptr: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::BLOCK_COINBASE)?;
    let v = block(&mut ctx)?.coinbase;
    write(&ctx, ptr, v.as_slice())
}

fn block_gas_limit(mut ctx: Ctx<'_>) -> Hr<u64> {
    buy_ink(&mut ctx, ink::BLOCK_GAS_LIMIT)?;
    Ok(block(&mut ctx)?.gas_limit)
}

fn block_number(mut ctx: Ctx<'_>) -> Hr<u64> {
    buy_ink(&mut ctx, ink::BLOCK_NUMBER)?;
    Ok(block(&mut ctx)?.number)
}

fn block_timestamp(mut ctx: Ctx<'_>) -> Hr<u64> {
    buy_ink(&mut ctx, ink::BLOCK_TIMESTAMP)?;
    Ok(block(&mut ctx)?.timestamp)
}

fn chainid(mut ctx: Ctx<'_>) -> Hr<u64> {
    buy_ink(&mut ctx, ink::CHAIN_ID)?;
    Ok(block(&mut ctx)?.chain_id)
}

fn contract_address(mut ctx: Ctx<'_>, ptr: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::ADDRESS)?;
    let a = ctx.data().msg.address;
    write(&ctx, ptr, a.as_slice())
}

fn evm_gas_left(mut ctx: Ctx<'_>) -> Hr<u64> {
    buy_ink(&mut ctx, ink::EVM_GAS_LEFT)?;
    gas_left(&mut ctx)
}

fn evm_ink_left(mut ctx: Ctx<'_>) -> Hr<u64> {
    buy_ink(&mut ctx, ink::EVM_INK_LEFT)?;
    ink_ready(&mut ctx)
}

fn msg_reentrant(mut ctx: Ctx<'_>) -> Hr<u32> {
    buy_ink(&mut ctx, ink::MSG_REENTRANT)?;
    Ok(u32::from(ctx.data().reentrant))
}

fn msg_sender(mut ctx: Ctx<'_>, ptr: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::MSG_SENDER)?;
    let a = ctx.data().msg.caller;
    write(&ctx, ptr, a.as_slice())
}

fn msg_value(mut ctx: Ctx<'_>, ptr: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::MSG_VALUE)?;
    let v = ctx.data().msg.value;
    write(&ctx, ptr, &v.to_be_bytes::<32>())
}

fn tx_gas_price(mut ctx: Ctx<'_>, ptr: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::TX_GAS_PRICE)?;
    let v = block(&mut ctx)?.gas_price;
    write(&ctx, ptr, &v.to_be_bytes::<32>())
}

fn tx_ink_price(mut ctx: Ctx<'_>) -> Hr<u32> {
    buy_ink(&mut ctx, ink::TX_INK_PRICE)?;
    Ok(INK_PRICE as u32)
}

fn tx_origin(mut ctx: Ctx<'_>, ptr: u32) -> Hr<()> {
    buy_ink(&mut ctx, ink::TX_ORIGIN)?;
    let a = ctx.data_mut().api()?.origin();
    write(&ctx, ptr, a.as_slice())
}

fn native_keccak256(mut ctx: Ctx<'_>, input: u32, len: u32, output: u32) -> Hr<()> {
    buy_ink(&mut ctx, keccak_price(len))?;
    let data = read(&ctx, input, len)?;
    write(&ctx, output, keccak256(&data).as_slice())
}

fn pay_for_memory_grow(mut ctx: Ctx<'_>, pages: u32) -> Hr<()> {
    if pages == 0 {
        return buy_ink(&mut ctx, ink::PAY_FOR_MEMORY_GROW);
    }
    let pages = u16::try_from(pages).unwrap_or(u16::MAX);
    let cost = {
        let api = ctx.data_mut().api()?;
        let (open, ever) = api.pages();
        let cost = memory_gas(pages, open, ever);
        let new_open = open.saturating_add(pages);
        api.set_pages((new_open, ever.max(new_open)));
        cost
    };
    buy_gas(&mut ctx, cost)
}

// ---- 256-bit math ---------------------------------------------------------------------------

fn math2(
    mut ctx: Ctx<'_>,
    base: u64,
    a: u32,
    b: u32,
    f: impl FnOnce(&mut Ctx<'_>, U256, B256) -> Hr<U256>,
) -> Hr<()> {
    buy_ink(&mut ctx, base)?;
    let x: U256 = read32(&ctx, a)?.into();
    let y = read32(&ctx, b)?;
    let r = f(&mut ctx, x, y)?;
    write(&ctx, a, &r.to_be_bytes::<32>())
}

fn math_div(ctx: Ctx<'_>, value: u32, divisor: u32) -> Hr<()> {
    math2(ctx, ink::MATH_DIV, value, divisor, |_, a, b| {
        Ok(a.checked_div(b.into()).unwrap_or_default())
    })
}

fn math_mod(ctx: Ctx<'_>, value: u32, modulus: u32) -> Hr<()> {
    math2(ctx, ink::MATH_MOD, value, modulus, |_, a, b| {
        Ok(a.checked_rem(b.into()).unwrap_or_default())
    })
}

fn math_pow(ctx: Ctx<'_>, value: u32, exponent: u32) -> Hr<()> {
    math2(ctx, ink::MATH_POW, value, exponent, |ctx, a, b| {
        buy_ink(ctx, pow_price(&b.0))?;
        Ok(a.wrapping_pow(b.into()))
    })
}

fn math3(
    mut ctx: Ctx<'_>,
    base: u64,
    ptrs: [u32; 3],
    f: impl FnOnce(U256, U256, U256) -> U256,
) -> Hr<()> {
    buy_ink(&mut ctx, base)?;
    let a: U256 = read32(&ctx, ptrs[0])?.into();
    let b: U256 = read32(&ctx, ptrs[1])?.into();
    let c: U256 = read32(&ctx, ptrs[2])?.into();
    write(&ctx, ptrs[0], &f(a, b, c).to_be_bytes::<32>())
}

fn math_add_mod(ctx: Ctx<'_>, value: u32, addend: u32, modulus: u32) -> Hr<()> {
    math3(
        ctx,
        ink::MATH_ADD_MOD,
        [value, addend, modulus],
        |a, b, c| a.add_mod(b, c),
    )
}

fn math_mul_mod(ctx: Ctx<'_>, value: u32, multiplier: u32, modulus: u32) -> Hr<()> {
    math3(
        ctx,
        ink::MATH_MUL_MOD,
        [value, multiplier, modulus],
        |a, b, c| a.mul_mod(b, c),
    )
}

// ---- console (debug chains) -----------------------------------------------------------------

fn say(ctx: &mut Ctx<'_>, text: String) -> Hr<()> {
    ctx.data_mut().api()?.console(text);
    Ok(())
}

fn log_txt(mut ctx: Ctx<'_>, ptr: u32, len: u32) -> Hr<()> {
    let text = String::from_utf8_lossy(&read(&ctx, ptr, len)?).into_owned();
    say(&mut ctx, text)
}

fn log_i32(mut ctx: Ctx<'_>, v: i32) -> Hr<()> {
    say(&mut ctx, v.to_string())
}

fn log_i64(mut ctx: Ctx<'_>, v: i64) -> Hr<()> {
    say(&mut ctx, v.to_string())
}

fn tee_i32(mut ctx: Ctx<'_>, v: i32) -> Hr<i32> {
    say(&mut ctx, v.to_string())?;
    Ok(v)
}

fn tee_i64(mut ctx: Ctx<'_>, v: i64) -> Hr<i64> {
    say(&mut ctx, v.to_string())?;
    Ok(v)
}

// ---- running a frame ------------------------------------------------------------------------

/// Instantiates `program` for `msg` and runs `user_entrypoint` with `ink` against `api`,
/// which it hands back with the result.
pub(crate) fn run(
    api: Box<dyn EvmApi>,
    msg: &Msg,
    program: &Program,
    ink: u64,
    reentrant: bool,
) -> (FrameResult, Box<dyn EvmApi>) {
    let mut store = Store::new(program.engine.clone());
    let env = FunctionEnv::new(
        &mut store,
        Frame {
            api: Some(api),
            msg: msg.clone(),
            reentrant,
            memory: None,
            ink_global: None,
            status_global: None,
            outs: Vec::new(),
            return_data: Vec::new(),
            cache: BTreeMap::new(),
            reads: 0,
            writes: 0,
            last_code: None,
        },
    );
    let result = execute(&mut store, &env, msg, program, ink);
    let api = env
        .as_mut(&mut store)
        .api
        .take()
        .expect("only `run` takes the frame's chain");
    (result, api)
}

fn execute(
    store: &mut Store,
    env: &FunctionEnv<Frame>,
    msg: &Msg,
    program: &Program,
    ink: u64,
) -> FrameResult {
    let mut store = store;
    let imports = import_object(store, env);
    let failed = |why: String| FrameResult::fail(Status::Failure(why), 0);
    let instance = match Instance::new(&mut store, &program.module, &imports) {
        Ok(i) => i,
        Err(e) => return failed(format!("instantiation failed: {e}")),
    };
    let parts = (
        instance.exports.get_memory("memory").cloned(),
        instance.exports.get_global(INK_LEFT_GLOBAL).cloned(),
        instance.exports.get_global(INK_STATUS_GLOBAL).cloned(),
        instance
            .exports
            .get_typed_function::<u32, u32>(&store, "user_entrypoint"),
    );
    let (Ok(memory), Ok(ink_g), Ok(status_g), Ok(entry)) = parts else {
        return failed("the instance lacks memory, meter globals or user_entrypoint".into());
    };
    if ink_g.set(&mut store, Value::I64(ink as i64)).is_err()
        || status_g.set(&mut store, Value::I32(0)).is_err()
    {
        return failed("could not set the ink meter".into());
    }
    let arbos_version = env
        .as_ref(&store)
        .api
        .as_ref()
        .map_or(0, |api| api.arbos_version());
    let stack_budget = crate::pricing::max_stack_depth(arbos_version);
    let stack = match StackGauge::arm(&instance, store, stack_budget) {
        Ok(stack) => stack,
        Err(why) => return failed(why),
    };
    {
        let frame = env.as_mut(&mut store);
        frame.memory = Some(memory);
        frame.ink_global = Some(ink_g.clone());
        frame.status_global = Some(status_g.clone());
    }
    let args_len = len32(msg.input.len());
    let outcome = entry.call(&mut store, args_len);

    collect_profile(env, &program.hash, &instance, store);
    collect_coverage(env, &program.hash, &instance, store);
    let deepest = stack.deepest(store);
    if let Some(api) = env.as_mut(&mut store).api.as_deref_mut() {
        api.note_stack_depth(deepest);
    }
    // Nitro's order: a native stack overflow first, then the depth checker, then ink.
    let out_of_stack = matches!(
        &outcome,
        Err(e) if e.clone().to_trap() != Some(TrapCode::StackOverflow)
    ) && stack.exhausted(store);
    let exhausted = !matches!(status_g.get(&mut store), Value::I32(0));
    let ink_left = match ink_g.get(&mut store) {
        Value::I64(v) if !exhausted => v as u64,
        _ => 0,
    };
    let outs = std::mem::take(&mut env.as_mut(&mut store).outs);
    let returned = |code: u32, outs: Vec<u8>| {
        let status = if code == 0 {
            Status::Success
        } else {
            Status::Revert
        };
        (status, outs)
    };
    let mut stack_overflow = false;
    let (status, output) = match outcome {
        Ok(code) => returned(code, outs),
        Err(_) if out_of_stack => (Status::Failure(OUT_OF_STACK.into()), Vec::new()),
        Err(_) if exhausted => (Status::OutOfGas, Vec::new()),
        Err(e) => {
            let message = e.message();
            if e.clone().to_trap() == Some(TrapCode::StackOverflow) {
                // Like Nitro's out-of-stack outcome, this consumes all gas.
                stack_overflow = true;
                (Status::Failure("native stack overflow".into()), Vec::new())
            } else {
                match e.downcast::<Escape>() {
                    Ok(Escape::OutOfInk) => (Status::OutOfGas, Vec::new()),
                    Ok(Escape::Exit(code)) => returned(code, outs),
                    Ok(Escape::Failure(why)) => (Status::Failure(why), Vec::new()),
                    Err(_) => (Status::Failure(format!("trap: {message}")), Vec::new()),
                }
            }
        }
    };
    // Running out of stack, either stack, takes all the frame's ink, as in Nitro.
    let ink_left = if stack_overflow || out_of_stack {
        0
    } else {
        ink_left
    };
    let gas_left = match status {
        Status::OutOfGas => 0,
        _ => ink_left / INK_PRICE,
    };
    FrameResult {
        status,
        output,
        gas_left,
        ink_used: ink.saturating_sub(ink_left),
    }
}

/// The i64 globals `instance` exports as `<prefix><index>`, by index.
fn indexed_globals(instance: &Instance, store: &mut Store, prefix: &str) -> Vec<(usize, u64)> {
    let mut found = Vec::new();
    for (name, export) in instance.exports.iter() {
        let Some(index) = name.strip_prefix(prefix) else {
            continue;
        };
        let (Ok(index), wasmer::Extern::Global(global)) = (index.parse::<usize>(), export) else {
            continue;
        };
        if let Value::I64(value) = global.get(store) {
            found.push((index, value as u64));
        }
    }
    found
}

/// With a profiling host, adds this entry's per-function ink to the program's profile.
fn collect_profile(env: &FunctionEnv<Frame>, hash: &B256, instance: &Instance, store: &mut Store) {
    let profiling = env
        .as_ref(store)
        .api
        .as_ref()
        .is_some_and(|api| api.profiling());
    if !profiling {
        return;
    }
    let ink_by_function = indexed_globals(instance, store, PROFILE_GLOBAL_PREFIX);
    if let Some(api) = env.as_mut(store).api.as_deref_mut() {
        api.record_profile(*hash, &ink_by_function);
    }
}

/// With a coverage host, adds the basic blocks this entry ran to the program's coverage.
fn collect_coverage(env: &FunctionEnv<Frame>, hash: &B256, instance: &Instance, store: &mut Store) {
    let covering = env
        .as_ref(store)
        .api
        .as_ref()
        .is_some_and(|api| api.covering());
    if !covering {
        return;
    }
    let words = indexed_globals(instance, store, COVERAGE_GLOBAL_PREFIX);
    let mut bitmap = vec![0u64; words.iter().map(|(i, _)| i + 1).max().unwrap_or(0)];
    for (index, bits) in words {
        bitmap[index] = bits;
    }
    if let Some(api) = env.as_mut(store).api.as_deref_mut() {
        api.record_coverage(*hash, &bitmap);
    }
}

fn import_object(store: &mut Store, env: &FunctionEnv<Frame>) -> wasmer::Imports {
    macro_rules! f {
        ($func:ident) => {
            Function::new_typed_with_env(store, env, $func)
        };
    }
    imports! {
        "vm_hooks" => {
            "read_args" => f!(read_args),
            "write_result" => f!(write_result),
            "exit_early" => f!(exit_early),
            "storage_load_bytes32" => f!(storage_load_bytes32),
            "storage_cache_bytes32" => f!(storage_cache_bytes32),
            "storage_flush_cache" => f!(storage_flush_cache),
            "transient_load_bytes32" => f!(transient_load_bytes32),
            "transient_store_bytes32" => f!(transient_store_bytes32),
            "call_contract" => f!(call_contract),
            "delegate_call_contract" => f!(delegate_call_contract),
            "static_call_contract" => f!(static_call_contract),
            "create1" => f!(create1),
            "create2" => f!(create2),
            "read_return_data" => f!(read_return_data),
            "return_data_size" => f!(return_data_size),
            "emit_log" => f!(emit_log),
            "account_balance" => f!(account_balance),
            "account_code" => f!(account_code),
            "account_code_size" => f!(account_code_size),
            "account_codehash" => f!(account_codehash),
            "block_basefee" => f!(block_basefee),
            "block_coinbase" => f!(block_coinbase),
            "block_gas_limit" => f!(block_gas_limit),
            "block_number" => f!(block_number),
            "block_timestamp" => f!(block_timestamp),
            "chainid" => f!(chainid),
            "contract_address" => f!(contract_address),
            "evm_gas_left" => f!(evm_gas_left),
            "evm_ink_left" => f!(evm_ink_left),
            "math_div" => f!(math_div),
            "math_mod" => f!(math_mod),
            "math_pow" => f!(math_pow),
            "math_add_mod" => f!(math_add_mod),
            "math_mul_mod" => f!(math_mul_mod),
            "msg_reentrant" => f!(msg_reentrant),
            "msg_sender" => f!(msg_sender),
            "msg_value" => f!(msg_value),
            "native_keccak256" => f!(native_keccak256),
            "pay_for_memory_grow" => f!(pay_for_memory_grow),
            "tx_gas_price" => f!(tx_gas_price),
            "tx_ink_price" => f!(tx_ink_price),
            "tx_origin" => f!(tx_origin),
        },
        "console" => {
            "log_txt" => f!(log_txt),
            "log_i32" => f!(log_i32),
            "log_i64" => f!(log_i64),
            "tee_i32" => f!(tee_i32),
            "tee_i64" => f!(tee_i64),
        },
    }
}
