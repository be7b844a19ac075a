//! srm case reader. (STUB — being implemented.)
use std::path::Path;

use super::CheckedValue;

/// Reads one case file and compares Keel's result with the expected one.
pub fn evaluate_case(path: &Path) -> anyhow::Result<Vec<CheckedValue>> {
    anyhow::bail!("{} cases are not supported yet", path.display())
}
