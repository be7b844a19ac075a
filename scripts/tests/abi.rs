//! `keel abi` end to end on the fixture repository `tests/fixtures/abi` (two throwaway Stylus
//! contracts, a library crate, their interfaces and their recorded export; see its README):
//! matching interfaces pass and every kind of drift — a function, event or error added,
//! removed or changed, on the interface's side or the code's, and a stale JSON ABI — fails
//! with a line naming it.
//!
//! The interfaces are compiled with the real solc-js (`abi/tools/solc`). Where it is not
//! installed (see [`abi::INSTALL_HINT`]), the tests print why and pass, except under
//! `CI=true`, where they fail.

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

use keel_cli::abi::{self, Options};

fn manifest_dir() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// The solc-js command (the build script marks the tests that need it ignored when it is not
/// installed outside CI).
fn solc() -> PathBuf {
    let abi_dir = manifest_dir().join("../abi");
    assert!(
        abi_dir.join("node_modules/solc/package.json").is_file(),
        "solc-js is not installed: {}",
        abi::INSTALL_HINT
    );
    abi_dir.join("tools/solc")
}

/// A fresh copy of the fixture repository, removed on drop.
struct Fixture {
    root: PathBuf,
    opts: Options,
}

impl Drop for Fixture {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.root);
    }
}

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let path = entry.unwrap().path();
        let target = to.join(path.file_name().unwrap());
        if path.is_dir() {
            copy_dir(&path, &target);
        } else {
            fs::copy(&path, &target).unwrap();
        }
    }
}

fn fixture() -> Fixture {
    static N: AtomicUsize = AtomicUsize::new(0);
    let solc = solc();
    let root = std::env::temp_dir().join(format!(
        "keel-abi-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = fs::remove_dir_all(&root);
    copy_dir(&manifest_dir().join("tests/fixtures/abi"), &root);
    let mut opts = Options::at(&root);
    opts.solc = solc;
    opts.export = Some(root.join("export.json"));
    Fixture { root, opts }
}

impl Fixture {
    /// Replaces the one occurrence of `from` in the file at `rel`.
    fn edit(&self, rel: &str, from: &str, to: &str) {
        let path = self.root.join(rel);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.matches(from).count(),
            1,
            "{rel}: `{from}` must occur once"
        );
        fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }

    /// Replaces `from` in the recorded export of `interface` (a change in the contract's code).
    fn edit_export(&self, interface: &str, from: &str, to: &str) {
        let path = self.root.join("export.json");
        let mut doc: abi::ExportDoc =
            serde_json::from_str(&fs::read_to_string(&path).unwrap()).unwrap();
        let c = doc
            .contracts
            .iter_mut()
            .find(|c| c.interface == interface)
            .unwrap();
        assert_eq!(c.export.matches(from).count(), 1, "export: `{from}`");
        c.export = c.export.replacen(from, to, 1);
        fs::write(&path, serde_json::to_string(&doc).unwrap()).unwrap();
    }

    fn check(&self) -> (bool, Vec<String>) {
        let mut lines = Vec::new();
        let ok = abi::check(&self.opts, &mut |l| lines.push(l.to_string())).unwrap();
        (ok, lines)
    }

    fn generate(&self) -> (bool, Vec<String>) {
        let mut lines = Vec::new();
        let ok = abi::generate(&self.opts, &mut |l| lines.push(l.to_string())).unwrap();
        (ok, lines)
    }

    /// A fixture whose JSON files are generated, so that only the edits made after differ.
    fn generated() -> Self {
        let f = fixture();
        let (ok, lines) = f.generate();
        assert!(ok, "{lines:#?}");
        f
    }
}

/// The drift lines (indented, starting with missing/extra/changed) of a report.
fn drifts(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .map(|l| l.trim().to_string())
        .filter(|l| {
            l.starts_with("missing ") || l.starts_with("extra ") || l.starts_with("changed ")
        })
        .collect()
}

/// Asserts that the check failed with exactly the drifts starting with `expected` (in any
/// order), apart from the JSON file of an edited interface.
fn assert_drifts(result: (bool, Vec<String>), expected: &[&str]) {
    let (ok, lines) = result;
    assert!(!ok, "the check passed:\n{}", lines.join("\n"));
    let found: Vec<String> = drifts(&lines)
        .into_iter()
        .filter(|l| !(l.starts_with("changed file abi/") && l.contains(".json:")))
        .collect();
    for e in expected {
        assert!(
            found.iter().any(|l| l.starts_with(e)),
            "no drift `{e}` in:\n{}",
            lines.join("\n")
        );
    }
    assert_eq!(
        found.len(),
        expected.len(),
        "unexpected drifts:\n{}",
        found.join("\n")
    );
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn matching_interfaces_pass_and_generate_writes_solc_abi() {
    let f = fixture();
    // Before generation the JSON files are missing: that alone fails the check.
    let (ok, lines) = f.check();
    assert!(!ok);
    assert_eq!(
        drifts(&lines),
        [
            "changed file abi/IAlpha.json: missing: run `keel abi generate`",
            "changed file abi/IBeta.json: missing: run `keel abi generate`",
        ]
    );

    let (ok, lines) = f.generate();
    assert!(ok, "{lines:#?}");
    assert!(lines.contains(&"abi/IAlpha.json: written".to_string()));
    let (ok, lines) = f.check();
    assert!(ok, "{}", lines.join("\n"));
    assert!(lines.iter().any(|l| l.starts_with("IAlpha: matches")));
    assert!(lines.iter().any(|l| l.starts_with("IBeta: matches")));
    assert_eq!(
        lines.last().unwrap(),
        "abi check: 2 interface(s), 2 matching, 0 with differences"
    );
    // The library crate linked through `[workspace.dependencies]` was scanned for Beta.
    assert!(lines
        .iter()
        .any(|l| l.contains("fx-beta") && l.contains("contracts/lib")));

    // The JSON is solc's ABI of the interface file: IAlpha.sol declares 6 functions, 2
    // events and 3 errors, and `read` takes the struct `Query` as a tuple.
    let json: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(f.root.join("abi/IAlpha.json")).unwrap()).unwrap();
    let count = |kind: &str| {
        json.as_array()
            .unwrap()
            .iter()
            .filter(|e| e["type"] == kind)
            .count()
    };
    assert_eq!(
        (count("function"), count("event"), count("error")),
        (6, 2, 3)
    );
    let read = json
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "read")
        .unwrap();
    assert_eq!(read["inputs"][0]["internalType"], "struct IAlpha.Query");

    // Generating again changes nothing.
    let (ok, lines) = f.generate();
    assert!(ok);
    assert!(lines.contains(&"abi/IAlpha.json: unchanged".to_string()));
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn function_drift_in_the_interface_is_detected() {
    let f = Fixture::generated();
    let sol = "abi/IAlpha.sol";
    // Added, removed, parameters changed, returns changed, mutability changed, and a struct
    // field changed (for a parameter-only struct the code's layout comes from `sol!`).
    f.edit(
        sol,
        "    function owner() external view returns (address);",
        "    function extra(uint256 a) external;",
    );
    f.edit(
        sol,
        "uint64 heartbeat) external;",
        "uint32 heartbeat) external;",
    );
    f.edit(
        sol,
        "returns (uint256 value, uint256 confidence)",
        "returns (uint256 value)",
    );
    f.edit(
        sol,
        "function deposit() external payable;",
        "function deposit() external;",
    );
    f.edit(sol, "        uint64 maxAge;", "        uint32 maxAge;");
    assert_drifts(
        f.check(),
        &[
            "extra   function extra(uint256): abi/IAlpha.sol declares `extra(uint256) nonpayable`",
            "missing function owner(): the contract exports `owner() view returns (address)`",
            "changed function setFeed: the contract exports `setFeed(address,address,uint64) nonpayable`, abi/IAlpha.sol declares `setFeed(address,address,uint32) nonpayable`",
            "changed function price(address): returns (uint256,uint256) in the contract, (uint256) in abi/IAlpha.sol",
            "changed function deposit(): payable in the contract, nonpayable in abi/IAlpha.sol",
            "changed function read: the contract exports `read((address,uint64)) view returns ((uint256,uint256,bool))`, abi/IAlpha.sol declares `read((address,uint32)) view",
        ],
    );
    // `generate` refuses to write a JSON ABI for an interface that differs from its code.
    let before = fs::read_to_string(f.root.join("abi/IAlpha.json")).unwrap();
    let (ok, lines) = f.generate();
    assert!(!ok);
    assert!(lines.last().unwrap().contains("nothing written"));
    assert_eq!(
        fs::read_to_string(f.root.join("abi/IAlpha.json")).unwrap(),
        before
    );
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn function_drift_in_the_code_is_detected() {
    let f = Fixture::generated();
    // The contract stops exporting `owner()`, starts exporting `pause()`, and its return
    // struct gains a field (in `sol!`, and so in the export, which declares return structs).
    f.edit_export(
        "IAlpha",
        "    function owner() external view returns (address);\n",
        "    function pause() external;\n",
    );
    f.edit_export("IAlpha", "bool stale;}", "bool stale;uint64 at;}");
    f.edit(
        "contracts/alpha/src/lib.rs",
        "bool stale; }",
        "bool stale; uint64 at; }",
    );
    assert_drifts(
        f.check(),
        &[
            "missing function pause(): the contract exports `pause() nonpayable`; abi/IAlpha.sol does not declare it",
            "extra   function owner(): abi/IAlpha.sol declares `owner() view returns (address)`; the contract does not export it",
            "changed function read((address,uint64)): returns ((uint256,uint256,bool,uint64)) in the contract, ((uint256,uint256,bool)) in abi/IAlpha.sol",
        ],
    );
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn event_drift_is_detected() {
    let f = Fixture::generated();
    let sol = "abi/IAlpha.sol";
    // The interface drops `FeedSet`, adds `Paused`; the library's `sol!` block (linked by
    // both contracts) changes `OwnershipTransferred`'s indexing.
    f.edit(
        sol,
        "    event FeedSet(address indexed asset, address feed, uint64 heartbeat);",
        "    event Paused(address by);",
    );
    f.edit(
        "contracts/lib/src/lib.rs",
        "event OwnershipTransferred(address indexed previousOwner, address indexed newOwner);",
        "event OwnershipTransferred(address indexed previousOwner, address newOwner);",
    );
    let (ok, lines) = f.check();
    assert_drifts(
        (ok, lines.clone()),
        &[
            "missing event FeedSet(address,address,uint64): sol! declares `FeedSet(address indexed asset, address feed, uint64 heartbeat)`; abi/IAlpha.sol does not",
            "extra   event Paused(address): abi/IAlpha.sol declares `Paused(address by)`; no sol! block of the contract's crates does",
            "changed event OwnershipTransferred: `OwnershipTransferred(address indexed previousOwner, address newOwner)` in sol!, `OwnershipTransferred(address indexed previousOwner, address indexed newOwner)` in abi/IAlpha.sol",
            "changed event OwnershipTransferred: `OwnershipTransferred(address indexed previousOwner, address newOwner)` in sol!, `OwnershipTransferred(address indexed previousOwner, address indexed newOwner)` in abi/IBeta.sol",
        ],
    );
    assert_eq!(
        lines.last().unwrap(),
        "abi check: 2 interface(s), 0 matching, 2 with differences"
    );
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn event_parameter_names_are_compared() {
    let f = Fixture::generated();
    f.edit(
        "abi/IAlpha.sol",
        "address feed, uint64 heartbeat);",
        "address source, uint64 heartbeat);",
    );
    assert_drifts(f.check(), &["changed event FeedSet: `FeedSet(address indexed asset, address feed, uint64 heartbeat)` in sol!, `FeedSet(address indexed asset, address source, uint64 heartbeat)` in abi/IAlpha.sol"]);
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn error_drift_is_detected() {
    let f = Fixture::generated();
    let sol = "abi/IAlpha.sol";
    // Removed from the interface while the contract can revert with it; added without a
    // declaration in the code; changed parameters; renamed parameter.
    f.edit(sol, "    error ZeroAddress();", "    error Bogus();");
    f.edit(
        sol,
        "error StaleFeed(address feed, uint256 updatedAt);",
        "error StaleFeed(address feed);",
    );
    f.edit(
        sol,
        "error Unauthorized(address caller);",
        "error Unauthorized(address account);",
    );
    assert_drifts(
        f.check(),
        &[
            "missing error ZeroAddress(): the contract can revert with it (export-abi); abi/IAlpha.sol does not declare it",
            "extra   error Bogus(): abi/IAlpha.sol declares `Bogus()`; no sol! block of the contract's crates does",
            "changed error StaleFeed: the contract reverts with `StaleFeed(address,uint256)`, abi/IAlpha.sol declares `StaleFeed(address feed)`",
            "changed error Unauthorized: parameter names: `Unauthorized(address caller)` in sol!, `Unauthorized(address account)` in abi/IAlpha.sol",
        ],
    );
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn error_drift_in_the_code_is_detected() {
    let f = Fixture::generated();
    // The contract gains an error (declared in `sol!`, returned through its error enum) and
    // the library changes one both interfaces declare.
    f.edit_export(
        "IAlpha",
        "    error ZeroAddress();\n",
        "    error ZeroAddress();\n\n    error Paused();\n",
    );
    f.edit(
        "contracts/alpha/src/lib.rs",
        "    error ZeroAddress();",
        "    error ZeroAddress();\n    error Paused();",
    );
    f.edit(
        "contracts/lib/src/lib.rs",
        "error Unauthorized(address caller);",
        "error Unauthorized(address caller, bytes4 selector);",
    );
    for i in ["IAlpha", "IBeta"] {
        f.edit_export(
            i,
            "error Unauthorized(address);",
            "error Unauthorized(address, bytes4);",
        );
    }
    assert_drifts(
        f.check(),
        &[
            "missing error Paused(): the contract can revert with it (export-abi); abi/IAlpha.sol does not declare it",
            "changed error Unauthorized: the contract reverts with `Unauthorized(address,bytes4)`, abi/IAlpha.sol declares `Unauthorized(address caller)`",
            "changed error Unauthorized: the contract reverts with `Unauthorized(address,bytes4)`, abi/IBeta.sol declares `Unauthorized(address caller)`",
        ],
    );
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn a_stale_or_hand_edited_json_abi_fails() {
    let f = Fixture::generated();
    let json = f.root.join("abi/IBeta.json");
    let text = fs::read_to_string(&json).unwrap();

    // Reformatted, same entries.
    fs::write(&json, text.replace("  ", "    ")).unwrap();
    assert_drifts(f.check(), &[]);
    let (_, lines) = f.check();
    assert!(lines.iter().any(|l| l.contains(
        "changed file abi/IBeta.json: same entries, different text: run `keel abi generate`"
    )));

    // An entry removed by hand.
    let mut v: serde_json::Value = serde_json::from_str(&text).unwrap();
    v.as_array_mut().unwrap().retain(|e| e["name"] != "set");
    fs::write(&json, serde_json::to_string_pretty(&v).unwrap()).unwrap();
    let (ok, lines) = f.check();
    assert!(!ok);
    assert!(lines.iter().any(|l| l.contains(
        "changed file abi/IBeta.json: out of date (run `keel abi generate`): committed only [], regenerated only [function set]"
    )), "{}", lines.join("\n"));

    // A JSON file no interface produces.
    fs::write(&json, &text).unwrap();
    fs::write(f.root.join("abi/IOld.json"), "[]\n").unwrap();
    let (ok, lines) = f.check();
    assert!(!ok);
    assert!(lines
        .iter()
        .any(|l| l.contains("extra   file abi/IOld.json: no abi/*.sol produces it")));
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn interface_files_and_registered_contracts_must_pair_up() {
    let f = Fixture::generated();
    fs::write(
        f.root.join("abi/IGamma.sol"),
        "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.20;\ninterface IGamma {\n    function g() external;\n}\n",
    )
    .unwrap();
    fs::remove_file(f.root.join("abi/IBeta.sol")).unwrap();
    fs::remove_file(f.root.join("abi/IBeta.json")).unwrap();
    let (ok, lines) = f.check();
    assert!(!ok);
    let d = drifts(&lines);
    assert!(d.contains(&"extra   file abi/IGamma.sol: no contract is registered for it in abi/export/src/main.rs".to_string()), "{d:#?}");
    assert!(d.contains(
        &"missing file abi/IBeta.sol: fx-beta is registered but has no interface file".to_string()
    ));
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn a_compiler_error_fails_with_solc_message() {
    let f = fixture();
    f.edit(
        "abi/IBeta.sol",
        "function set(uint256 v) external;",
        "function set(Missing v) external;",
    );
    let err = abi::check(&f.opts, &mut |_| {}).unwrap_err();
    let text = format!("{err:#}");
    assert!(
        text.contains("solc: 1 error(s)") && text.contains("Identifier not found"),
        "{text}"
    );
}

#[test]
#[cfg_attr(
    keel_no_solc,
    ignore = "solc-js is not installed: run `npm install --no-save --ignore-scripts` in abi/"
)]
fn a_crate_declaring_its_functions_in_sol_is_held_to_them() {
    let f = Fixture::generated();
    // A contract serving its calls through a fallback dispatcher declares its functions in
    // `sol!` (the selectors the dispatcher matches): those must match the interface too.
    let declarations = "    function price(address asset) external view returns (uint256 value, uint256 confidence);
    function setFeed(address asset, address feed, uint64 heartbeat) external;
    function read(Query q) external view returns (Reading reading);
    function prices(address[] assets) external view returns (uint256[]);
    function deposit() external;
    function owner() external view returns (address);
    error ZeroAddress();";
    f.edit(
        "contracts/alpha/src/lib.rs",
        "    error ZeroAddress();",
        declarations,
    );
    let (ok, lines) = f.check();
    assert_drifts(
        (ok, lines.clone()),
        &["changed function deposit(): nonpayable in sol!, payable in abi/IAlpha.sol"],
    );
    assert!(lines
        .iter()
        .any(|l| l.contains("functions also held against the crate's sol! functions")));

    f.edit(
        "contracts/alpha/src/lib.rs",
        "function deposit() external;",
        "function deposit() external payable;",
    );
    let (ok, lines) = f.check();
    assert!(ok, "{}", lines.join("\n"));
}

#[test]
fn the_command_line_is_checked() {
    let root = manifest_dir().join("..");
    let root = root.to_str().unwrap();
    let err = |args: &[&str]| format!("{:#}", abi::run(args, &mut |_| {}).unwrap_err());
    assert!(err(&["frob", "--root", root]).contains("unknown command `frob`"));
    assert!(err(&["check", "--bogus", "x"]).contains("unknown option --bogus"));
    assert!(err(&["check", "--export"]).contains("--export needs a value"));
    assert!(err(&["check", "--root", "/nonexistent"]).contains("has no abi/ folder"));
}
