//! Library half of the `keel` command: everything the binary does, callable from tests.
//!
//! * [`conformance`] — runs folders of external reference cases against keel-risk.

pub mod conformance;
