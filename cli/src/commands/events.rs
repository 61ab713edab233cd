//! `medledger events watch`: chaincode events as they commit, with a checkpoint file.
//!
//! Each event is turned into output by an [`EventDecoder`], chosen per chaincode by
//! [`decoder_for`]. Today every chaincode gets [`RawDecoder`] (the payload as UTF-8 or base64);
//! the typed medical events plug in by returning their decoder for the `medledger` chaincode
//! (decode the payload into the event type, return its fields as JSON — never PHI, which events
//! do not carry).

use crate::cli::{EventsWatchArgs, OutputFormat};
use crate::context::Context;
use crate::output::bytes_value;
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

/// The decoder for a chaincode's events.
pub fn decoder_for(_chaincode: &str) -> Box<dyn EventDecoder> {
    Box::new(RawDecoder)
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
            println!("{}", serde_json::Value::Object(m));
        }
        OutputFormat::Table => {
            let rest: Vec<String> = fields
                .iter()
                .filter(|(k, _)| !k.ends_with("_encoding"))
                .map(|(k, v)| format!("{k}={}", crate::output::text(v)))
                .collect();
            println!(
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
