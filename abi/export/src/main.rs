//! `keel-abi-export`: prints, as JSON, the Solidity interface that stylus-sdk's `export-abi`
//! generates for every Keel contract that has an interface in `abi/` — the text
//! `cargo stylus export-abi` prints — for `keel abi check` / `keel abi generate`.
//!
//! Output: `{"contracts": [{"interface", "package", "dir", "export"}, …]}`, one entry per row
//! of [`CONTRACTS`], where `interface` names `abi/<interface>.sol` and `dir` is the contract
//! crate (its `sol!` blocks and those of the crates it links are read by `keel abi`).
//!
//! Built only with the `export-abi` feature (see `Cargo.toml`); without it the binary says
//! how to build it and exits with status 2.

#[cfg(feature = "export-abi")]
mod registry {
    use core::fmt;

    use stylus_sdk::abi::GenerateAbi;

    /// Formats one interface (`GenerateAbi::fmt_abi` of a `#[public]` type).
    pub type FmtAbi = fn(&mut fmt::Formatter<'_>) -> fmt::Result;

    /// One contract with an interface in `abi/`.
    pub struct Contract {
        /// The interface name: `abi/<interface>.sol`.
        pub interface: &'static str,
        /// Cargo package.
        pub package: &'static str,
        /// Crate directory, from the repository root.
        pub dir: &'static str,
        /// Every `#[public]` block the contract routes to: the contract type, then the
        /// `<Trait>StylusAbiStruct` of each trait in its `#[implements(…)]`, if any.
        pub interfaces: &'static [FmtAbi],
    }

    /// The registry: add a row when a contract gets an interface in `abi/`.
    pub const CONTRACTS: &[Contract] = &[
        Contract {
            interface: "IOracleAdapter",
            package: "keel-oracle-adapter",
            dir: "contracts/oracle-adapter",
            interfaces: &[<keel_oracle_adapter::OracleAdapter as GenerateAbi>::fmt_abi],
        },
        Contract {
            interface: "ILstDepegGuard",
            package: "keel-lst-depeg-guard",
            dir: "contracts/lst-depeg-guard",
            interfaces: &[<keel_lst_depeg_guard::LstDepegGuard as GenerateAbi>::fmt_abi],
        },
        Contract {
            interface: "IRiskEngine",
            package: "keel-risk-engine",
            dir: "contracts/risk-engine",
            interfaces: &[<keel_risk_engine::RiskEngine as GenerateAbi>::fmt_abi],
        },
        Contract {
            interface: "ICrossEngine",
            package: "keel-cross-engine",
            dir: "contracts/cross-engine",
            interfaces: &[<keel_cross_engine::CrossEngine as GenerateAbi>::fmt_abi],
        },
        Contract {
            interface: "IMarginVault",
            package: "keel-vault",
            dir: "contracts/vault",
            // One address, four contracts: the core and the modules it forwards to.
            interfaces: &[
                <keel_vault::MarginVault as GenerateAbi>::fmt_abi,
                <keel_vault_margin::MarginModule as GenerateAbi>::fmt_abi,
                <keel_vault_trading::TradingModule as GenerateAbi>::fmt_abi,
                <keel_vault_liquidation::LiquidationModule as GenerateAbi>::fmt_abi,
            ],
        },
    ];

    struct Printer(FmtAbi);

    impl fmt::Display for Printer {
        fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            (self.0)(f)
        }
    }

    /// What `export-abi` prints for `c`: each `#[public]` block's interface, in order.
    pub fn export(c: &Contract) -> String {
        c.interfaces
            .iter()
            .map(|f| Printer(*f).to_string())
            .collect()
    }
}

#[cfg(feature = "export-abi")]
fn main() {
    use serde_json::json;

    let contracts: Vec<_> = registry::CONTRACTS
        .iter()
        .map(|c| {
            json!({
                "interface": c.interface,
                "package": c.package,
                "dir": c.dir,
                "export": registry::export(c),
            })
        })
        .collect();
    println!("{:#}", json!({ "contracts": contracts }));
}

#[cfg(not(feature = "export-abi"))]
fn main() {
    eprintln!(
        "keel-abi-export prints the contracts' exports only when built with them: \
         cargo run --release -p keel-abi-export --features export-abi"
    );
    std::process::exit(2);
}
