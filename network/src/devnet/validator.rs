//! The devnet's committer-side validation ([`Validator`], a [`Committer`]): what Fabric v3.1's
//! `TxValidator` (v20) and the ledger's MVCC validation do with each transaction of a block.
//!
//! Per transaction, in Fabric's order, the first failing check gives the code:
//!
//! | check | code |
//! |---|---|
//! | the envelope decodes | INVALID_OTHER_REASON |
//! | the payload decodes | BAD_PAYLOAD |
//! | channel and signature headers (type, epoch 0, nonce, creator) | BAD_COMMON_HEADER |
//! | creator valid for its MSP (Fabric's MSP ignores expiry at commit), signature over the payload | BAD_CREATOR_SIGNATURE |
//! | txid = SHA-256(nonce ‖ creator) | BAD_PROPOSAL_TXID |
//! | one action, its signature header, the proposal hash endorsed = the transaction's | INVALID_ENDORSER_TRANSACTION |
//! | header type ENDORSER_TRANSACTION (CONFIG: INVALID_CONFIG_TRANSACTION, the devnet's channel configuration is static) | UNSUPPORTED_TX_PAYLOAD |
//! | the channel is the devnet's | TARGET_CHAIN_NOT_FOUND |
//! | txid not already committed | DUPLICATE_TXID |
//! | header extension, response payload, read-write set, chaincode ids, event | BAD_HEADER_EXTENSION, BAD_RESPONSE_PAYLOAD, BAD_RWSET, INVALID_CHAINCODE, INVALID_OTHER_REASON, ILLEGAL_WRITESET |
//! | endorsement policies: chaincode, collection, key-level ([`required_policies`]) over the valid endorsements | ENDORSEMENT_POLICY_FAILURE |
//! | txid not earlier in the block | DUPLICATE_TXID |
//! | MVCC and phantom reads ([`validate_block`]) | MVCC_READ_CONFLICT, PHANTOM_READ_CONFLICT |
//!
//! The VALID transactions' writes become the block's [`BlockUpdates`], with the private data of
//! their collections taken from the [`TransientStore`] (the set whose hash matches the
//! transaction's).

use super::channel::ChannelContext;
use super::committer::{Committer, Prepared};
use super::endorser::TransientStore;
use super::policies::{PolicyLookupError, WrittenKey, required_policies, validation_parameter};
use super::store::{
    BlockUpdates, CollectionPvtRwset, HashedWrite, Metadata, PrivatePurge, PrivateWrite,
    PublicWrite, Snapshot, TxUpdates, WriteOp,
};
use crate::error::{Error, Result};
use bytes::Bytes;
use fabric_protos::Timestamp;
use fabric_protos::common::{Block, ChannelHeader, Envelope, HeaderType, Payload, SignatureHeader};
use fabric_protos::kvrwset::KvMetadataEntry;
use fabric_protos::protos::{
    ChaincodeAction, ChaincodeActionPayload, ChaincodeEvent, ChaincodeHeaderExtension,
    ProposalResponsePayload, Transaction, TxValidationCode as Code,
};
use fabric_sdk::crypto::{sha256, sha256_parts};
use fabric_sdk::ledger::{BlockTx, StateReader, TxPvtRwSet, TxRwSet, validate_block};
use fabric_sdk::policy::VerifiedSigner;
use fabric_sdk::tx::proposal::compute_txid;
use prost::Message;
use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::sync::Arc;

/// The devnet's validator.
#[derive(Debug, Clone)]
pub struct Validator {
    channel: Arc<ChannelContext>,
    transient: Arc<TransientStore>,
}

/// A transaction that passed the structural checks.
struct Checked {
    txid: String,
    timestamp: Option<Timestamp>,
    rwset: TxRwSet,
}

impl Validator {
    /// A validator for `channel`, taking private data from `transient`.
    pub fn new(channel: Arc<ChannelContext>, transient: Arc<TransientStore>) -> Self {
        Validator { channel, transient }
    }
}

/// The signature checks of one transaction, done ahead ([`Committer::prepare`]); `None` where
/// the envelope did not decode that far (the full checks then reject it, or compute inline).
#[derive(Debug, Default)]
struct TxSignatures {
    /// The creator is valid for its MSP and signed the payload.
    creator: Option<bool>,
    /// The signers of the valid endorsements ([`ChannelContext::endorsement_signers`]).
    endorsers: Option<Vec<VerifiedSigner>>,
}

/// A block's [`TxSignatures`], in block order.
struct BlockSignatures(Vec<TxSignatures>);

/// Below this many transactions a block's signatures are checked on one thread.
const PARALLEL_MIN_TXS: usize = 4;

impl Validator {
    /// The signature checks of one envelope (state-independent).
    fn signatures(&self, bytes: &[u8]) -> TxSignatures {
        let mut out = TxSignatures::default();
        let Ok(env) = Envelope::decode(bytes) else {
            return out;
        };
        let Ok(payload) = Payload::decode(env.payload.clone()) else {
            return out;
        };
        let Some(header) = payload.header.as_ref() else {
            return out;
        };
        let Ok(shdr) = SignatureHeader::decode(header.signature_header.clone()) else {
            return out;
        };
        out.creator = Some(
            self.channel
                .verify_signer(&shdr.creator, &env.payload, &env.signature)
                .is_ok(),
        );
        let endorsed = Transaction::decode(payload.data.clone())
            .ok()
            .and_then(|tx| match tx.actions.as_slice() {
                [action] => ChaincodeActionPayload::decode(action.payload.clone()).ok(),
                _ => None,
            })
            .and_then(|cap| cap.action);
        if let Some(endorsed) = endorsed {
            out.endorsers =
                Some(self.channel.endorsement_signers(
                    &endorsed.proposal_response_payload,
                    &endorsed.endorsements,
                ));
        }
        out
    }
}

impl Committer for Validator {
    fn validate(&self, block: &Block, state: &Snapshot) -> Result<BlockUpdates> {
        self.validate_prepared(block, None, state)
    }

    /// Checks every creator and endorsement signature of the block, the transactions split
    /// over the CPUs.
    fn prepare(&self, block: &Block) -> Option<Prepared> {
        let data = block.data.as_ref().map(|d| d.data.as_slice())?;
        let threads = std::thread::available_parallelism()
            .map_or(1, |n| n.get())
            .min(data.len() / PARALLEL_MIN_TXS)
            .max(1);
        if threads == 1 {
            let all = data.iter().map(|e| self.signatures(e)).collect();
            return Some(Box::new(BlockSignatures(all)));
        }
        let chunk = data.len().div_ceil(threads);
        let all = std::thread::scope(|scope| {
            let handles: Vec<_> = data
                .chunks(chunk)
                .skip(1)
                .map(|part| {
                    scope.spawn(move || part.iter().map(|e| self.signatures(e)).collect::<Vec<_>>())
                })
                .collect();
            let mut all: Vec<TxSignatures> = data[..chunk.min(data.len())]
                .iter()
                .map(|e| self.signatures(e))
                .collect();
            for h in handles {
                // A panicking check leaves its transactions unprepared: checked again inline.
                let part_len = all.len();
                match h.join() {
                    Ok(part) => all.extend(part),
                    Err(_) => all.extend(
                        (part_len..(part_len + chunk).min(data.len()))
                            .map(|_| TxSignatures::default()),
                    ),
                }
            }
            all
        });
        Some(Box::new(BlockSignatures(all)))
    }

    fn validate_prepared(
        &self,
        block: &Block,
        prepared: Option<Prepared>,
        state: &Snapshot,
    ) -> Result<BlockUpdates> {
        let mut signatures = prepared
            .and_then(|p| p.downcast::<BlockSignatures>().ok())
            .map(|b| b.0)
            .unwrap_or_default();
        let number = block.header.as_ref().map_or(0, |h| h.number);
        let data = block
            .data
            .as_ref()
            .map(|d| d.data.as_slice())
            .unwrap_or(&[]);
        // Metadata written by earlier transactions of the block that passed policy validation.
        let mut metadata_written: BTreeSet<(String, String, Vec<u8>)> = BTreeSet::new();
        let mut txs: Vec<(Code, Option<Checked>, String, Option<Timestamp>)> = Vec::new();
        for (i, bytes) in data.iter().enumerate() {
            let pre = signatures
                .get_mut(i)
                .map(std::mem::take)
                .unwrap_or_default();
            let (code, checked, txid, timestamp) =
                match self.check_tx(number, i as u64, bytes, pre, state, &metadata_written)? {
                    Ok(c) => {
                        for ns in &c.rwset.namespaces {
                            for m in &ns.kv.metadata_writes {
                                metadata_written.insert((
                                    ns.namespace.clone(),
                                    String::new(),
                                    m.key.as_bytes().to_vec(),
                                ));
                            }
                            for coll in &ns.collections {
                                for m in &coll.hashed.metadata_writes {
                                    metadata_written.insert((
                                        ns.namespace.clone(),
                                        coll.collection.clone(),
                                        m.key_hash.to_vec(),
                                    ));
                                }
                            }
                        }
                        let (txid, ts) = (c.txid.clone(), c.timestamp);
                        (Code::Valid, Some(c), txid, ts)
                    }
                    Err((code, txid, ts)) => (code, None, txid, ts),
                };
            txs.push((code, checked, txid, timestamp));
        }
        // Duplicates inside the block: the first VALID occurrence wins.
        let mut seen = HashSet::new();
        for (code, _, txid, _) in &mut txs {
            if *code == Code::Valid && !txid.is_empty() && !seen.insert(txid.clone()) {
                *code = Code::DuplicateTxid;
            }
        }
        // MVCC and phantom reads.
        let block_txs: Vec<BlockTx> = txs
            .iter()
            .enumerate()
            .map(|(i, (code, checked, txid, ts))| {
                let rwset = checked
                    .as_ref()
                    .map(|c| c.rwset.clone())
                    .unwrap_or_default();
                BlockTx::new(i as u64, txid.clone(), rwset)
                    .with_timestamp(*ts)
                    .with_code(*code)
            })
            .collect();
        let validation = validate_block(state as &dyn StateReader, number, &block_txs)
            .map_err(Error::fabric(format!("validate block {number}")))?;
        let mut out = Vec::with_capacity(txs.len());
        for ((_, checked, txid, timestamp), code) in txs.into_iter().zip(validation.codes) {
            let mut updates = TxUpdates {
                tx_id: txid,
                timestamp,
                code,
                ..TxUpdates::default()
            };
            if code == Code::Valid
                && let Some(c) = checked
            {
                self.fill_writes(&mut updates, &c.rwset);
            }
            out.push(updates);
        }
        let txids: Vec<String> = out.iter().map(|t| t.tx_id.clone()).collect();
        self.transient.purge(&txids, number);
        Ok(BlockUpdates { txs: out })
    }
}

type Rejected = (Code, String, Option<Timestamp>);

/// A key's combined writes in one transaction: value, deleted, new metadata.
type KeyOps = (Option<Bytes>, bool, Option<Metadata>);

impl Validator {
    /// The checks of one transaction up to the endorsement policies. `Err(inner)` is a
    /// rejection with its code; an outer `Err` a state read failure.
    fn check_tx(
        &self,
        block: u64,
        tx_num: u64,
        bytes: &[u8],
        pre: TxSignatures,
        state: &Snapshot,
        metadata_written: &BTreeSet<(String, String, Vec<u8>)>,
    ) -> Result<std::result::Result<Checked, Rejected>> {
        let reject =
            |code: Code, txid: &str, ts: Option<Timestamp>| Ok(Err((code, txid.to_owned(), ts)));
        let Ok(env) = Envelope::decode(bytes) else {
            return reject(Code::InvalidOtherReason, "", None);
        };
        let Ok(payload) = Payload::decode(env.payload.clone()) else {
            return reject(Code::BadPayload, "", None);
        };
        let Some(header) = payload.header.as_ref() else {
            return reject(Code::BadCommonHeader, "", None);
        };
        let (Ok(chdr), Ok(shdr)) = (
            ChannelHeader::decode(header.channel_header.clone()),
            SignatureHeader::decode(header.signature_header.clone()),
        ) else {
            return reject(Code::BadCommonHeader, "", None);
        };
        let ts = chdr.timestamp;
        let known_type = [
            HeaderType::EndorserTransaction,
            HeaderType::ConfigUpdate,
            HeaderType::Config,
        ]
        .iter()
        .any(|t| *t as i32 == chdr.r#type);
        if !known_type || chdr.epoch != 0 || shdr.nonce.is_empty() || shdr.creator.is_empty() {
            return reject(Code::BadCommonHeader, &chdr.tx_id, ts);
        }
        let creator_ok = pre.creator.unwrap_or_else(|| {
            self.channel
                .verify_signer(&shdr.creator, &env.payload, &env.signature)
                .is_ok()
        });
        if !creator_ok {
            return reject(Code::BadCreatorSignature, &chdr.tx_id, ts);
        }
        if chdr.r#type == HeaderType::Config as i32 {
            return reject(Code::InvalidConfigTransaction, &chdr.tx_id, ts);
        }
        if chdr.r#type != HeaderType::EndorserTransaction as i32 {
            return reject(Code::UnsupportedTxPayload, &chdr.tx_id, ts);
        }
        if chdr.tx_id != compute_txid(&shdr.nonce, &shdr.creator) {
            return reject(Code::BadProposalTxid, &chdr.tx_id, ts);
        }
        let Some((cap, action_header)) = endorser_transaction(&payload, &header.channel_header)
        else {
            return reject(Code::InvalidEndorserTransaction, &chdr.tx_id, ts);
        };
        let txid = chdr.tx_id.clone();
        if chdr.channel_id != self.channel.id() {
            return reject(Code::TargetChainNotFound, &txid, ts);
        }
        if state.transaction(&txid)?.is_some() {
            return reject(Code::DuplicateTxid, &txid, ts);
        }
        let _ = action_header;
        // Dispatch: what the transaction invoked and wrote.
        let Ok(ext) = ChaincodeHeaderExtension::decode(chdr.extension.clone()) else {
            return reject(Code::BadHeaderExtension, &txid, ts);
        };
        let Some(endorsed) = cap.action.as_ref() else {
            return reject(Code::BadResponsePayload, &txid, ts);
        };
        let Ok(prp) = ProposalResponsePayload::decode(endorsed.proposal_response_payload.clone())
        else {
            return reject(Code::BadResponsePayload, &txid, ts);
        };
        let Ok(action) = ChaincodeAction::decode(prp.extension.clone()) else {
            return reject(Code::BadResponsePayload, &txid, ts);
        };
        let Ok(rwset) = TxRwSet::decode(&action.results) else {
            return reject(Code::BadRwset, &txid, ts);
        };
        let (Some(hdr_cc), Some(action_cc)) =
            (ext.chaincode_id.as_ref(), action.chaincode_id.as_ref())
        else {
            return reject(Code::InvalidOtherReason, &txid, ts);
        };
        let cc = hdr_cc.name.as_str();
        if cc.is_empty() || cc != action_cc.name || action_cc.version.is_empty() {
            return reject(Code::InvalidChaincode, &txid, ts);
        }
        if !action.events.is_empty() {
            match ChaincodeEvent::decode(action.events.clone()) {
                Ok(e) if e.chaincode_id == cc => {}
                _ => return reject(Code::InvalidOtherReason, &txid, ts),
            }
        }
        let mut namespaces = BTreeSet::new();
        if rwset
            .namespaces
            .iter()
            .any(|n| !namespaces.insert(&n.namespace))
        {
            return reject(Code::IllegalWriteset, &txid, ts);
        }
        // Endorsement policies.
        let signers = pre.endorsers.unwrap_or_else(|| {
            self.channel
                .endorsement_signers(&endorsed.proposal_response_payload, &endorsed.endorsements)
        });
        let mut lookup =
            |k: WrittenKey<'_>| -> std::result::Result<Option<Bytes>, PolicyLookupError> {
                if metadata_written.contains(&(
                    k.namespace.to_owned(),
                    k.collection.to_owned(),
                    k.key.to_vec(),
                )) {
                    return Err(PolicyLookupError::ParameterUpdated(format!(
                        "validation parameter for key [{}] in namespace {} has been changed in an \
                     earlier transaction of block {block}",
                        hex::encode(k.key),
                        k.namespace
                    )));
                }
                let metadata = if k.collection.is_empty() {
                    let key = std::str::from_utf8(k.key).unwrap_or_default();
                    Snapshot::get_state(state, k.namespace, key)
                        .map_err(|e| PolicyLookupError::State(e.to_string()))?
                        .map(|v| v.metadata)
                } else {
                    Snapshot::get_private_data_hash(state, k.namespace, k.collection, k.key)
                        .map_err(|e| PolicyLookupError::State(e.to_string()))?
                        .map(|v| v.metadata)
                };
                Ok(metadata.and_then(|m| validation_parameter(&m)))
            };
        let requirements = match required_policies(&self.channel, cc, &rwset, &mut lookup) {
            Ok(r) => r,
            Err(PolicyLookupError::UndefinedNamespace(ns)) => {
                tracing::warn!(%txid, namespace = %ns, "transaction writes an undefined namespace");
                return reject(Code::InvalidChaincode, &txid, ts);
            }
            Err(PolicyLookupError::ParameterUpdated(why)) => {
                tracing::warn!(%txid, %why, "endorsement policy failure");
                return reject(Code::EndorsementPolicyFailure, &txid, ts);
            }
            Err(PolicyLookupError::State(e)) => {
                return Err(Error::Ledger(format!(
                    "block {block} tx {tx_num}: reading key-level metadata: {e}"
                )));
            }
        };
        for r in &requirements {
            if !self.channel.satisfies(&r.policy, &signers) {
                tracing::warn!(
                    %txid,
                    "validation of endorsement policy for {} in tx {block}:{tx_num} failed ({} valid endorsement(s))",
                    r.what,
                    signers.len()
                );
                return reject(Code::EndorsementPolicyFailure, &txid, ts);
            }
        }
        Ok(Ok(Checked {
            txid,
            timestamp: ts,
            rwset,
        }))
    }

    /// The writes of a VALID transaction, with its private data from the transient store.
    fn fill_writes(&self, updates: &mut TxUpdates, rwset: &TxRwSet) {
        let candidates: Vec<TxPvtRwSet> = self
            .transient
            .get(&updates.tx_id)
            .iter()
            .filter_map(|p| TxPvtRwSet::from_proto(p).ok())
            .collect();
        for ns in &rwset.namespaces {
            let name = &ns.namespace;
            let mut public: BTreeMap<&str, KeyOps> = BTreeMap::new();
            for w in &ns.kv.writes {
                let e = public.entry(&w.key).or_default();
                if w.is_delete || w.value.is_empty() {
                    e.1 = true;
                } else {
                    e.0 = Some(w.value.clone());
                }
            }
            for m in &ns.kv.metadata_writes {
                public.entry(&m.key).or_default().2 = Some(metadata(&m.entries));
            }
            for (key, (value, delete, meta)) in public {
                let op = match (delete, value, meta) {
                    (true, _, _) => WriteOp::Delete,
                    (false, Some(value), metadata) => WriteOp::Put { value, metadata },
                    (false, None, Some(m)) => WriteOp::Metadata(m),
                    (false, None, None) => continue,
                };
                updates.public.push(PublicWrite {
                    namespace: name.clone(),
                    key: key.to_owned(),
                    op,
                });
            }
            for coll in &ns.collections {
                let btl = self
                    .channel
                    .collection(name, &coll.collection)
                    .map_or(0, |c| c.block_to_live);
                let mut hashed: BTreeMap<&[u8], KeyOps> = BTreeMap::new();
                for w in &coll.hashed.hashed_writes {
                    if w.is_purge {
                        updates.purges.push(PrivatePurge {
                            namespace: name.clone(),
                            collection: coll.collection.clone(),
                            key_hash: w.key_hash.clone(),
                        });
                        continue;
                    }
                    let e = hashed.entry(&w.key_hash).or_default();
                    if w.is_delete || w.value_hash.is_empty() || w.value_hash == sha256(&[])[..] {
                        e.1 = true;
                    } else {
                        e.0 = Some(w.value_hash.clone());
                    }
                }
                for m in &coll.hashed.metadata_writes {
                    hashed.entry(&m.key_hash).or_default().2 = Some(metadata(&m.entries));
                }
                for (key_hash, (value, delete, meta)) in hashed {
                    let op = match (delete, value, meta) {
                        (true, _, _) => WriteOp::Delete,
                        (false, Some(value), metadata) => WriteOp::Put { value, metadata },
                        (false, None, Some(m)) => WriteOp::Metadata(m),
                        (false, None, None) => continue,
                    };
                    updates.hashed.push(HashedWrite {
                        namespace: name.clone(),
                        collection: coll.collection.clone(),
                        key_hash: Bytes::copy_from_slice(key_hash),
                        op,
                        block_to_live: btl,
                    });
                }
                if coll.pvt_rwset_hash.is_empty() {
                    continue;
                }
                let private = candidates.iter().find_map(|c| {
                    c.collection(name, &coll.collection)
                        .filter(|p| sha256(&p.rwset)[..] == coll.pvt_rwset_hash[..])
                });
                let Some(private) = private else {
                    tracing::warn!(
                        txid = %updates.tx_id,
                        namespace = %name,
                        collection = %coll.collection,
                        "private data of a valid transaction is missing"
                    );
                    continue;
                };
                for w in &private.kv.writes {
                    updates.private.push(PrivateWrite {
                        namespace: name.clone(),
                        collection: coll.collection.clone(),
                        key: w.key.clone(),
                        value: (!w.is_delete && !w.value.is_empty()).then(|| w.value.clone()),
                        block_to_live: btl,
                    });
                }
                updates.private_rwsets.push(CollectionPvtRwset {
                    namespace: name.clone(),
                    collection: coll.collection.clone(),
                    rwset: private.rwset.clone(),
                    block_to_live: btl,
                });
            }
        }
    }
}

fn metadata(entries: &[KvMetadataEntry]) -> Metadata {
    entries
        .iter()
        .map(|e| (e.name.clone(), e.value.clone()))
        .collect()
}

/// `validateEndorserTransaction`: exactly one action with a valid signature header, whose
/// endorsed proposal hash is the transaction's. Returns the action payload and its header.
fn endorser_transaction(
    payload: &Payload,
    channel_header: &Bytes,
) -> Option<(ChaincodeActionPayload, Bytes)> {
    if payload.data.is_empty() {
        return None;
    }
    let tx = Transaction::decode(payload.data.clone()).ok()?;
    let [action] = tx.actions.as_slice() else {
        return None;
    };
    let sh = SignatureHeader::decode(action.header.clone()).ok()?;
    if sh.nonce.is_empty() || sh.creator.is_empty() {
        return None;
    }
    let cap = ChaincodeActionPayload::decode(action.payload.clone()).ok()?;
    let endorsed = cap.action.as_ref()?;
    let prp = ProposalResponsePayload::decode(endorsed.proposal_response_payload.clone()).ok()?;
    // Fabric hashes the bytes as they are (`GetProposalHash2`).
    let hash = sha256_parts(&[
        channel_header,
        &action.header,
        &cap.chaincode_proposal_payload,
    ]);
    if hash[..] != prp.proposal_hash[..] {
        return None;
    }
    Some((cap, action.header.clone()))
}
