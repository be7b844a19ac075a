//! Shared helpers of the `math_*` test suites: reading the mpmath reference files written by
//! `gen_reference.py` and measuring errors against them. Included with `#[path]`.
#![allow(dead_code)]

use keel_risk::Wad;

/// An exact reference value in wei: `int + frac` with `|frac| < 1` of the same sign.
#[derive(Clone, Copy, Debug)]
pub struct Wei {
    pub int: i128,
    pub frac: f64,
}

impl Wei {
    /// Parses `-?digits.digits`.
    pub fn parse(text: &str) -> Wei {
        let (negative, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text),
        };
        let (int_part, frac_part) = body.split_once('.').unwrap_or((body, "0"));
        let int: i128 = int_part.parse().expect("integer part");
        let frac: f64 = format!("0.{frac_part}").parse().expect("fraction");
        if negative {
            Wei {
                int: -int,
                frac: -frac,
            }
        } else {
            Wei { int, frac }
        }
    }

    /// The value in wei as an f64 (for relative errors only).
    pub fn as_f64(self) -> f64 {
        self.int as f64 + self.frac
    }

    /// `computed − self` in wei, exact to ~1e-4 wei whatever the magnitude.
    pub fn error_of(self, computed: Wad) -> f64 {
        (computed.raw() - self.int) as f64 - self.frac
    }
}

/// The non-comment lines of a data file, split on whitespace.
pub fn rows(text: &'static str) -> impl Iterator<Item = Vec<&'static str>> {
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| l.split_whitespace().collect())
}

/// A wad from a raw integer column.
pub fn raw(text: &str) -> Wad {
    Wad::from_raw(text.parse().expect("raw wad"))
}

/// A wad from a decimal column.
pub fn dec(text: &str) -> Wad {
    Wad::parse_decimal(text).expect("decimal wad")
}

/// Largest value seen, with the row that produced it.
#[derive(Default, Debug)]
pub struct Max {
    pub value: f64,
    pub at: String,
}

impl Max {
    pub fn see(&mut self, value: f64, at: impl FnOnce() -> String) {
        if value > self.value || (value.is_nan() && !self.value.is_nan()) {
            self.value = value;
            self.at = at();
        }
    }
}
