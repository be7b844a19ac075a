//! The runner's report as forge prints it: a block per test contract, a summary line, then the
//! failing tests again.

use crate::runner::{SuiteResult, TestResult, TestStatus};

/// One test's line: `[PASS] test_x() (gas: 1234)`, `[FAIL: reason] …`, `[SKIP: reason] …`.
pub fn test_line(test: &TestResult) -> String {
    match &test.status {
        TestStatus::Pass => format!("[PASS] {} (gas: {})", test.name, test.gas),
        TestStatus::Fail(reason) => format!("[FAIL: {reason}] {} (gas: {})", test.name, test.gas),
        TestStatus::Skip(reason) => format!("[SKIP: {reason}] {}", test.name),
    }
}

/// A test contract's block.
pub fn suite(suite: &SuiteResult) -> String {
    let (passed, failed, skipped) = suite.counts();
    let mut out = format!(
        "Ran {} test{} for {}:{}\n",
        suite.tests.len(),
        if suite.tests.len() == 1 { "" } else { "s" },
        suite.source,
        suite.contract
    );
    for test in &suite.tests {
        out += &test_line(test);
        out.push('\n');
    }
    out += &format!(
        "Suite result: {}. {passed} passed; {failed} failed; {skipped} skipped; finished in {:.2}s\n",
        if failed == 0 { "ok" } else { "FAILED" },
        suite.seconds
    );
    out
}

/// The closing summary, and the failing tests listed again.
pub fn summary(suites: &[SuiteResult], seconds: f64) -> String {
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    for suite in suites {
        let (p, f, s) = suite.counts();
        passed += p;
        failed += f;
        skipped += s;
    }
    let mut out = format!(
        "Ran {} test suite{} in {seconds:.2}s: {passed} tests passed, {failed} failed, {skipped} skipped ({} total tests)\n",
        suites.len(),
        if suites.len() == 1 { "" } else { "s" },
        passed + failed + skipped
    );
    if failed > 0 {
        out += "\nFailing tests:\n";
        for suite in suites {
            let failing: Vec<_> = suite
                .tests
                .iter()
                .filter(|t| matches!(t.status, TestStatus::Fail(_)))
                .collect();
            if failing.is_empty() {
                continue;
            }
            out += &format!(
                "Encountered {} failing test{} in {}:{}\n",
                failing.len(),
                if failing.len() == 1 { "" } else { "s" },
                suite.source,
                suite.contract
            );
            for test in failing {
                out += &test_line(test);
                out.push('\n');
            }
        }
        out +=
            &format!("\nEncountered a total of {failed} failing tests, {passed} tests succeeded\n");
    }
    out
}
