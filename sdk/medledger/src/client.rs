//! [`MedLedgerClient`]: one identity's client of the medical chaincode, and what a submit
//! returns ([`Committed`]) or prepares ([`Prepared`]).

use std::path::Path;
use std::time::{Duration, Instant};

use fabric_sdk::gateway::{Connection, ConnectionProfile, Contract, Gateway, Network, Transaction};
use fabric_sdk::identity::SigningIdentity;
use serde::de::DeserializeOwned;

use crate::call::{Call, decode};
use crate::error::{Error, Result};

/// The chaincode name the consortium deploys the contract under.
pub const CHAINCODE_NAME: &str = "medledger";

/// The channel of the default consortium.
pub const CHANNEL_NAME: &str = "medledger";

/// A client of the medical chaincode for one identity: one async method per chaincode
/// function. Cheap to clone (the gateway connection is shared).
///
/// ```no_run
/// # async fn f() -> medledger_sdk::Result<()> {
/// use medledger_sdk::MedLedgerClient;
/// let doctor = MedLedgerClient::from_connection_file(
///     ".medledger/devnet/connections/SeoulMedicalCenterMSP.json",
///     "Doctor1@seoulmedical.example.com",
/// ).await?;
/// let rx = doctor.get_prescription("RX-0001").await?;
/// println!("{} is {}", rx.prescription.prescription_id, rx.prescription.status);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct MedLedgerClient {
    contract: Contract,
}

impl MedLedgerClient {
    /// A client over a fabric-sdk gateway (an identity with its signer, on a connection), for
    /// the `medledger` chaincode on `channel`.
    pub fn new(gateway: &Gateway, channel: &str) -> Self {
        Self::with_chaincode(gateway, channel, CHAINCODE_NAME)
    }

    /// A client for the contract deployed under another chaincode name.
    pub fn with_chaincode(gateway: &Gateway, channel: &str, chaincode: &str) -> Self {
        MedLedgerClient {
            contract: gateway.network(channel).contract(chaincode),
        }
    }

    /// The endorsing organisations for `call`: its own choice, else for the private phase of
    /// a PHI write ([`Call::is_private_phase`]) the caller's organisation alone — the only
    /// member of the collection it writes, whose policy is the only one that applies — else
    /// `None` (the gateway plans: chaincode, collection and key-level policies).
    pub fn endorsers_for<T>(&self, call: &Call<T>) -> Option<Vec<String>> {
        if let Some(orgs) = call.endorsing_organizations() {
            return Some(orgs.to_vec());
        }
        call.is_private_phase()
            .then(|| vec![self.msp_id().to_owned()])
    }

    /// A client on an open connection, signing as `identity`.
    pub fn connect(connection: Connection, identity: &SigningIdentity, channel: &str) -> Self {
        Self::new(&Gateway::connect(connection, identity), channel)
    }

    /// A client of `user` (`Doctor1@seoulmedical.example.com`) from a connection profile:
    /// dials the organisation's gateway peer (with the user's TLS certificate under mutual
    /// TLS) and signs with the user's MSP identity.
    pub async fn from_profile(profile: &ConnectionProfile, user: &str) -> Result<Self> {
        let gateway = profile
            .connect(user)
            .await
            .map_err(|e| Error::from_fabric("connect", e))?;
        Ok(Self::new(&gateway, &profile.channel))
    }

    /// A client of `user` from a devnet connection file (`<data dir>/connections/<MSP>.json`).
    pub async fn from_connection_file(path: impl AsRef<Path>, user: &str) -> Result<Self> {
        let profile = ConnectionProfile::load(path)
            .await
            .map_err(|e| Error::from_fabric("connect", e))?;
        Self::from_profile(&profile, user).await
    }

    /// The underlying contract (raw calls).
    pub fn contract(&self) -> &Contract {
        &self.contract
    }

    /// The channel.
    pub fn network(&self) -> &Network {
        self.contract.network()
    }

    /// The gateway (identity, connection, deadlines).
    pub fn gateway(&self) -> &Gateway {
        self.contract.network().gateway()
    }

    /// The MSP id of this client's identity.
    pub fn msp_id(&self) -> &str {
        self.gateway().identity().msp_id()
    }

    /// Evaluates `call` on one peer and decodes the answer. Nothing is ordered or written.
    pub async fn evaluate<T: DeserializeOwned>(&self, call: Call<T>) -> Result<T> {
        let function = call.function();
        let bytes = self
            .proposal(&call)
            .evaluate()
            .await
            .map_err(|e| Error::from_fabric(function, e))?;
        decode(function, &bytes)
    }

    /// Endorses `call`: the peers run it and sign the result, nothing is ordered yet. The
    /// answer is already known ([`Prepared::value`]); [`Prepared::submit`] orders it and waits
    /// for its commit. Two prepared transactions endorsed on the same state conflict: the one
    /// committed second is `MVCC_READ_CONFLICT`.
    pub async fn endorse<T: DeserializeOwned>(&self, call: Call<T>) -> Result<Prepared<T>> {
        let function = call.function();
        let started = Instant::now();
        let transaction = self
            .proposal(&call)
            .endorse()
            .await
            .map_err(|e| Error::from_fabric(function, e))?;
        let value: T = decode(function, transaction.result())?;
        call.verify(&value)?;
        Ok(Prepared {
            function,
            transaction,
            value,
            started,
        })
    }

    /// Endorses, submits and waits for the commit of `call`.
    pub async fn submit<T: DeserializeOwned>(&self, call: Call<T>) -> Result<Committed<T>> {
        self.endorse(call).await?.submit().await
    }

    fn proposal<T>(&self, call: &Call<T>) -> fabric_sdk::gateway::ProposalBuilder {
        let mut proposal = self
            .contract
            .new_proposal(call.function())
            .args(call.arguments());
        for (key, value) in call.transient_map() {
            proposal = proposal.transient(key.clone(), value);
        }
        if let Some(orgs) = self.endorsers_for(call) {
            proposal = proposal.endorsing_organizations(orgs);
        }
        proposal
    }
}

/// A transaction endorsed but not yet submitted (see [`MedLedgerClient::endorse`]).
#[derive(Debug)]
pub struct Prepared<T> {
    function: &'static str,
    transaction: Transaction,
    value: T,
    started: Instant,
}

impl<T> Prepared<T> {
    /// The transaction id.
    pub fn transaction_id(&self) -> &str {
        self.transaction.transaction_id()
    }

    /// The chaincode's answer, as endorsed (valid only if the transaction commits).
    pub fn value(&self) -> &T {
        &self.value
    }

    /// The chaincode function.
    pub fn function(&self) -> &'static str {
        self.function
    }

    /// Submits to the orderer and waits for the commit: the answer with the transaction id and
    /// block, or [`Error::Commit`] with the validation code when the transaction is invalid.
    pub async fn submit(self) -> Result<Committed<T>> {
        let function = self.function;
        let fail = |e| Error::from_fabric(function, e);
        let commit = self.transaction.submit().await.map_err(fail)?;
        let status = commit.status().await.map_err(fail)?;
        let status = status.check().map_err(fail)?;
        Ok(Committed {
            value: self.value,
            transaction_id: status.transaction_id,
            block_number: status.block_number,
            elapsed: self.started.elapsed(),
            private_transaction_id: None,
        })
    }
}

/// The result of a committed transaction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed<T> {
    /// The chaincode's answer (the asset as written).
    pub value: T,
    /// The transaction id.
    pub transaction_id: String,
    /// The block the transaction committed in.
    pub block_number: u64,
    /// From the proposal to the commit status (endorse, order, commit); for a two-phase PHI
    /// write, from the private phase's proposal.
    pub elapsed: Duration,
    /// For a two-phase PHI write (`register_patient`, `add_record` with content, a consent
    /// with a signed form): the private phase's transaction (`Store…`, endorsed by the
    /// caller's organisation alone), committed before this one. `None` otherwise.
    pub private_transaction_id: Option<String>,
}

impl<T> Committed<T> {
    /// This public phase, after the private phase `stored`: its transaction id, and the
    /// time from its proposal.
    pub(crate) fn after<S>(mut self, stored: Committed<S>) -> Self {
        self.elapsed += stored.elapsed;
        self.private_transaction_id = Some(stored.transaction_id);
        self
    }

    /// The answer, dropping the transaction data.
    pub fn into_value(self) -> T {
        self.value
    }
}
