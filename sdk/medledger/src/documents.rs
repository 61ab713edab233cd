//! Salts and salted hashes drawn and computed on the client.
//!
//! The ledger keeps `SHA-256(salt ‖ content)` of private data and documents (see
//! `medledger_model::commitment`). The salt is drawn here from the operating system's secure
//! generator, never by the chaincode, and never sent in an argument: it travels in the
//! transient map (into a private collection) or stays with the document's holder.

use medledger_model::{Commitment, ConsentDocument, Salt, commit};

use crate::error::{Error, Result};

/// A fresh 32-byte salt from the operating system's secure generator.
pub fn new_salt() -> Result<Salt> {
    Salt::random().map_err(|e| Error::Random(e.to_string()))
}

/// A document's salted hash and its salt: what the ledger keeps (`hash`) and what the holder
/// must keep with the document (`salt`) so that others can check it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SaltedDocument {
    /// `SHA-256(salt ‖ document bytes)`.
    pub hash: Commitment,
    /// The salt (secret of the document's holder; print it on the document or send it with
    /// it).
    pub salt: Salt,
}

impl SaltedDocument {
    /// Draws a salt and hashes `document`.
    pub fn new(document: &[u8]) -> Result<Self> {
        Ok(Self::with_salt(new_salt()?, document))
    }

    /// Hashes `document` under a known salt (to check a document against the ledger).
    pub fn with_salt(salt: Salt, document: &[u8]) -> Self {
        SaltedDocument {
            hash: commit(&salt, document),
            salt,
        }
    }

    /// The consent form's transient entry (`consent_document`) a clerk sends with
    /// `GrantConsent` / `RevokeConsent`.
    pub fn consent_document(&self) -> ConsentDocument {
        ConsentDocument {
            document_hash: self.hash.clone(),
            salt: self.salt.clone(),
        }
    }
}

/// A medical record's document for `AddRecord`: its salted hash always; its content too when
/// it is kept on the ledger (in the hospital's PHI collection).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordDocument {
    /// Hash and salt.
    pub salted: SaltedDocument,
    /// The FHIR document (UTF-8 JSON, at most 1 MiB) when stored on the ledger.
    pub content: Option<String>,
}

impl RecordDocument {
    /// A document kept on the ledger: the content goes (transient) into the hospital's PHI
    /// collection, its salted hash in public state.
    pub fn on_ledger(content: impl Into<String>) -> Result<Self> {
        let content = content.into();
        Ok(RecordDocument {
            salted: SaltedDocument::new(content.as_bytes())?,
            content: Some(content),
        })
    }

    /// A document kept at its location only: the ledger gets its salted hash; keep `salt` to
    /// hand it over with the document.
    pub fn off_ledger(document: &[u8]) -> Result<Self> {
        Ok(RecordDocument {
            salted: SaltedDocument::new(document)?,
            content: None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salts_are_fresh_and_hashes_verify() {
        let a = SaltedDocument::new(b"certificate").unwrap();
        let b = SaltedDocument::new(b"certificate").unwrap();
        assert_ne!(a.salt, b.salt);
        assert_ne!(a.hash, b.hash);
        assert!(a.hash.verify(&a.salt, b"certificate"));
        assert!(!a.hash.verify(&a.salt, b"certificatE"));
        assert_eq!(SaltedDocument::with_salt(a.salt.clone(), b"certificate"), a);
        let form = a.consent_document();
        assert_eq!((form.document_hash, form.salt), (a.hash, a.salt));
    }
}
