//! Money: integer Korean won. No floats anywhere in the model.

use std::fmt;

use serde::{Deserialize, Serialize};

/// An amount in Korean won (KRW has no minor unit). Written as a JSON integer.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[cfg_attr(feature = "schema", derive(schemars::JsonSchema))]
#[serde(transparent)]
pub struct Krw(pub u64);

/// The largest amount the model accepts on one line or claim: 10 trillion won, far above any
/// claim, and far below where sums of many lines could overflow.
pub const MAX_KRW: u64 = 10_000_000_000_000;

impl Krw {
    /// `self + other`, `None` on overflow.
    pub fn checked_add(self, other: Krw) -> Option<Krw> {
        self.0.checked_add(other.0).map(Krw)
    }

    /// `self × n`, `None` on overflow.
    pub fn checked_mul(self, n: u64) -> Option<Krw> {
        self.0.checked_mul(n).map(Krw)
    }
}

impl fmt::Display for Krw {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "₩{}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integers_only() {
        assert_eq!(serde_json::to_string(&Krw(15_000)).unwrap(), "15000");
        assert_eq!(serde_json::from_str::<Krw>("15000").unwrap(), Krw(15_000));
        assert!(serde_json::from_str::<Krw>("150.5").is_err());
        assert!(serde_json::from_str::<Krw>("-1").is_err());
        assert_eq!(Krw(u64::MAX).checked_add(Krw(1)), None);
        assert_eq!(Krw(3).checked_mul(4), Some(Krw(12)));
    }
}
