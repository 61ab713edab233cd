//! The peer of one simulated transaction: every shim request goes to a
//! [`TxSimulator`](fabric_sdk::ledger::TxSimulator), which answers exactly as a Fabric peer does;
//! `INVOKE_CHAINCODE` runs a registered chaincode on the same simulator, as a peer does for a
//! chaincode-to-chaincode call on its channel.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use fabric_protos::protos::chaincode_message::Type;
use fabric_protos::protos::{
    ChaincodeEvent, ChaincodeInput, ChaincodeMessage, ChaincodeSpec, CollectionConfigPackage,
    Response, SignedProposal,
};
use fabric_sdk::ledger::{MemoryState, TxSimulator};
use futures_util::future::BoxFuture;
use prost::Message;

use crate::chaincode::Chaincode;
use crate::peer::{PeerFeatures, PeerRequests};
use crate::sync::lock;
use crate::{Error, Result};

/// Nested chaincode-to-chaincode calls allowed before the call is refused (a chaincode that
/// calls itself without end would otherwise never finish).
pub(crate) const MAX_CALL_DEPTH: usize = 16;

/// The simulator of a transaction over a snapshot of the committed state.
pub(crate) type Simulator = TxSimulator<Arc<MemoryState>>;

/// A chaincode behind a pointer, runnable through the shim's transaction handler.
pub(crate) trait ErasedChaincode: Send + Sync + 'static {
    /// Runs one INIT/TRANSACTION message (the shim's `handler::execute`: panic isolation and the
    /// write-batch flush included).
    fn execute(
        &self,
        requests: Arc<dyn PeerRequests>,
        msg: ChaincodeMessage,
        features: PeerFeatures,
    ) -> BoxFuture<'_, (Response, Option<ChaincodeEvent>)>;
}

struct Erased<C>(Arc<C>);

impl<C: Chaincode> ErasedChaincode for Erased<C> {
    fn execute(
        &self,
        requests: Arc<dyn PeerRequests>,
        msg: ChaincodeMessage,
        features: PeerFeatures,
    ) -> BoxFuture<'_, (Response, Option<ChaincodeEvent>)> {
        Box::pin(crate::handler::execute(&*self.0, requests, msg, features))
    }
}

/// Erases a chaincode's type.
pub(crate) fn erase<C: Chaincode>(chaincode: Arc<C>) -> Arc<dyn ErasedChaincode> {
    Arc::new(Erased(chaincode))
}

/// A chaincode other chaincodes can call, with its collections.
#[derive(Clone)]
pub(crate) struct Registered {
    pub(crate) chaincode: Arc<dyn ErasedChaincode>,
    pub(crate) collections: CollectionConfigPackage,
}

/// Chaincodes by name.
pub(crate) type Registry = BTreeMap<String, Registered>;

/// Answers the requests of one transaction. Cheap to clone; every clone is the same peer.
#[derive(Clone)]
pub(crate) struct SimPeer {
    shared: Arc<Shared>,
}

struct Shared {
    channel_id: String,
    txid: String,
    proposal: SignedProposal,
    registry: Arc<Registry>,
    features: PeerFeatures,
    /// `None` once the transaction has completed.
    simulator: Mutex<Option<Simulator>>,
    depth: Mutex<usize>,
}

impl SimPeer {
    pub(crate) fn new(
        simulator: Simulator,
        channel_id: &str,
        txid: &str,
        proposal: SignedProposal,
        registry: Arc<Registry>,
        features: PeerFeatures,
    ) -> SimPeer {
        SimPeer {
            shared: Arc::new(Shared {
                channel_id: channel_id.to_owned(),
                txid: txid.to_owned(),
                proposal,
                registry,
                features,
                simulator: Mutex::new(Some(simulator)),
                depth: Mutex::new(0),
            }),
        }
    }

    /// Ends the transaction: later requests (from tasks the chaincode left behind) fail.
    pub(crate) fn take_simulator(&self) -> Option<Simulator> {
        lock(&self.shared.simulator).take()
    }

    fn with_simulator<T>(
        &self,
        f: impl FnOnce(&mut Simulator) -> T,
    ) -> std::result::Result<T, String> {
        let mut guard = lock(&self.shared.simulator);
        match guard.as_mut() {
            Some(sim) => Ok(f(sim)),
            None => Err(format!(
                "transaction {} has completed; a request after COMPLETED has no transaction \
                 context (a task the chaincode spawned outlived it?)",
                self.shared.txid
            )),
        }
    }

    /// The peer's answer to `INVOKE_CHAINCODE`: the callee's COMPLETED message.
    async fn invoke(&self, payload: Bytes) -> std::result::Result<Bytes, String> {
        let s = &self.shared;
        let failed = |reason: String| {
            format!(
                "INVOKE_CHAINCODE failed: transaction ID: {}: {reason}",
                s.txid
            )
        };
        let spec =
            ChaincodeSpec::decode(payload).map_err(|e| failed(format!("unmarshal failed: {e}")))?;
        let target = spec.chaincode_id.map(|id| id.name).unwrap_or_default();
        let (name, channel) = match target.split_once('/') {
            Some((name, channel)) => (name.to_owned(), channel.to_owned()),
            None => (target.clone(), String::new()),
        };
        if !channel.is_empty() && channel != s.channel_id {
            return Err(failed(format!(
                "chaincode {name} on channel {channel}: the test ledger has one channel, {}",
                s.channel_id
            )));
        }
        let Some(callee) = s.registry.get(&name).cloned() else {
            return Err(failed(format!(
                "chaincode {name} is not registered with the test ledger (TestLedger::register)"
            )));
        };
        {
            let mut depth = lock(&s.depth);
            if *depth >= MAX_CALL_DEPTH {
                return Err(failed(format!(
                    "more than {MAX_CALL_DEPTH} nested chaincode-to-chaincode calls"
                )));
            }
            *depth += 1;
        }
        let previous =
            self.with_simulator(|sim| sim.switch_namespace(name, callee.collections.clone()));
        let previous = match previous {
            Ok(p) => p,
            Err(e) => {
                *lock(&s.depth) -= 1;
                return Err(failed(e));
            }
        };
        let input: ChaincodeInput = spec.input.unwrap_or_default();
        let msg = ChaincodeMessage {
            r#type: Type::Transaction as i32,
            payload: Bytes::from(input.encode_to_vec()),
            txid: s.txid.clone(),
            channel_id: s.channel_id.clone(),
            proposal: Some(s.proposal.clone()),
            ..Default::default()
        };
        let requests: Arc<dyn PeerRequests> = Arc::new(self.clone());
        let (response, event) = callee.chaincode.execute(requests, msg, s.features).await;
        let restored = self.with_simulator(|sim| sim.switch_namespace(previous.0, previous.1));
        *lock(&s.depth) -= 1;
        restored.map_err(failed)?;
        let completed = ChaincodeMessage {
            r#type: Type::Completed as i32,
            payload: Bytes::from(response.encode_to_vec()),
            txid: s.txid.clone(),
            channel_id: s.channel_id.clone(),
            chaincode_event: event,
            ..Default::default()
        };
        Ok(Bytes::from(completed.encode_to_vec()))
    }
}

impl PeerRequests for SimPeer {
    fn request<'a>(
        &'a self,
        channel_id: &'a str,
        txid: &'a str,
        kind: Type,
        payload: Bytes,
    ) -> BoxFuture<'a, Result<Bytes>> {
        Box::pin(async move {
            let s = &self.shared;
            let answer = if channel_id != s.channel_id || txid != s.txid {
                Err(format!(
                    "{} failed: transaction ID: {txid}: no transaction context for channel \
                     {channel_id:?} (this peer runs transaction {} on {:?})",
                    kind.as_str_name(),
                    s.txid,
                    s.channel_id
                ))
            } else if kind == Type::InvokeChaincode {
                self.invoke(payload).await
            } else {
                self.with_simulator(|sim| sim.handle_bytes(kind, payload))
                    .and_then(|answer| answer)
            };
            answer.map_err(|message| Error::Peer {
                request: kind.as_str_name(),
                message,
            })
        })
    }
}
