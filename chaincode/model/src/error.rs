//! Errors of the model: a value that breaks a rule, named by its field.

/// A value that breaks a validation rule. `field` is the path of the offending value, e.g.
/// `prescription.medications[0].code`; `reason` says what is wrong and what is expected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason}")]
pub struct ValidationError {
    /// The path of the offending field (`a.b[2].c`).
    pub field: String,
    /// What is wrong, in words a client can act on.
    pub reason: String,
}

impl ValidationError {
    /// An error about `field`.
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        ValidationError {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same error, with its path put under `parent` (`items[0].code` under `claim` is
    /// `claim.items[0].code`).
    #[must_use]
    pub fn within(mut self, parent: &str) -> Self {
        self.field = join(parent, &self.field);
        self
    }
}

/// `parent.child`, or `parent[3]` when `child` is an index, or either alone when the other is
/// empty.
pub fn join(parent: &str, child: &str) -> String {
    match (parent.is_empty(), child.is_empty()) {
        (true, _) => child.to_owned(),
        (false, true) => parent.to_owned(),
        (false, false) if child.starts_with('[') => format!("{parent}{child}"),
        (false, false) => format!("{parent}.{child}"),
    }
}

/// Errors of canonical JSON encoding and commitments.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    /// A value that canonical JSON cannot hold (a float, a non-finite number).
    #[error("canonical JSON: {path}: {reason}")]
    NotCanonical {
        /// Where in the value (`$.items[0].price`).
        path: String,
        /// Why.
        reason: String,
    },
    /// Serialization failed.
    #[error("canonical JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A value that does not parse (hex, a salt, a commitment, a time).
    #[error(transparent)]
    Invalid(#[from] ValidationError),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_join_like_a_client_writes_them() {
        let e = ValidationError::new("code", "expected 9 digits")
            .within("[0]")
            .within("medications")
            .within("prescription");
        assert_eq!(e.field, "prescription.medications[0].code");
        assert_eq!(
            e.to_string(),
            "prescription.medications[0].code: expected 9 digits"
        );
        assert_eq!(join("", "x"), "x");
        assert_eq!(join("x", ""), "x");
    }
}
