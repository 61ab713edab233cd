//! Which endorsement policies a transaction must satisfy, by Fabric v2's validation rules
//! (`core/common/validation/statebased`): shared by the validator (which checks them) and the
//! gateway (which picks endorsing organisations that satisfy them).
//!
//! For the invoked chaincode and every namespace the transaction writes (values, metadata or
//! private data hashes), each written key is checked against:
//! 1. its key-level policy (`VALIDATION_PARAMETER` metadata of the committed key), if it has one;
//! 2. else, for a private key, its collection's endorsement policy, if the collection has one;
//! 3. else the chaincode's endorsement policy.
//!
//! A namespace for which no policy was checked this way (the invoked chaincode when it wrote
//! nothing) is checked against the chaincode's policy. Key-level policies replace the
//! chaincode's policy for their keys: a transaction writing only such keys needs only them.

use super::channel::ChannelContext;
use bytes::Bytes;
use fabric_sdk::ledger::TxRwSet;
use fabric_sdk::policy::{EndorsementPolicy, VALIDATION_PARAMETER};
use std::collections::BTreeSet;

/// One policy to satisfy and what it protects (for messages).
#[derive(Debug, Clone, PartialEq)]
pub struct Requirement {
    /// The policy.
    pub policy: EndorsementPolicy,
    /// What it protects, e.g. `chaincode basic` or `key asset1 (coll'':ns'basic')`.
    pub what: String,
}

/// Why the policies of a transaction could not be determined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PolicyLookupError {
    /// The transaction writes to a namespace with no chaincode definition.
    UndefinedNamespace(String),
    /// A key's validation parameter was changed by an earlier valid transaction of the same
    /// block (Fabric: `ValidationParameterUpdatedError`, an endorsement policy failure).
    ParameterUpdated(String),
    /// Reading the key-level metadata failed.
    State(String),
}

/// A written key whose key-level policy is looked up.
#[derive(Debug, Clone, Copy)]
pub struct WrittenKey<'a> {
    /// Namespace.
    pub namespace: &'a str,
    /// Collection (empty for public keys).
    pub collection: &'a str,
    /// The key for public keys, the SHA-256 of the key for private ones.
    pub key: &'a [u8],
}

/// The requirements of a transaction that invoked `invoked` and produced `rwset`.
/// `key_metadata` returns the committed `VALIDATION_PARAMETER` of a written key, if any.
pub fn required_policies(
    channel: &ChannelContext,
    invoked: &str,
    rwset: &TxRwSet,
    key_metadata: &mut dyn FnMut(WrittenKey<'_>) -> Result<Option<Bytes>, PolicyLookupError>,
) -> Result<Vec<Requirement>, PolicyLookupError> {
    let mut written: BTreeSet<&str> = BTreeSet::new();
    written.insert(invoked);
    for ns in &rwset.namespaces {
        let writes = !ns.kv.writes.is_empty()
            || !ns.kv.metadata_writes.is_empty()
            || ns.collections.iter().any(|c| {
                !c.hashed.hashed_writes.is_empty() || !c.hashed.metadata_writes.is_empty()
            });
        if writes {
            written.insert(&ns.namespace);
        }
    }
    let mut out: Vec<Requirement> = Vec::new();
    let mut push = |r: Requirement| {
        if !out.iter().any(|x| x.policy == r.policy) {
            out.push(r);
        }
    };
    for ns in written {
        let def = channel
            .chaincode(ns)
            .ok_or_else(|| PolicyLookupError::UndefinedNamespace(ns.to_owned()))?;
        let cc_policy = Requirement {
            policy: def.endorsement_policy.clone(),
            what: format!("chaincode {ns}"),
        };
        let mut some_checked = false;
        let mut checked_colls: BTreeSet<String> = BTreeSet::new();
        let mut cc_checked = false;
        let mut check = |coll: &str,
                         key: &[u8],
                         display: String,
                         push: &mut dyn FnMut(Requirement)|
         -> Result<(), PolicyLookupError> {
            let vp = key_metadata(WrittenKey {
                namespace: ns,
                collection: coll,
                key,
            })?;
            if let Some(policy) = vp.as_ref().and_then(ChannelContext::key_policy) {
                push(Requirement {
                    policy,
                    what: format!("key {display} (coll'{coll}':ns'{ns}')"),
                });
                some_checked = true;
                return Ok(());
            }
            if !coll.is_empty()
                && let Some(policy) = channel.collection_endorsement_policy(ns, coll)
            {
                if checked_colls.insert(coll.to_owned()) {
                    push(Requirement {
                        policy,
                        what: format!("collection {coll} chaincode {ns}"),
                    });
                }
                some_checked = true;
                return Ok(());
            }
            if !cc_checked {
                push(cc_policy.clone());
                cc_checked = true;
            }
            some_checked = true;
            Ok(())
        };
        if let Some(set) = rwset.namespaces.iter().find(|n| n.namespace == ns) {
            for w in &set.kv.writes {
                check("", w.key.as_bytes(), w.key.clone(), &mut push)?;
            }
            for w in &set.kv.metadata_writes {
                check("", w.key.as_bytes(), w.key.clone(), &mut push)?;
            }
            for c in &set.collections {
                for w in &c.hashed.hashed_writes {
                    check(
                        &c.collection,
                        &w.key_hash,
                        hex::encode(&w.key_hash),
                        &mut push,
                    )?;
                }
            }
            for c in &set.collections {
                for w in &c.hashed.metadata_writes {
                    check(
                        &c.collection,
                        &w.key_hash,
                        hex::encode(&w.key_hash),
                        &mut push,
                    )?;
                }
            }
        }
        if !some_checked {
            push(cc_policy);
        }
    }
    Ok(out)
}

/// The `VALIDATION_PARAMETER` entry of a key's metadata.
pub fn validation_parameter(metadata: &fabric_sdk::ledger::Metadata) -> Option<Bytes> {
    metadata.get(VALIDATION_PARAMETER).cloned()
}
