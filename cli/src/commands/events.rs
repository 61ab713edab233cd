//! `medledger events watch`: chaincode events as they commit, with a checkpoint file.
//!
//! Each event is turned into output by an [`EventDecoder`], chosen per chaincode by
//! [`decoder_for`]: the `medledger` chaincode gets [`MedicalDecoder`] (typed medical events:
//! id, patient, status, organisation — never PHI, which events do not carry), every other
//! chaincode [`RawDecoder`] (the payload as UTF-8 or base64).

use crate::cli::{EventsWatchArgs, OutputFormat};
use crate::context::Context;
use crate::output::{bytes_value, outln};
use anyhow::Context as _;
use fabric_sdk::gateway::{ChaincodeEvent, Checkpointer, FileCheckpointer};

/// Turns a chaincode event into the fields printed for it.
pub trait EventDecoder: Send + Sync {
    /// The decoded fields (a JSON object), added to txid, block, chaincode and name.
    fn decode(&self, event: &ChaincodeEvent) -> serde_json::Map<String, serde_json::Value>;
}

/// The payload as UTF-8 text when valid, else base64.
pub struct RawDecoder;

impl EventDecoder for RawDecoder {
    fn decode(&self, event: &ChaincodeEvent) -> serde_json::Map<String, serde_json::Value> {
        let (payload, encoding) = bytes_value(&event.payload);
        let mut m = serde_json::Map::new();
        m.insert("payload".into(), payload);
        m.insert("payload_encoding".into(), encoding.into());
        m
    }
}

/// The medical chaincode's events, typed (`medledger_sdk::MedicalEvent`): the asset's id, its
/// patient, its status and the other organisation. An event that is not one of the contract's
/// prints raw, with the reason.
pub struct MedicalDecoder;

impl EventDecoder for MedicalDecoder {
    fn decode(&self, event: &ChaincodeEvent) -> serde_json::Map<String, serde_json::Value> {
        match medledger_sdk::LedgerEvent::decode(event) {
            Ok(e) => match serde_json::to_value(e.event.payload()) {
                Ok(serde_json::Value::Object(m)) => m,
                _ => RawDecoder.decode(event),
            },
            Err(err) => {
                let mut m = RawDecoder.decode(event);
                m.insert("decode_error".into(), err.to_string().into());
                m
            }
        }
    }
}

/// The decoder for a chaincode's events: typed for the medical chaincode, raw otherwise.
pub fn decoder_for(chaincode: &str) -> Box<dyn EventDecoder> {
    if chaincode == medledger_sdk::CHAINCODE_NAME {
        Box::new(MedicalDecoder)
    } else {
        Box::new(RawDecoder)
    }
}

fn print(format: OutputFormat, event: &ChaincodeEvent, decoder: &dyn EventDecoder) {
    let fields = decoder.decode(event);
    match format {
        OutputFormat::Json => {
            let mut m = serde_json::Map::new();
            m.insert("block".into(), event.block_number.into());
            m.insert("transaction_id".into(), event.transaction_id.clone().into());
            m.insert("chaincode".into(), event.chaincode_name.clone().into());
            m.insert("name".into(), event.event_name.clone().into());
            m.extend(fields);
            outln!("{}", serde_json::Value::Object(m));
        }
        OutputFormat::Table => {
            let rest: Vec<String> = fields
                .iter()
                .filter(|(k, _)| !k.ends_with("_encoding"))
                .map(|(k, v)| format!("{k}={}", crate::output::text(v)))
                .collect();
            outln!(
                "block {} tx {} {} {}",
                event.block_number,
                event.transaction_id,
                event.event_name,
                rest.join(" ")
            );
        }
    }
}

/// `medledger events watch`.
pub fn watch(ctx: &Context, args: &EventsWatchArgs) -> anyhow::Result<()> {
    ctx.block_on(async {
        let session = ctx.connect().await?;
        let chaincode = session.chaincode(args.chaincode.as_deref())?;
        let decoder = decoder_for(&chaincode);
        let checkpointer =
            match &args.checkpoint {
                Some(path) => Some(FileCheckpointer::open(path).await.with_context(|| {
                    format!("cannot use the checkpoint file {}", path.display())
                })?),
                None => None,
            };
        let mut builder = session.network().chaincode_events(&chaincode);
        if let Some(n) = args.start_block {
            builder = builder.start_block(n);
        }
        if let Some(cp) = &checkpointer {
            builder = builder.checkpointer(cp);
        }
        let mut events = builder.events().await?;
        if ctx.output == OutputFormat::Table {
            eprintln!("watching events of {chaincode} (Ctrl-C to stop)");
        }
        let mut seen = 0u64;
        let stop = tokio::signal::ctrl_c();
        tokio::pin!(stop);
        while args.limit.is_none_or(|l| seen < l) {
            let next = tokio::select! {
                _ = &mut stop => break,
                e = events.next() => e,
            };
            let Some(event) = next else { break };
            let event = event?;
            print(ctx.output, &event, decoder.as_ref());
            if let Some(cp) = &checkpointer {
                cp.checkpoint_chaincode_event(&event).await?;
            }
            seen += 1;
        }
        Ok(())
    })
}
