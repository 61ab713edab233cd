//! `medledger-sdk`: the typed client of the MedLedger medical chaincode, on fabric-sdk's
//! Gateway client.
//!
//! - [`MedLedgerClient`]: one async method per chaincode function (27; the private phases
//!   `Store…` of two-phase PHI writes run inside `register_patient`, `add_record`,
//!   `grant_consent` and `revoke_consent`), named after it
//!   (`IssuePrescription` → [`MedLedgerClient::issue_prescription`]). Queries return the
//!   model's types; transactions return [`Committed`]: the answer, the transaction id, the
//!   block it committed in and the time it took.
//! - **Privacy by construction.** PHI (demographics, prescription contents, claim details,
//!   decisions, payments, record contents) is passed as typed values and sent only in the
//!   transient map, as the chaincode expects; arguments carry ids, codes and hashes. Salts are
//!   drawn on the client from the OS's secure generator; the salted hashes are computed here
//!   with `medledger_model`'s commitment functions and checked against the ledger's answer
//!   ([`Error::Integrity`] if they differ). Documents that stay off the ledger (certificates,
//!   consent forms, off-ledger records) get a [`SaltedDocument`]: keep its salt with the
//!   document.
//! - **Errors** ([`Error`]): a chaincode refusal is [`Error::Refused`] with the status (400
//!   bad input naming the field, 403 forbidden naming the rule, 404, 409) and the message;
//!   an invalid commit is [`Error::Commit`] with its validation code (`MVCC_READ_CONFLICT`);
//!   everything else keeps the fabric-sdk error ([`Error::Fabric`]).
//! - **Steps.** [`calls`] builds each function's [`Call`]; [`MedLedgerClient::endorse`] returns
//!   a [`Prepared`] transaction to [`submit`](Prepared::submit) later (two prepared dispenses
//!   of one prescription: the second to commit is `MVCC_READ_CONFLICT`).
//! - **Events** ([`events`]): the chaincode's events as [`MedicalEvent`]s, from the next
//!   commit, a block or a checkpoint (fabric-sdk's `FileCheckpointer`, `InMemoryCheckpointer`).
//! - **Devnet** (feature `devnet`): [`devnet::MedicalDevnet`] starts the embedded devnet with the
//!   medical chaincode served in-process and hands out clients by user name.
//!
//! ```no_run
//! # async fn f() -> medledger_sdk::Result<()> {
//! use medledger_model::{Medication, PrescriptionInput, Route};
//! use medledger_sdk::MedLedgerClient;
//!
//! let dir = ".medledger/devnet/connections";
//! let doctor = MedLedgerClient::from_connection_file(
//!     format!("{dir}/SeoulMedicalCenterMSP.json"), "Doctor1@seoulmedical.example.com").await?;
//! let pharmacist = MedLedgerClient::from_connection_file(
//!     format!("{dir}/PharmacyMSP.json"), "Pharmacist1@pharmacy.example.com").await?;
//!
//! let rx = PrescriptionInput {
//!     medications: vec![Medication {
//!         code: "642102570".into(), name: "Amoxicillin 500mg".into(), dose: "1 capsule".into(),
//!         frequency: 3, days: 5, route: Route::Oral,
//!     }],
//!     notes: None,
//! };
//! let issued = doctor.issue_prescription(None, "P-SMC-000001", None, &rx).await?;
//! println!("{} in block {} ({:?})", issued.transaction_id, issued.block_number, issued.elapsed);
//! let id = &issued.value.prescription_id;
//! match pharmacist.dispense_prescription(id).await {
//!     Ok(done) => println!("dispensed in block {}", done.block_number),
//!     Err(e) if e.status() == Some(409) => println!("refused: {}", e.chaincode_message().unwrap_or_default()),
//!     Err(e) => return Err(e),
//! }
//! # Ok(()) }
//! ```

pub mod call;
pub mod calls;
pub mod client;
pub mod documents;
pub mod error;
pub mod events;

#[cfg(feature = "devnet")]
pub mod devnet;

pub use call::{Call, CallKind};
pub use calls::{ConsentGrant, NewRecord};
pub use client::{CHAINCODE_NAME, CHANNEL_NAME, Committed, MedLedgerClient, Prepared};
pub use documents::{RecordDocument, SaltedDocument, new_salt};
pub use error::{Error, Result};
pub use events::{LedgerEvent, MedicalEvent, MedicalEvents, MedicalEventsBuilder};

/// The fabric-sdk Gateway client (connections, profiles, checkpointers, validation codes).
pub use fabric_sdk::gateway;
/// The domain types the client takes and returns.
pub use medledger_model as model;
