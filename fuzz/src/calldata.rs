//! Coverage-guided calldata fuzzing of every Keel program (`keel fuzz calldata`).
//!
//! Each program is fuzzed through the address its callers reach it at — the vault for the
//! vault and its three modules (which it delegate-calls; the modules are also called
//! directly), the engines, the oracle adapter and the depeg guard at their own — by every
//! kind of caller (owner, account owners, an operator, a stranger, the RFQ market, the vault
//! itself), on four states of the deployed world: trading, paused, after a crash with an
//! auction running, and past the option expiry.
//!
//! * **Seeds**: every call frame the world's set-up and a few invariant sequences made
//!   (recorded with [`CallRecorder`]), and one call per function of the program's ABI
//!   (`abi/*.json`) with arguments drawn from the world's own values.
//! * **Coverage**: the programs run on a [`TestChain::covering`] chain, which sets one bit per
//!   basic block run (all programs' blocks count, so a vault call that reaches a new branch of
//!   an engine is kept). An input that sets a new bit joins the corpus.
//! * **Mutations**: word-aware havoc — dictionary words (the world's addresses, accounts,
//!   instruments, amounts, boundaries), bit and byte flips, arithmetic, inserted, deleted and
//!   copied words, truncation, splicing, another selector, caller, state or entry.
//! * **Checks** ([`check`]): no program frame traps, runs out of stack or breaks a host rule,
//!   anywhere in the call tree; no call runs out of its 60 M gas; every revert is an error a Keel ABI declares (its arguments
//!   decoding), or empty where the dispatchers document it (unknown selector, calldata that
//!   is not a well-formed encoding of the function's arguments, a module called directly).
//!
//! A failing input is a [`Crash`]: stored by name (state, caller, entry, calldata) so
//! `fuzz/regressions/` replays it against a later build.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use alloy::dyn_abi::{DynSolType, DynSolValue, JsonAbiExt, Specifier};
use alloy::json_abi::{Error as AbiError, Function, JsonAbi};
use alloy::primitives::{hex, keccak256, Address, B256, I256, U256};
use anyhow::{anyhow, Context, Result};
use keel_chain::executor::CallRecorder;
use keel_chain::TestChain;
use keel_deploy::Record;
use keel_stylus_host::Status;
use serde::{Deserialize, Serialize};

use crate::steps::Step;
use crate::world::{World, GAS, WAD};

/// Keel's programs: role in the deployment record and the ABI (`abi/<name>.json`) of what
/// reaches it.
pub const PROGRAMS: [(&str, &str); 8] = [
    ("vault", "IMarginVault"),
    ("marginModule", "IMarginVault"),
    ("tradingModule", "IMarginVault"),
    ("liquidationModule", "IMarginVault"),
    ("portfolioEngine", "IRiskEngine"),
    ("crossEngine", "ICrossEngine"),
    ("oracleAdapter", "IOracleAdapter"),
    ("depegGuard", "ILstDepegGuard"),
];

/// The states inputs run on, by index.
pub const STATES: [&str; 4] = ["trading", "paused", "crashed", "expired"];

/// Most words a mutated calldata may hold (bounds a run's memory and time).
const MAX_WORDS: usize = 96;

/// One fuzz input: which state, who calls, which of the target's entry addresses, what.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Input {
    pub state: usize,
    pub caller: usize,
    pub entry: usize,
    pub data: Vec<u8>,
}

/// A failing input, by name, with why it failed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Crash {
    /// The program fuzzed (its role).
    pub contract: String,
    /// One of [`STATES`].
    pub state: String,
    /// A caller's name ([`Fuzz::callers`]).
    pub caller: String,
    /// A role the call is sent to.
    pub to: String,
    /// The calldata, hex.
    pub calldata: String,
    /// What went wrong.
    pub finding: String,
}

/// How one execution ended, for the tallies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "camelCase")]
pub enum Ending {
    Success,
    NamedRevert,
    DocumentedEmptyRevert,
    Finding,
}

/// One program's campaign.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ContractReport {
    pub contract: String,
    pub execs: u64,
    pub seconds: f64,
    pub execs_per_second: f64,
    pub seeds: usize,
    pub corpus: usize,
    /// The program's basic blocks.
    pub blocks: u64,
    /// Blocks its seeds reached.
    pub blocks_seeds: u64,
    /// Blocks reached by the end.
    pub blocks_reached: u64,
    /// Executions by how they ended.
    pub endings: BTreeMap<Ending, u64>,
    /// The failing inputs (at most the first 20 distinct findings).
    pub crashes: Vec<Crash>,
}

/// A run over several programs.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub seed: u64,
    pub contracts: Vec<ContractReport>,
}

impl Report {
    /// Whether no campaign found anything.
    pub fn clean(&self) -> bool {
        self.contracts.iter().all(|c| c.crashes.is_empty())
    }
}

/// A program under fuzz: its role, code address, the addresses calls reach it at, their ABI.
#[derive(Clone)]
struct Target {
    role: &'static str,
    /// Where its code lives.
    program: Address,
    /// (role, address) of each entry: the vault, then the program itself, for a module.
    entries: Vec<(&'static str, Address)>,
    abi: Arc<JsonAbi>,
}

/// The world prepared for fuzzing: the states, who calls, the ABIs, the dictionary, seeds.
pub struct Fuzz {
    states: Vec<TestChain>,
    /// (name, address) of every caller.
    callers: Vec<(String, Address)>,
    targets: Vec<Target>,
    /// Every error the Keel ABIs declare, by selector.
    errors: HashMap<[u8; 4], Vec<AbiError>>,
    /// Words worth trying anywhere.
    dictionary: Vec<[u8; 32]>,
    /// Recorded calls, as inputs by target role.
    recorded: HashMap<&'static str, Vec<Input>>,
    /// Role of each program's code hash.
    roles: HashMap<B256, &'static str>,
}

fn word(value: U256) -> [u8; 32] {
    value.to_be_bytes()
}

fn address_word(a: Address) -> [u8; 32] {
    let mut w = [0u8; 32];
    w[12..].copy_from_slice(a.as_slice());
    w
}

impl Fuzz {
    /// Prepares the states from `world` (Keel deployed as `record` says), reading the ABIs in
    /// `abi_dir`; records the calls of the set-up and of `invariant_runs` invariant sequences
    /// as seeds.
    pub fn prepare(
        world: &World,
        record: &Record,
        abi_dir: &Path,
        invariant_runs: u32,
    ) -> Result<Fuzz> {
        let recorder = Arc::new(CallRecorder::default());
        let mut trading = world.fork();
        trading.chain.set_call_hook(Some(recorder.clone()));
        // Positions in every account: options and perpetuals, both ways.
        for step in [
            Step::Trade {
                taker: 0,
                maker: World::MAKER,
                instrument: 1,
                halves: 6,
                off: 0,
            },
            Step::Trade {
                taker: 1,
                maker: World::MAKER,
                instrument: 2,
                halves: -4,
                off: 5,
            },
            Step::Trade {
                taker: 2,
                maker: World::MAKER,
                instrument: 0,
                halves: 8,
                off: 0,
            },
            Step::Lever {
                actor: 0,
                long: true,
            },
            Step::Lever {
                actor: 2,
                long: true,
            },
            Step::Trade {
                taker: World::KEEPER,
                maker: World::MAKER,
                instrument: 1,
                halves: -2,
                off: -3,
            },
        ] {
            trading.apply(&step);
        }
        let mut paused = trading.fork();
        paused.apply(&Step::Pause { on: true });
        let mut crashed = trading.fork();
        for step in [
            Step::Price { percent: -35 },
            Step::StartAuction { target: 0 },
            Step::StartAuction { target: 2 },
            Step::Bid {
                target: 0,
                percent: 20,
                by_owner: false,
            },
            Step::Sequencer { down: false },
        ] {
            crashed.apply(&step);
        }
        let mut expired = trading.fork();
        expired.warp(8 * 86_400);
        let _ = expired.refresh_feeds();
        for target in 0..3 {
            expired.apply(&Step::Settle { target });
        }
        expired.apply(&Step::Realise { target: 2 });
        let settings = crate::Settings {
            runs: invariant_runs,
            seed: 0x6b65656c,
            max_steps: 24,
            trace: false,
        };
        if invariant_runs > 0 {
            crate::invariants(&trading, settings, |_| {});
        }
        let calls = recorder.take();
        let mut states = Vec::new();
        for mut w in [trading, paused, crashed, expired] {
            w.chain.set_call_hook(None);
            states.push(w.chain);
        }

        let mut callers: Vec<(String, Address)> = vec![("admin".into(), world.admin)];
        for (n, a) in world.actors.iter().enumerate() {
            callers.push((format!("owner{n}"), a.owner()));
        }
        callers.extend([
            ("operator".to_string(), world.operator),
            ("stranger".to_string(), world.stranger),
            ("rfqMarket".to_string(), world.rfq),
            ("vault".to_string(), world.vault),
        ]);

        let mut abis: HashMap<&str, Arc<JsonAbi>> = HashMap::new();
        for (_, name) in PROGRAMS {
            if abis.contains_key(name) {
                continue;
            }
            let path = abi_dir.join(format!("{name}.json"));
            let text = std::fs::read_to_string(&path)
                .with_context(|| format!("reading {}", path.display()))?;
            let abi: JsonAbi = serde_json::from_str(&text)
                .with_context(|| format!("parsing {}", path.display()))?;
            abis.insert(name, Arc::new(abi));
        }
        let mut errors: HashMap<[u8; 4], Vec<AbiError>> = HashMap::new();
        for abi in abis.values() {
            for e in abi.errors() {
                let list = errors.entry(e.selector().0).or_default();
                if !list.contains(e) {
                    list.push(e.clone());
                }
            }
        }
        let vault = world.vault;
        let mut targets = Vec::new();
        let mut roles = HashMap::new();
        for (role, abi) in PROGRAMS {
            let program = record.address(role)?;
            roles.insert(keccak256(states[0].code(program)), role);
            let entries = if role.ends_with("Module") {
                vec![("vault", vault), (role, program)]
            } else {
                vec![(role, program)]
            };
            targets.push(Target {
                role,
                program,
                entries,
                abi: abis[abi].clone(),
            });
        }

        // The dictionary: the world's addresses, accounts, instruments, times, amounts, edges.
        let mut dictionary: Vec<[u8; 32]> = Vec::new();
        let mut addresses: Vec<Address> = callers.iter().map(|(_, a)| *a).collect();
        addresses.extend(targets.iter().map(|t| t.program));
        addresses.extend([
            world.usdc,
            world.weth,
            world.wsteth,
            world.eth_feed,
            world.usdc_feed,
            world.wsteth_feed,
            world.wsteth_market_feed,
            world.sequencer_feed,
            Address::ZERO,
        ]);
        dictionary.extend(addresses.iter().map(|a| address_word(*a)));
        let now = world.now();
        let mut numbers: Vec<U256> = (0u64..=8).map(U256::from).collect();
        numbers.extend(world.instruments.iter().copied());
        numbers.extend([
            U256::from(world.expiry),
            U256::from(now),
            U256::from(now + 3_600),
            U256::from(now.saturating_sub(3_600)),
            U256::from(WAD),
            U256::from(WAD / 2),
            U256::from(WAD) * U256::from(2_000u64),
            U256::from(1_000_000u64),
            U256::from(100_000_000u64),
            U256::from(32u64),
            U256::from(64u64),
            U256::from(u64::MAX),
            U256::from(u64::MAX) + U256::from(1u64),
            U256::from(u128::MAX),
            U256::from(u128::MAX) + U256::from(1u64),
            U256::MAX,
            U256::MAX - U256::from(1u64),
            U256::from(1u64) << 255,
            (U256::from(1u64) << 255) - U256::from(1u64),
            (-I256::try_from(WAD).unwrap_or_default()).into_raw(),
        ]);
        dictionary.extend(numbers.into_iter().map(word));
        // Words the recorded calls carried (amounts, prices, signatures, snapshot pieces).
        for call in calls.iter().take(4_000) {
            for chunk in call.input.get(4..).unwrap_or_default().chunks_exact(32) {
                let mut w = [0u8; 32];
                w.copy_from_slice(chunk);
                if dictionary.len() < 2_048 && !dictionary.contains(&w) {
                    dictionary.push(w);
                }
            }
        }

        let caller_index = |a: Address| callers.iter().position(|(_, c)| *c == a);
        let mut recorded: HashMap<&'static str, Vec<Input>> = HashMap::new();
        for call in &calls {
            let Some(target) = targets.iter().find(|t| t.program == call.code_address) else {
                continue;
            };
            let Some(entry) = target.entries.iter().position(|(_, a)| *a == call.address) else {
                continue;
            };
            let caller = caller_index(call.caller).unwrap_or(callers.len() - 2);
            let input = Input {
                state: 0,
                caller,
                entry,
                data: call.input.clone(),
            };
            let list = recorded.entry(target.role).or_default();
            if !list.contains(&input) {
                list.push(input);
            }
        }
        Ok(Fuzz {
            states,
            callers,
            targets,
            errors,
            dictionary,
            recorded,
            roles,
        })
    }

    /// The programs' roles.
    pub fn contracts(&self) -> Vec<&'static str> {
        self.targets.iter().map(|t| t.role).collect()
    }

    /// The callers' names.
    pub fn callers(&self) -> Vec<String> {
        self.callers.iter().map(|(n, _)| n.clone()).collect()
    }

    fn target(&self, role: &str) -> Result<&Target> {
        self.targets.iter().find(|t| t.role == role).ok_or_else(|| {
            anyhow!(
                "no Keel program is called {role}: one of {:?}",
                self.contracts()
            )
        })
    }

    /// Fuzzes each of `contracts` for `execs` executions from `seed`, `jobs` programs at a
    /// time; `progress` gets a line now and then.
    pub fn run(
        &self,
        contracts: &[&str],
        execs: u64,
        seed: u64,
        jobs: usize,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<Report> {
        let targets: Vec<&Target> = contracts
            .iter()
            .map(|c| self.target(c))
            .collect::<Result<_>>()?;
        let next = AtomicUsize::new(0);
        let reports: Mutex<Vec<(usize, ContractReport)>> = Mutex::new(Vec::new());
        let failed: Mutex<Option<anyhow::Error>> = Mutex::new(None);
        std::thread::scope(|scope| {
            for _ in 0..jobs.max(1).min(targets.len()) {
                scope.spawn(|| loop {
                    let i = next.fetch_add(1, Ordering::SeqCst);
                    let Some(target) = targets.get(i) else {
                        break;
                    };
                    let campaign_seed = seed ^ (keccak256(target.role).0[0] as u64) << 32;
                    match self.campaign(target, execs, campaign_seed, progress) {
                        Ok(report) => reports
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((i, report)),
                        Err(e) => {
                            *failed.lock().unwrap_or_else(|p| p.into_inner()) = Some(e);
                            break;
                        }
                    }
                });
            }
        });
        if let Some(e) = failed.into_inner().unwrap_or_else(|p| p.into_inner()) {
            return Err(e);
        }
        let mut reports = reports.into_inner().unwrap_or_else(|p| p.into_inner());
        reports.sort_by_key(|(i, _)| *i);
        Ok(Report {
            seed,
            contracts: reports.into_iter().map(|(_, r)| r).collect(),
        })
    }

    /// This thread's states, recompiled to record coverage (one log for all four).
    fn covering_states(&self) -> Vec<TestChain> {
        let first = self.states[0].covering();
        self.states.iter().map(|s| s.fork_onto(&first)).collect()
    }

    fn seeds(&self, target: &Target, rng: &mut Rng) -> Vec<Input> {
        let mut seeds = self.recorded.get(target.role).cloned().unwrap_or_default();
        // One call per function, on every state, arguments from the dictionary.
        for function in target.abi.functions() {
            for state in 0..STATES.len() {
                let entry = 0;
                let caller = rng.below(self.callers.len());
                let data = self.abi_call(function, rng);
                seeds.push(Input {
                    state,
                    caller,
                    entry,
                    data,
                });
            }
        }
        // Recorded calls on the other states too.
        let recorded: Vec<Input> = seeds.iter().filter(|s| s.state == 0).cloned().collect();
        for s in recorded {
            seeds.push(Input {
                state: 1 + rng.below(STATES.len() - 1),
                ..s
            });
        }
        seeds
    }

    /// A well-formed call of `function`, its arguments drawn from the dictionary.
    fn abi_call(&self, function: &Function, rng: &mut Rng) -> Vec<u8> {
        let values: Vec<DynSolValue> = function
            .inputs
            .iter()
            .filter_map(|p| p.resolve().ok())
            .map(|ty| self.value(&ty, rng, 0))
            .collect();
        function
            .abi_encode_input(&values)
            .unwrap_or_else(|_| function.selector().to_vec())
    }

    fn value(&self, ty: &DynSolType, rng: &mut Rng, depth: usize) -> DynSolValue {
        let w = self.dictionary[rng.below(self.dictionary.len())];
        let n = U256::from_be_bytes(w);
        match ty {
            DynSolType::Address => DynSolValue::Address(Address::from_slice(&w[12..])),
            DynSolType::Bool => DynSolValue::Bool(rng.below(2) == 1),
            DynSolType::Uint(bits) => {
                let masked = if *bits == 256 {
                    n
                } else {
                    n & ((U256::from(1u64) << *bits) - U256::from(1u64))
                };
                DynSolValue::Uint(masked, *bits)
            }
            DynSolType::Int(bits) => {
                let raw = I256::from_raw(n);
                let value = if *bits == 256 {
                    raw
                } else {
                    I256::try_from(rng.below(2_000) as i64 - 1_000).unwrap_or_default()
                        * I256::try_from(WAD / 1_000).unwrap_or_default()
                };
                DynSolValue::Int(value, *bits)
            }
            DynSolType::FixedBytes(size) => DynSolValue::FixedBytes(B256::from(w), *size),
            DynSolType::Bytes => {
                let len = rng.below(3) * 32 + rng.below(32);
                DynSolValue::Bytes((0..len).map(|_| rng.next() as u8).collect())
            }
            DynSolType::String => DynSolValue::String("keel".into()),
            DynSolType::Array(inner) if depth < 3 => DynSolValue::Array(
                (0..rng.below(3))
                    .map(|_| self.value(inner, rng, depth + 1))
                    .collect(),
            ),
            DynSolType::FixedArray(inner, len) if depth < 3 => DynSolValue::FixedArray(
                (0..*len)
                    .map(|_| self.value(inner, rng, depth + 1))
                    .collect(),
            ),
            DynSolType::Tuple(items) if depth < 3 => DynSolValue::Tuple(
                items
                    .iter()
                    .map(|t| self.value(t, rng, depth + 1))
                    .collect(),
            ),
            // Deeper nesting: the smallest value of the type.
            _ => DynSolValue::Uint(U256::ZERO, 256),
        }
    }

    /// Runs `input` against `target` on `states`: its ending, the finding if any, and the
    /// coverage it produced.
    fn execute(
        &self,
        states: &mut [TestChain],
        target: &Target,
        input: &Input,
    ) -> (Ending, Option<String>, HashMap<B256, Vec<u64>>) {
        let chain = &mut states[input.state];
        let from = self.callers[input.caller].1;
        let (entry_role, to) = target.entries[input.entry];
        let outcome = chain.simulate(from, to, &input.data, U256::ZERO, GAS);
        let coverage = chain.take_coverage();
        let direct_module = entry_role.ends_with("Module");
        let verdict = check(
            &outcome,
            &input.data,
            &target.abi,
            &self.errors,
            direct_module,
            |address| self.role_of(keccak256(self.states[0].code(address))),
        );
        match verdict {
            Ok(ending) => (ending, None, coverage),
            Err(finding) => (Ending::Finding, Some(finding), coverage),
        }
    }

    fn role_of(&self, hash: B256) -> String {
        self.roles
            .get(&hash)
            .map_or_else(|| format!("code {hash}"), |r| r.to_string())
    }

    fn campaign(
        &self,
        target: &Target,
        execs: u64,
        seed: u64,
        progress: &(dyn Fn(&str) + Sync),
    ) -> Result<ContractReport> {
        let started = Instant::now();
        let mut states = self.covering_states();
        let mut rng = Rng::new(seed);
        let seeds = self.seeds(target, &mut rng);
        let mut run = Run::default();
        for input in &seeds {
            let (ending, finding, coverage) = self.execute(&mut states, target, input);
            run.record(self, target, input, ending, finding, &coverage);
        }
        if run.corpus.is_empty() {
            run.corpus.extend(seeds.iter().take(1).cloned());
        }
        let program_hash = keccak256(self.states[0].code(target.program));
        let blocks_seeds = reached(&run.seen, &program_hash);
        let blocks: u64 = states[0]
            .coverage_layout()
            .get(&program_hash)
            .map_or(0, |b| b.iter().map(|&n| u64::from(n)).sum());
        let mut last_report = Instant::now();
        let mut n = seeds.len() as u64;
        while n < execs {
            let input = self.mutate(target, &run.corpus, &mut rng);
            let (ending, finding, coverage) = self.execute(&mut states, target, &input);
            run.record(self, target, &input, ending, finding, &coverage);
            n += 1;
            if last_report.elapsed().as_secs() >= 30 {
                last_report = Instant::now();
                let secs = started.elapsed().as_secs_f64();
                progress(&format!(
                    "  {}: {n} execs ({:.0}/s), corpus {}, blocks {}/{blocks}, findings {}",
                    target.role,
                    n as f64 / secs,
                    run.corpus.len(),
                    reached(&run.seen, &program_hash),
                    run.crashes.len()
                ));
            }
        }
        let seconds = started.elapsed().as_secs_f64();
        let report = ContractReport {
            contract: target.role.to_string(),
            execs: n,
            seconds,
            execs_per_second: n as f64 / seconds.max(1e-9),
            seeds: seeds.len(),
            corpus: run.corpus.len(),
            blocks,
            blocks_seeds,
            blocks_reached: reached(&run.seen, &program_hash),
            endings: run.endings,
            crashes: run.crashes,
        };
        progress(&format!(
            "  {}: done, {} execs in {:.0} s, blocks {}/{} (seeds {}), findings {}",
            report.contract,
            report.execs,
            report.seconds,
            report.blocks_reached,
            report.blocks,
            report.blocks_seeds,
            report.crashes.len()
        ));
        Ok(report)
    }

    fn crash(&self, target: &Target, input: &Input, finding: String) -> Crash {
        Crash {
            contract: target.role.to_string(),
            state: STATES[input.state].to_string(),
            caller: self.callers[input.caller].0.clone(),
            to: target.entries[input.entry].0.to_string(),
            calldata: format!("0x{}", hex::encode(&input.data)),
            finding,
        }
    }

    /// Runs a stored crash again: `Ok` when the program now passes [`check`] on it.
    pub fn replay(&self, crash: &Crash) -> Result<std::result::Result<Ending, String>> {
        let target = self.target(&crash.contract)?;
        let state = STATES
            .iter()
            .position(|s| *s == crash.state)
            .ok_or_else(|| anyhow!("state: {} is not one of {STATES:?}", crash.state))?;
        let caller = self
            .callers
            .iter()
            .position(|(n, _)| *n == crash.caller)
            .ok_or_else(|| {
                anyhow!(
                    "caller: {} is not one of {:?}",
                    crash.caller,
                    self.callers()
                )
            })?;
        let entry = target
            .entries
            .iter()
            .position(|(r, _)| *r == crash.to)
            .ok_or_else(|| anyhow!("to: {} does not reach {}", crash.to, crash.contract))?;
        let data = hex::decode(&crash.calldata).context("calldata: not hex")?;
        let mut states: Vec<TestChain> = self.states.iter().map(TestChain::fork).collect();
        let input = Input {
            state,
            caller,
            entry,
            data,
        };
        let (ending, finding, _) = self.execute(&mut states, target, &input);
        Ok(finding.map_or(Ok(ending), Err))
    }

    fn mutate(&self, target: &Target, corpus: &[Input], rng: &mut Rng) -> Input {
        let mut input = corpus[rng.below(corpus.len())].clone();
        for _ in 0..1 + rng.below(4) {
            self.mutate_once(target, corpus, &mut input, rng);
        }
        input
    }

    fn mutate_once(&self, target: &Target, corpus: &[Input], input: &mut Input, rng: &mut Rng) {
        let data = &mut input.data;
        if data.len() < 4 {
            data.resize(4, 0);
        }
        let words = (data.len() - 4) / 32;
        let pick_word = |rng: &mut Rng| 4 + 32 * rng.below(words.max(1));
        match rng.below(16) {
            // A dictionary word in place of an argument.
            0..=3 if words > 0 => {
                let at = pick_word(rng);
                data[at..at + 32]
                    .copy_from_slice(&self.dictionary[rng.below(self.dictionary.len())]);
            }
            // A small number (a length, an offset, an index, a mode).
            4 if words > 0 => {
                let at = pick_word(rng);
                let small = [
                    0u64, 1, 2, 3, 4, 31, 32, 33, 63, 64, 0x40, 0x60, 0x80, 255, 256,
                ];
                data[at..at + 32].copy_from_slice(&word(U256::from(small[rng.below(small.len())])));
            }
            // Arithmetic on a word.
            5 if words > 0 => {
                let at = pick_word(rng);
                let value =
                    U256::from_be_bytes::<32>(data[at..at + 32].try_into().unwrap_or([0; 32]));
                let delta = U256::from(1 + rng.below(16));
                let value = if rng.below(2) == 0 {
                    value.wrapping_add(delta)
                } else {
                    value.wrapping_sub(delta)
                };
                data[at..at + 32].copy_from_slice(&word(value));
            }
            // Bit and byte flips.
            6 => {
                let at = rng.below(data.len());
                data[at] ^= 1 << rng.below(8);
            }
            7 => {
                let at = rng.below(data.len());
                data[at] = rng.next() as u8;
            }
            // Truncation.
            8 => {
                let len = rng.below(data.len() + 1);
                data.truncate(len);
            }
            // A word more or less.
            9 if words < MAX_WORDS => {
                let at = 4 + 32 * rng.below(words + 1);
                let w = self.dictionary[rng.below(self.dictionary.len())];
                let at = at.min(data.len());
                data.splice(at..at, w);
            }
            10 if words > 0 => {
                let at = pick_word(rng);
                data.drain(at..at + 32);
            }
            // One argument copied over another.
            11 if words > 1 => {
                let (from, to) = (pick_word(rng), pick_word(rng));
                let w: Vec<u8> = data[from..from + 32].to_vec();
                data[to..to + 32].copy_from_slice(&w);
            }
            // Another function's selector.
            12 => {
                let functions: Vec<&Function> = target.abi.functions().collect();
                if !functions.is_empty() {
                    let f = functions[rng.below(functions.len())];
                    data[..4].copy_from_slice(&f.selector().0);
                }
            }
            // Another input's arguments spliced in.
            13 => {
                let other = &corpus[rng.below(corpus.len())].data;
                if other.len() > 4 {
                    let cut = 4 + rng.below(other.len() - 4);
                    let keep = (4 + rng.below(data.len().saturating_sub(3))).min(data.len());
                    data.truncate(keep);
                    data.extend_from_slice(&other[cut..]);
                }
            }
            // Who, where, to which entry.
            14 => input.caller = rng.below(self.callers.len()),
            _ => {
                if rng.below(2) == 0 {
                    input.state = rng.below(STATES.len());
                } else {
                    input.entry = rng.below(target.entries.len());
                }
            }
        }
        input.data.truncate(4 + 32 * MAX_WORDS);
    }
}

/// A campaign's state: coverage seen, the corpus, the tallies and the crashes.
#[derive(Default)]
struct Run {
    seen: HashMap<B256, Vec<u64>>,
    corpus: Vec<Input>,
    endings: BTreeMap<Ending, u64>,
    crashes: Vec<Crash>,
}

impl Run {
    fn record(
        &mut self,
        fuzz: &Fuzz,
        target: &Target,
        input: &Input,
        ending: Ending,
        finding: Option<String>,
        coverage: &HashMap<B256, Vec<u64>>,
    ) {
        *self.endings.entry(ending).or_default() += 1;
        if let Some(finding) = finding {
            if self.crashes.len() < 20 && !self.crashes.iter().any(|c| c.finding == finding) {
                self.crashes.push(fuzz.crash(target, input, finding));
            }
        }
        if merge(&mut self.seen, coverage) > 0 {
            self.corpus.push(input.clone());
        }
    }
}

/// Adds `coverage` to `seen`: how many bits were new.
fn merge(seen: &mut HashMap<B256, Vec<u64>>, coverage: &HashMap<B256, Vec<u64>>) -> u32 {
    let mut new = 0;
    for (hash, bits) in coverage {
        let known = seen.entry(*hash).or_default();
        if known.len() < bits.len() {
            known.resize(bits.len(), 0);
        }
        for (k, b) in known.iter_mut().zip(bits) {
            new += (b & !*k).count_ones();
            *k |= b;
        }
    }
    new
}

fn reached(seen: &HashMap<B256, Vec<u64>>, program: &B256) -> u64 {
    seen.get(program).map_or(0, |bits| {
        bits.iter().map(|b| u64::from(b.count_ones())).sum()
    })
}

/// Judges one execution: `Ok(how it ended)` when nothing is wrong, else what is.
///
/// Wrong: a program frame that failed anywhere (a trap — a Rust panic aborts to one —, out
/// of stack, a host rule broken; `role` names its code), a top-level failure, running out of
/// the [`GAS`] given, revert data that is not an error of `errors` with decodable
/// arguments, or an empty revert of a call whose selector `abi` declares and whose calldata
/// is a well-formed encoding of its arguments (trailing bytes ignored, as the dispatchers
/// ignore them) — unless `direct_module` (a vault module called at its own address serves
/// only its own selectors and reverts empty on the others).
pub fn check(
    outcome: &keel_chain::Outcome,
    calldata: &[u8],
    abi: &JsonAbi,
    errors: &HashMap<[u8; 4], Vec<AbiError>>,
    direct_module: bool,
    role: impl Fn(Address) -> String,
) -> std::result::Result<Ending, String> {
    if let Some((code, status)) = outcome.failed_frames.first() {
        let why = match status {
            Status::Failure(why) => why.clone(),
            other => format!("{other:?}"),
        };
        return Err(format!("{} failed: {why}", role(*code)));
    }
    match &outcome.status {
        Status::Success => return Ok(Ending::Success),
        // No Keel call needs a fraction of this (a bid on the largest account: 10.7 M).
        Status::OutOfGas => return Err(format!("ran out of gas ({GAS} given)")),
        Status::Failure(why) => return Err(format!("the call failed: {why}")),
        Status::Revert => {}
    }
    let data = &outcome.return_data;
    if data.is_empty() {
        let Some(selector) = calldata.get(..4) else {
            return Ok(Ending::DocumentedEmptyRevert);
        };
        let Some(function) = abi.functions().find(|f| f.selector().0 == selector) else {
            return Ok(Ending::DocumentedEmptyRevert);
        };
        if direct_module {
            return Ok(Ending::DocumentedEmptyRevert);
        }
        let args = &calldata[4..];
        let well_formed = function
            .abi_decode_input(args)
            .ok()
            .filter(|values| values.iter().all(fits))
            .and_then(|values| function.abi_encode_input_raw(&values).ok())
            .is_some_and(|canonical| args.starts_with(&canonical));
        return if well_formed {
            Err(format!(
                "empty revert of a well-formed {}",
                function.signature()
            ))
        } else {
            Ok(Ending::DocumentedEmptyRevert)
        };
    }
    let named = data.get(..4).and_then(|s| {
        let selector: [u8; 4] = s.try_into().ok()?;
        errors
            .get(&selector)?
            .iter()
            .find(|e| e.abi_decode_input(&data[4..]).is_ok())
    });
    match named {
        Some(_) => Ok(Ending::NamedRevert),
        None => Err(format!(
            "reverted with data no Keel ABI declares: 0x{}",
            hex::encode(data)
        )),
    }
}

/// Whether a decoded value fits its type as Solidity's decoder requires (alloy's dynamic
/// decoder keeps the whole word of a `uint8` or `bytes4`; re-encoding checks the rest).
fn fits(value: &DynSolValue) -> bool {
    match value {
        DynSolValue::Uint(v, bits) => *bits >= 256 || v.bit_len() <= *bits,
        DynSolValue::Int(v, bits) => {
            *bits >= 256 || {
                let half = I256::ONE << (*bits - 1);
                *v >= -half && *v < half
            }
        }
        DynSolValue::FixedBytes(w, size) => w[*size..].iter().all(|b| *b == 0),
        DynSolValue::Array(items) | DynSolValue::FixedArray(items) | DynSolValue::Tuple(items) => {
            items.iter().all(fits)
        }
        _ => true,
    }
}

/// splitmix64: a small, seedable generator (the same seed, the same campaign).
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Rng(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 when `n` is 0).
    fn below(&mut self, n: usize) -> usize {
        if n == 0 {
            0
        } else {
            (self.next() % n as u64) as usize
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy::sol_types::{SolCall, SolError};
    use keel_chain::Outcome;
    use keel_deploy::bindings::IMarginVault;

    fn vault_abi() -> JsonAbi {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../abi/IMarginVault.json");
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
    }

    fn outcome(status: Status, data: Vec<u8>) -> Outcome {
        Outcome {
            success: status == Status::Success,
            status,
            return_data: data,
            execution_gas: 0,
            intrinsic_gas: 0,
            refund: 0,
            gas_used: 0,
            ink_used: 0,
            logs: Vec::new(),
            tally: Default::default(),
            deepest_stack: 0,
            failed_frames: Vec::new(),
        }
    }

    fn judge(
        o: &Outcome,
        calldata: &[u8],
        direct_module: bool,
    ) -> std::result::Result<Ending, String> {
        let abi = vault_abi();
        let mut errors: HashMap<[u8; 4], Vec<AbiError>> = HashMap::new();
        for e in abi.errors() {
            errors.entry(e.selector().0).or_default().push(e.clone());
        }
        check(o, calldata, &abi, &errors, direct_module, |a| {
            format!("{a}")
        })
    }

    #[test]
    fn traps_gas_exhaustion_and_undeclared_reverts_are_findings() {
        let call = IMarginVault::setModeCall {
            id: U256::from(1u64),
            mode: 2,
        }
        .abi_encode();
        // A sub-frame that trapped, even under a call that then succeeded.
        let mut trapped = outcome(Status::Success, vec![]);
        trapped.failed_frames.push((
            Address::repeat_byte(7),
            Status::Failure("trap: unreachable".into()),
        ));
        let why = judge(&trapped, &call, false).unwrap_err();
        assert!(
            why.contains("unreachable") && why.contains(&Address::repeat_byte(7).to_string()),
            "{why}"
        );
        assert!(judge(&outcome(Status::OutOfGas, vec![]), &call, false).is_err());
        assert!(judge(
            &outcome(Status::Failure("native stack overflow".into()), vec![]),
            &call,
            false
        )
        .is_err());
        // A declared error with its arguments is a named revert; an unknown selector, or a
        // declared one whose arguments do not decode, is a finding.
        let named = IMarginVault::UnknownAccount {
            id: U256::from(9u64),
        }
        .abi_encode();
        assert_eq!(
            judge(&outcome(Status::Revert, named.clone()), &call, false),
            Ok(Ending::NamedRevert)
        );
        assert!(judge(
            &outcome(Status::Revert, vec![0xde, 0xad, 0xbe, 0xef]),
            &call,
            false
        )
        .is_err());
        assert!(judge(&outcome(Status::Revert, named[..20].to_vec()), &call, false).is_err());
        assert_eq!(
            judge(&outcome(Status::Success, vec![]), &call, false),
            Ok(Ending::Success)
        );
    }

    #[test]
    fn an_empty_revert_is_a_finding_only_on_a_well_formed_call() {
        let empty = outcome(Status::Revert, vec![]);
        let call = IMarginVault::setModeCall {
            id: U256::from(1u64),
            mode: 2,
        }
        .abi_encode();
        let finding = judge(&empty, &call, false).unwrap_err();
        assert!(finding.contains("setMode(uint256,uint8)"), "{finding}");
        // Trailing bytes are ignored by the dispatchers: still well formed.
        let mut trailing = call.clone();
        trailing.extend_from_slice(&[1, 2, 3]);
        assert!(judge(&empty, &trailing, false).is_err());
        // A uint8 word with higher bits, calldata one byte short, an unknown selector, no
        // selector, or a module called directly: documented.
        let mut dirty = call.clone();
        dirty[4 + 32 + 30] = 1;
        let documented = Ok(Ending::DocumentedEmptyRevert);
        assert_eq!(judge(&empty, &dirty, false), documented);
        assert_eq!(judge(&empty, &call[..call.len() - 1], false), documented);
        assert_eq!(judge(&empty, &[9, 9, 9, 9], false), documented);
        assert_eq!(judge(&empty, &[9], false), documented);
        assert_eq!(judge(&empty, &call, true), documented);
    }

    #[test]
    fn uint_and_int_values_fit_their_widths() {
        assert!(fits(&DynSolValue::Uint(U256::from(255u64), 8)));
        assert!(!fits(&DynSolValue::Uint(U256::from(256u64), 8)));
        assert!(fits(&DynSolValue::Int(I256::try_from(-128).unwrap(), 8)));
        assert!(!fits(&DynSolValue::Int(I256::try_from(128).unwrap(), 8)));
        assert!(!fits(&DynSolValue::Tuple(vec![DynSolValue::Uint(
            U256::MAX,
            64
        )])));
        assert!(fits(&DynSolValue::Uint(U256::MAX, 256)));
    }
}
