//! Typed chaincode events: the medical chaincode's events decoded into [`MedicalEvent`], as a
//! stream that starts at the next commit, a block, or a checkpoint.
//!
//! Every state change emits exactly one event `<Asset><Action>` whose payload holds ids and
//! status only (never PHI): [`EventPayload`] `{id, patient_id?, status?, org?}`. Only events of
//! VALID transactions arrive. After handling an event, save its position
//! ([`LedgerEvent::checkpoint`] or `checkpointer.checkpoint_transaction(block, txid)`); a
//! listener opened with the same checkpointer resumes just after it: nothing lost, nothing
//! twice.
//!
//! ```no_run
//! # async fn f(client: &medledger_sdk::MedLedgerClient) -> medledger_sdk::Result<()> {
//! use fabric_sdk::gateway::{Checkpointer, FileCheckpointer};
//! use medledger_sdk::MedicalEvent;
//! let checkpointer = FileCheckpointer::open("medical-events.json").await
//!     .map_err(|e| medledger_sdk::Error::from_fabric("events", e))?;
//! let mut events = client.events().start_block(0).checkpointer(&checkpointer).open().await?;
//! while let Some(item) = events.next().await {
//!     let e = item?;
//!     if let MedicalEvent::PrescriptionDispensed(p) = &e.event {
//!         println!("{} dispensed by {:?} in block {}", p.id, p.org, e.block_number);
//!     }
//!     e.save(&checkpointer).await?;
//! }
//! # Ok(()) }
//! ```

use fabric_sdk::gateway::{
    ChaincodeEvent, ChaincodeEvents, ChaincodeEventsBuilder, Checkpoint, Checkpointer,
};
use medledger_model::EventPayload;
use medledger_model::events as names;

use crate::client::MedLedgerClient;
use crate::error::{Error, Result};

macro_rules! medical_events {
    ($( $(#[$doc:meta])* $variant:ident = $name:path, )+) => {
        /// A medical chaincode event, by name, with its payload.
        #[derive(Debug, Clone, PartialEq, Eq)]
        #[non_exhaustive]
        pub enum MedicalEvent {
            $( $(#[$doc])* $variant(EventPayload), )+
        }

        impl MedicalEvent {
            /// Every event name the chaincode emits.
            pub const NAMES: &'static [&'static str] = &[$($name),+];

            /// Decodes an event: its name and its canonical JSON payload.
            pub fn decode(name: &str, payload: &[u8]) -> Result<Self> {
                let decode = || -> Result<EventPayload> {
                    serde_json::from_slice(payload).map_err(|e| Error::Decode {
                        function: name.to_owned(),
                        reason: format!("event payload: {e}"),
                    })
                };
                match name {
                    $( $name => Ok(MedicalEvent::$variant(decode()?)), )+
                    other => Err(Error::Decode {
                        function: other.chars().take(64).collect(),
                        reason: format!(
                            "not an event of the medical chaincode (expected one of {})",
                            Self::NAMES.join(", ")
                        ),
                    }),
                }
            }

            /// The event name (`PrescriptionDispensed`).
            pub fn name(&self) -> &'static str {
                match self { $( MedicalEvent::$variant(_) => $name, )+ }
            }

            /// The payload: the asset's id, its patient, its status, the other organisation.
            pub fn payload(&self) -> &EventPayload {
                match self { $( MedicalEvent::$variant(p) => p, )+ }
            }
        }
    };
}

medical_events! {
    /// `RegisterPatient`: id = patient, status `active`.
    PatientRegistered = names::PATIENT_REGISTERED,
    /// `ErasePatient`: status `erased`.
    PatientErased = names::PATIENT_ERASED,
    /// `GrantConsent`: id = consent, org = grantee.
    ConsentGranted = names::CONSENT_GRANTED,
    /// `RevokeConsent`.
    ConsentRevoked = names::CONSENT_REVOKED,
    /// `AddRecord`: id = record.
    RecordAdded = names::RECORD_ADDED,
    /// `AccessRecord`: org = the reader.
    RecordAccessed = names::RECORD_ACCESSED,
    /// `IssuePrescription`: id = prescription, status `issued`.
    PrescriptionIssued = names::PRESCRIPTION_ISSUED,
    /// `DispensePrescription`: org = the pharmacy.
    PrescriptionDispensed = names::PRESCRIPTION_DISPENSED,
    /// `ConfirmDelivery`.
    PrescriptionDelivered = names::PRESCRIPTION_DELIVERED,
    /// `CancelPrescription`.
    PrescriptionCancelled = names::PRESCRIPTION_CANCELLED,
    /// `SubmitClaim`: id = claim, org = insurer.
    ClaimSubmitted = names::CLAIM_SUBMITTED,
    /// `AdjudicateClaim`: status = the outcome.
    ClaimAdjudicated = names::CLAIM_ADJUDICATED,
    /// `PayClaim`.
    ClaimPaid = names::CLAIM_PAID,
    /// `IssueCertificate`: id = certificate.
    CertificateIssued = names::CERTIFICATE_ISSUED,
    /// `RevokeCertificate`.
    CertificateRevoked = names::CERTIFICATE_REVOKED,
}

/// A decoded event with where it is on the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerEvent {
    /// The event.
    pub event: MedicalEvent,
    /// The block of the transaction that emitted it.
    pub block_number: u64,
    /// The transaction that emitted it.
    pub transaction_id: String,
}

impl LedgerEvent {
    /// Decodes a chaincode event of the medical chaincode.
    pub fn decode(raw: &ChaincodeEvent) -> Result<Self> {
        Ok(LedgerEvent {
            event: MedicalEvent::decode(&raw.event_name, &raw.payload)?,
            block_number: raw.block_number,
            transaction_id: raw.transaction_id.clone(),
        })
    }

    /// The checkpoint after this event (its block, its transaction).
    pub fn checkpoint(&self) -> Checkpoint {
        Checkpoint::after_transaction(self.block_number, self.transaction_id.clone())
    }

    /// Saves the checkpoint after this event.
    pub async fn save(&self, checkpointer: &impl Checkpointer) -> Result<()> {
        checkpointer
            .checkpoint_transaction(self.block_number, &self.transaction_id)
            .await
            .map_err(|e| Error::from_fabric("events", e))
    }
}

/// Opens a stream of medical events ([`MedLedgerClient::events`]).
#[derive(Debug)]
pub struct MedicalEventsBuilder {
    inner: ChaincodeEventsBuilder,
}

impl MedicalEventsBuilder {
    /// Starts at this block (ignored when a checkpoint is given and holds a position).
    pub fn start_block(self, number: u64) -> Self {
        MedicalEventsBuilder {
            inner: self.inner.start_block(number),
        }
    }

    /// Resumes after `checkpoint`.
    pub fn checkpoint(self, checkpoint: Checkpoint) -> Self {
        MedicalEventsBuilder {
            inner: self.inner.checkpoint(checkpoint),
        }
    }

    /// Resumes from the checkpointer's position when it holds one.
    pub fn checkpointer(self, checkpointer: &impl Checkpointer) -> Self {
        MedicalEventsBuilder {
            inner: self.inner.checkpointer(checkpointer),
        }
    }

    /// Reconnects after a broken stream (on by default).
    pub fn reconnect(self, reconnect: bool) -> Self {
        MedicalEventsBuilder {
            inner: self.inner.reconnect(reconnect),
        }
    }

    /// Opens the stream.
    pub async fn open(self) -> Result<MedicalEvents> {
        let inner = self
            .inner
            .events()
            .await
            .map_err(|e| Error::from_fabric("events", e))?;
        Ok(MedicalEvents { inner })
    }
}

/// A stream of [`LedgerEvent`]s (also a `futures::Stream`; dropping it cancels the request).
/// An event that does not decode is an `Err` item ([`Error::Decode`]); the stream goes on
/// after it.
#[derive(Debug)]
pub struct MedicalEvents {
    inner: ChaincodeEvents,
}

impl MedicalEvents {
    /// The next event; `None` when the stream ended.
    pub async fn next(&mut self) -> Option<Result<LedgerEvent>> {
        self.inner.next().await.map(decode_item)
    }
}

impl futures_util::Stream for MedicalEvents {
    type Item = Result<LedgerEvent>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        std::pin::Pin::new(&mut self.inner)
            .poll_next(cx)
            .map(|item| item.map(decode_item))
    }
}

fn decode_item(item: fabric_sdk::Result<ChaincodeEvent>) -> Result<LedgerEvent> {
    match item {
        Ok(raw) => LedgerEvent::decode(&raw),
        Err(e) => Err(Error::from_fabric("events", e)),
    }
}

impl MedLedgerClient {
    /// The medical chaincode's events; without a start block or checkpoint, from the next
    /// commit.
    pub fn events(&self) -> MedicalEventsBuilder {
        MedicalEventsBuilder {
            inner: self
                .network()
                .chaincode_events(self.contract().chaincode_name()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    #[test]
    fn every_name_decodes_to_its_variant() {
        for name in MedicalEvent::NAMES {
            let e = MedicalEvent::decode(name, br#"{"id":"X-1","patient_id":"P-1"}"#).unwrap();
            assert_eq!(e.name(), *name);
            assert_eq!(e.payload().id, "X-1");
            assert_eq!(e.payload().patient_id.as_deref(), Some("P-1"));
        }
        assert_eq!(MedicalEvent::NAMES.len(), 15);
    }

    #[test]
    fn a_dispense_event_carries_the_pharmacy() {
        let raw = ChaincodeEvent {
            block_number: 7,
            transaction_id: "abc".into(),
            chaincode_name: "medledger".into(),
            event_name: "PrescriptionDispensed".into(),
            payload: Bytes::from_static(
                br#"{"id":"RX-1","org":"PharmacyMSP","patient_id":"P-SMC-000001","status":"dispensed"}"#,
            ),
        };
        let e = LedgerEvent::decode(&raw).unwrap();
        assert_eq!(
            e.event,
            MedicalEvent::PrescriptionDispensed(EventPayload {
                id: "RX-1".into(),
                patient_id: Some("P-SMC-000001".into()),
                status: Some("dispensed".into()),
                org: Some("PharmacyMSP".into()),
            })
        );
        assert_eq!(e.checkpoint(), Checkpoint::after_transaction(7, "abc"));
    }

    #[test]
    fn unknown_names_and_bad_payloads_are_decode_errors() {
        let e = MedicalEvent::decode("AssetCreated", b"{}").unwrap_err();
        assert!(
            matches!(&e, Error::Decode { function, reason } if function == "AssetCreated" && reason.contains("PatientRegistered")),
            "{e}"
        );
        let e = MedicalEvent::decode("ClaimPaid", b"not json").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("ClaimPaid: cannot decode the answer: event payload"),
            "{e}"
        );
    }
}
