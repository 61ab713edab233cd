//! Block hashing and metadata, as Fabric computes them.
//!
//! - header hash (the next block's `previous_hash`) = SHA-256 of the DER encoding of
//!   `SEQUENCE { INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash }`;
//! - data hash = SHA-256 of the concatenated envelopes;
//! - the orderer's signature covers `metadata value ‖ signature header ‖ header DER`.

use super::decode;
use crate::crypto::{sha256, sha256_parts};
use crate::{Error, Result};
use fabric_protos::common::{Block, BlockHeader, BlockMetadataIndex, Metadata};

/// DER `SEQUENCE { INTEGER number, OCTET STRING previous_hash, OCTET STRING data_hash }`.
pub fn block_header_der(number: u64, previous_hash: &[u8], data_hash: &[u8]) -> Vec<u8> {
    let mut body = Vec::with_capacity(previous_hash.len() + data_hash.len() + 16);
    // INTEGER: minimal two's complement, non-negative.
    let be = number.to_be_bytes();
    let first = be.iter().position(|&b| b != 0).unwrap_or(be.len() - 1);
    let mut int = be[first..].to_vec();
    if int[0] & 0x80 != 0 {
        int.insert(0, 0);
    }
    push_tlv(&mut body, 0x02, &int);
    push_tlv(&mut body, 0x04, previous_hash);
    push_tlv(&mut body, 0x04, data_hash);
    let mut out = Vec::with_capacity(body.len() + 4);
    push_tlv(&mut out, 0x30, &body);
    out
}

fn push_tlv(out: &mut Vec<u8>, tag: u8, value: &[u8]) {
    out.push(tag);
    let len = value.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let be = (len as u64).to_be_bytes();
        let first = be.iter().position(|&b| b != 0).unwrap_or(be.len() - 1);
        out.push(0x80 | (be.len() - first) as u8);
        out.extend_from_slice(&be[first..]);
    }
    out.extend_from_slice(value);
}

/// The hash of a block header: the next block's `previous_hash`.
pub fn block_header_hash(header: &BlockHeader) -> [u8; 32] {
    sha256(&block_header_der(
        header.number,
        &header.previous_hash,
        &header.data_hash,
    ))
}

/// SHA-256 over the concatenation of the block's data entries.
pub fn block_data_hash<D: AsRef<[u8]>>(data: &[D]) -> [u8; 32] {
    let parts: Vec<&[u8]> = data.iter().map(AsRef::as_ref).collect();
    sha256_parts(&parts)
}

/// The bytes a block signer signs: `metadata value ‖ signature header ‖ header DER`.
pub fn block_signature_message(
    value: &[u8],
    signature_header: &[u8],
    header: &BlockHeader,
) -> Vec<u8> {
    let der = block_header_der(header.number, &header.previous_hash, &header.data_hash);
    let mut m = Vec::with_capacity(value.len() + signature_header.len() + der.len());
    m.extend_from_slice(value);
    m.extend_from_slice(signature_header);
    m.extend_from_slice(&der);
    m
}

/// Checks a block's own consistency: the data hash matches the data, and (if given) the
/// previous block's header hash is this block's `previous_hash`.
pub fn verify_block_hashes(block: &Block, previous: Option<&BlockHeader>) -> Result<()> {
    let header = block.header.as_ref().ok_or_else(|| Error::Malformed {
        what: "Block",
        reason: "no header".into(),
    })?;
    let data = block
        .data
        .as_ref()
        .map(|d| d.data.as_slice())
        .unwrap_or(&[]);
    if block_data_hash(data).as_slice() != header.data_hash.as_ref() {
        return Err(Error::Transaction(format!(
            "block {}: data hash does not match its data",
            header.number
        )));
    }
    if let Some(prev) = previous
        && block_header_hash(prev).as_slice() != header.previous_hash.as_ref()
    {
        return Err(Error::Transaction(format!(
            "block {}: previous_hash does not match block {}'s header hash",
            header.number, prev.number
        )));
    }
    Ok(())
}

/// The metadata entry at `index`, decoded as `common.Metadata` (absent or empty ⇒ default).
pub fn block_metadata(block: &Block, index: BlockMetadataIndex) -> Result<Metadata> {
    match block
        .metadata
        .as_ref()
        .and_then(|m| m.metadata.get(index as usize))
    {
        Some(bytes) if !bytes.is_empty() => decode("block Metadata", bytes),
        _ => Ok(Metadata::default()),
    }
}

/// The TRANSACTIONS_FILTER: one validation code byte per transaction (a raw byte array, not a
/// `Metadata` message). Empty when the block comes from an orderer.
pub fn transactions_filter(block: &Block) -> &[u8] {
    block
        .metadata
        .as_ref()
        .and_then(|m| {
            m.metadata
                .get(BlockMetadataIndex::TransactionsFilter as usize)
        })
        .map(|b| b.as_ref())
        .unwrap_or(&[])
}
