//! Conformance runner: evaluates folders of reference cases produced by an external risk
//! model and compares Keel's numbers with theirs.
//!
//! `keel conformance pm2 DIR` and `keel conformance srm DIR` print one line per case
//! (expected, computed, relative error for each checked value) and end with exactly
//! `N passed, M failed`; the process exits non-zero when any case fails or cannot be read.

pub mod pm2;
pub mod snapshot;
pub mod srm;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use keel_risk::Wad;

/// Which family of cases a folder holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Suite {
    /// Derive PMRM_2 portfolio-margin cases (native JSON).
    Pm2,
    /// `keel-srm-case v1` cross-margin cases.
    Srm,
}

impl Suite {
    /// Parses the suite name used on the command line.
    pub fn from_name(name: &str) -> Option<Suite> {
        match name {
            "pm2" => Some(Suite::Pm2),
            "srm" => Some(Suite::Srm),
            _ => None,
        }
    }
}

/// One compared number of a case.
#[derive(Clone, Debug)]
pub struct CheckedValue {
    /// What is compared (`IM`, `MM`, `MtM`).
    pub label: &'static str,
    /// The reference model's value.
    pub expected: Wad,
    /// Keel's value.
    pub computed: Wad,
    /// Whether the case's comparison rule accepts `computed`.
    pub passed: bool,
}

/// The outcome of one case file.
#[derive(Clone, Debug)]
pub struct CaseOutcome {
    /// Case name (file stem).
    pub name: String,
    /// Compared values; empty when the case could not be evaluated.
    pub values: Vec<CheckedValue>,
    /// Why the case could not be read or evaluated, if so.
    pub error: Option<String>,
}

impl CaseOutcome {
    /// A case passes when it was evaluated and every compared value passed.
    pub fn passed(&self) -> bool {
        self.error.is_none() && !self.values.is_empty() && self.values.iter().all(|v| v.passed)
    }

    /// The one-line report of this case.
    pub fn line(&self) -> String {
        let mut line = format!(
            "{} {}",
            if self.passed() { "PASS" } else { "FAIL" },
            self.name
        );
        if let Some(error) = &self.error {
            let _ = write!(line, "  error: {error}");
        }
        for v in &self.values {
            let _ = write!(
                line,
                "  {}: expected {} computed {} rel_err {:.3e}",
                v.label,
                v.expected,
                v.computed,
                relative_error(v.expected, v.computed)
            );
        }
        line
    }
}

/// `|computed − expected| / |expected|` in floating point, for reports only
/// (0 when both are 0, infinity when only `expected` is 0).
pub fn relative_error(expected: Wad, computed: Wad) -> f64 {
    let diff = (computed.raw() - expected.raw()).unsigned_abs() as f64;
    if diff == 0.0 {
        return 0.0;
    }
    diff / expected.raw().unsigned_abs() as f64
}

/// Totals of a run.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Cases that passed.
    pub passed: usize,
    /// Cases that failed or could not be evaluated.
    pub failed: usize,
}

/// The `*.json` files of `dir`, sorted by name.
pub fn case_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let entries = std::fs::read_dir(dir)
        .map_err(|e| anyhow::anyhow!("cannot read case folder {}: {e}", dir.display()))?;
    let mut files = Vec::new();
    for entry in entries {
        let path = entry?.path();
        if path.extension().is_some_and(|ext| ext == "json") {
            files.push(path);
        }
    }
    files.sort();
    Ok(files)
}

/// Evaluates one case file of `suite`.
pub fn evaluate(suite: Suite, path: &Path) -> CaseOutcome {
    let name = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    let result = match suite {
        Suite::Pm2 => pm2::evaluate_case(path),
        Suite::Srm => srm::evaluate_case(path),
    };
    match result {
        Ok(values) => CaseOutcome {
            name,
            values,
            error: None,
        },
        Err(e) => CaseOutcome {
            name,
            values: Vec::new(),
            error: Some(format!("{e:#}")),
        },
    }
}

/// Runs every case of `dir`, printing one line per case through `out`, then the summary line.
pub fn run_dir(
    suite: Suite,
    dir: &Path,
    mut out: impl FnMut(&str),
) -> anyhow::Result<(Summary, Vec<CaseOutcome>)> {
    let mut summary = Summary::default();
    let mut outcomes = Vec::new();
    for path in case_files(dir)? {
        let outcome = evaluate(suite, &path);
        out(&outcome.line());
        if outcome.passed() {
            summary.passed += 1;
        } else {
            summary.failed += 1;
        }
        outcomes.push(outcome);
    }
    out(&format!(
        "{} passed, {} failed",
        summary.passed, summary.failed
    ));
    Ok((summary, outcomes))
}
