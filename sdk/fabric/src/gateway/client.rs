//! [`Gateway`]: an identity, its signer and hash, a [`Connection`] and default deadlines; the
//! entry point to [`Network`]s and to the offline-signing rebuilders (`new_signed_*`).

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use fabric_protos::gateway::gateway_client::GatewayClient;
use fabric_protos::protos::deliver_client::DeliverClient;
use tonic::transport::Channel;

use super::block_events::{BlockEventsRequest, BlockItem};
use super::chaincode_events::ChaincodeEventsRequest;
use super::commit::Commit;
use super::proposal::Proposal;
use super::transaction::Transaction;
use super::{Connection, Deadlines, Network};
use crate::crypto::{HashAlgorithm, Signer};
use crate::identity::{Identity, SigningIdentity};
use crate::{Error, Result};

/// A client identity connected to a Gateway peer. Cheap to clone (one `Arc`); many gateways
/// (one per identity) can share one [`Connection`].
///
/// ```no_run
/// # async fn f(connection: fabric_sdk::gateway::Connection, me: fabric_sdk::identity::SigningIdentity) -> fabric_sdk::Result<()> {
/// use fabric_sdk::gateway::Gateway;
/// let gateway = Gateway::connect(connection, &me);
/// let contract = gateway.network("medledger").contract("basic");
/// contract.submit("CreateAsset", ["asset7", "red", "5", "Ann", "300"]).await?;
/// let asset = contract.evaluate("ReadAsset", ["asset7"]).await?;
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Gateway {
    pub(crate) inner: Arc<Inner>,
}

pub(crate) struct Inner {
    pub(crate) connection: Connection,
    pub(crate) identity: Identity,
    pub(crate) creator: Bytes,
    pub(crate) signer: Option<Arc<dyn Signer>>,
    pub(crate) hash: HashAlgorithm,
    pub(crate) deadlines: Deadlines,
}

impl std::fmt::Debug for Gateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Gateway")
            .field("msp_id", &self.inner.identity.msp_id())
            .field("connection", &self.inner.connection)
            .field("signer", &self.inner.signer.is_some())
            .field("hash", &self.inner.hash)
            .field("deadlines", &self.inner.deadlines)
            .finish()
    }
}

impl Gateway {
    /// A gateway for a signing identity, with the default deadlines and the signer's hash.
    pub fn connect(connection: Connection, identity: &SigningIdentity) -> Gateway {
        Gateway::builder(connection, identity.identity.clone())
            .signer(identity.signer.clone())
            .build()
    }

    /// Starts a gateway for `identity`. Without a signer every request is built unsigned, for
    /// offline signing.
    pub fn builder(connection: Connection, identity: Identity) -> GatewayBuilder {
        GatewayBuilder {
            connection,
            identity,
            signer: None,
            hash: None,
            deadlines: Deadlines::default(),
        }
    }

    /// The network (channel) `name`.
    pub fn network(&self, name: impl Into<String>) -> Network {
        Network::new(self.clone(), name.into())
    }

    /// The client identity.
    pub fn identity(&self) -> &Identity {
        &self.inner.identity
    }

    /// The connection.
    pub fn connection(&self) -> &Connection {
        &self.inner.connection
    }

    /// The default deadlines.
    pub fn deadlines(&self) -> Deadlines {
        self.inner.deadlines
    }

    /// The hash applied before signing (SHA-256, or none for Ed25519).
    pub fn hash(&self) -> HashAlgorithm {
        self.inner.hash
    }

    /// Whether requests are signed by the gateway (else they must be signed offline).
    pub fn has_signer(&self) -> bool {
        self.inner.signer.is_some()
    }

    // ----- offline signing --------------------------------------------------------------------

    /// Rebuilds a proposal from [`Proposal::bytes`] and a signature over its
    /// [`Proposal::digest`].
    pub fn new_signed_proposal(
        &self,
        bytes: &[u8],
        signature: impl Into<Bytes>,
    ) -> Result<Proposal> {
        Proposal::from_bytes(self.clone(), bytes, Some(signature.into()))
    }

    /// Rebuilds a prepared transaction from [`Transaction::bytes`] and a signature over its
    /// [`Transaction::digest`].
    pub fn new_signed_transaction(
        &self,
        bytes: &[u8],
        signature: impl Into<Bytes>,
    ) -> Result<Transaction> {
        Transaction::from_bytes(self.clone(), bytes, Some(signature.into()))
    }

    /// Rebuilds a commit status request from [`Commit::bytes`] and a signature over its
    /// [`Commit::digest`].
    pub fn new_signed_commit(&self, bytes: &[u8], signature: impl Into<Bytes>) -> Result<Commit> {
        Commit::from_bytes(self.clone(), bytes, Some(signature.into()))
    }

    /// Rebuilds a chaincode events request from [`ChaincodeEventsRequest::bytes`] and a
    /// signature over its [`ChaincodeEventsRequest::digest`].
    pub fn new_signed_chaincode_events_request(
        &self,
        bytes: &[u8],
        signature: impl Into<Bytes>,
    ) -> Result<ChaincodeEventsRequest> {
        ChaincodeEventsRequest::from_bytes(self.clone(), bytes, signature.into())
    }

    /// Rebuilds a block events request (full blocks) from [`BlockEventsRequest::bytes`] and a
    /// signature over its [`BlockEventsRequest::digest`].
    pub fn new_signed_block_events_request(
        &self,
        bytes: &[u8],
        signature: impl Into<Bytes>,
    ) -> Result<BlockEventsRequest<fabric_protos::common::Block>> {
        BlockEventsRequest::from_bytes(self.clone(), bytes, signature.into())
    }

    /// As [`Gateway::new_signed_block_events_request`], for filtered blocks.
    pub fn new_signed_filtered_block_events_request(
        &self,
        bytes: &[u8],
        signature: impl Into<Bytes>,
    ) -> Result<BlockEventsRequest<fabric_protos::protos::FilteredBlock>> {
        BlockEventsRequest::from_bytes(self.clone(), bytes, signature.into())
    }

    /// As [`Gateway::new_signed_block_events_request`], for blocks with private data.
    pub fn new_signed_block_and_private_data_events_request(
        &self,
        bytes: &[u8],
        signature: impl Into<Bytes>,
    ) -> Result<BlockEventsRequest<fabric_protos::protos::BlockAndPrivateData>> {
        BlockEventsRequest::from_bytes(self.clone(), bytes, signature.into())
    }

    /// Generic form of the `new_signed_*block*_events_request` methods.
    pub fn new_signed_block_events_request_of<T: BlockItem>(
        &self,
        bytes: &[u8],
        signature: impl Into<Bytes>,
    ) -> Result<BlockEventsRequest<T>> {
        BlockEventsRequest::from_bytes(self.clone(), bytes, signature.into())
    }
}

impl Inner {
    /// What is signed for `message`: its hash, or the message itself (hash none).
    pub(crate) fn digest(&self, message: &[u8]) -> Vec<u8> {
        self.hash.digest(message).into_owned()
    }

    /// Signs `message` when there is a signer; `None` for offline signing.
    pub(crate) fn sign(&self, message: &[u8]) -> Result<Option<Bytes>> {
        match &self.signer {
            None => Ok(None),
            Some(signer) => {
                let digest = self.hash.digest(message);
                Ok(Some(signer.sign_digest(&digest)?.into()))
            }
        }
    }

    pub(crate) fn gateway_client(&self) -> GatewayClient<Channel> {
        let max = self.connection.max_message_size();
        GatewayClient::new(self.connection.channel().clone())
            .max_decoding_message_size(max)
            .max_encoding_message_size(max)
    }

    pub(crate) fn deliver_client(&self) -> DeliverClient<Channel> {
        let max = self.connection.max_message_size();
        DeliverClient::new(self.connection.channel().clone())
            .max_decoding_message_size(max)
            .max_encoding_message_size(max)
    }
}

/// Builds a [`Gateway`].
pub struct GatewayBuilder {
    connection: Connection,
    identity: Identity,
    signer: Option<Arc<dyn Signer>>,
    hash: Option<HashAlgorithm>,
    deadlines: Deadlines,
}

impl std::fmt::Debug for GatewayBuilder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("GatewayBuilder")
            .field("msp_id", &self.identity.msp_id())
            .field("signer", &self.signer.is_some())
            .finish_non_exhaustive()
    }
}

impl GatewayBuilder {
    /// Signs requests with `signer` (a key in memory, an HSM, a KMS: any [`Signer`]).
    pub fn signer(mut self, signer: Arc<dyn Signer>) -> Self {
        self.signer = Some(signer);
        self
    }

    /// The hash applied before signing. Defaults to the signer's ([`Signer::hash_algorithm`]:
    /// SHA-256 for ECDSA, none for Ed25519), or SHA-256 without a signer.
    pub fn hash(mut self, hash: HashAlgorithm) -> Self {
        self.hash = Some(hash);
        self
    }

    /// Every default deadline.
    pub fn deadlines(mut self, deadlines: Deadlines) -> Self {
        self.deadlines = deadlines;
        self
    }

    /// The default evaluate deadline.
    pub fn evaluate_timeout(mut self, timeout: Duration) -> Self {
        self.deadlines.evaluate = timeout;
        self
    }

    /// The default endorse deadline.
    pub fn endorse_timeout(mut self, timeout: Duration) -> Self {
        self.deadlines.endorse = timeout;
        self
    }

    /// The default submit deadline.
    pub fn submit_timeout(mut self, timeout: Duration) -> Self {
        self.deadlines.submit = timeout;
        self
    }

    /// The default commit status deadline.
    pub fn commit_status_timeout(mut self, timeout: Duration) -> Self {
        self.deadlines.commit_status = timeout;
        self
    }

    /// The gateway.
    pub fn build(self) -> Gateway {
        let hash = self.hash.unwrap_or_else(|| {
            self.signer
                .as_ref()
                .map_or(HashAlgorithm::Sha256, |s| s.hash_algorithm())
        });
        let creator = Bytes::copy_from_slice(self.identity.serialized());
        Gateway {
            inner: Arc::new(Inner {
                connection: self.connection,
                identity: self.identity,
                creator,
                signer: self.signer,
                hash,
                deadlines: self.deadlines,
            }),
        }
    }
}

/// Fails with [`Error::NotSigned`] for an empty signature.
pub(crate) fn require_signed(signature: &[u8], what: &'static str) -> Result<()> {
    if signature.is_empty() {
        return Err(Error::NotSigned(what));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    //! Offline signing round trips: bytes and digests out, signatures back, byte-identical
    //! requests; no peer involved.
    use super::*;
    use crate::crypto::sha256;
    use crate::tx::{Endorser, ParsedProposal, UnsignedTransaction};
    use fabric_protos::Message;
    use fabric_protos::gateway::{ProposedTransaction, SignedCommitStatusRequest};
    use fabric_protos::protos::{ChaincodeId, Response};

    fn identity(alg: &'static rcgen::SignatureAlgorithm) -> SigningIdentity {
        let key = rcgen::KeyPair::generate_for(alg).unwrap();
        let mut params = rcgen::CertificateParams::new(vec!["user1".into()]).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "User1@org1.example.com");
        let cert = params.self_signed(&key).unwrap();
        SigningIdentity::from_pem("Org1MSP", &cert.pem(), &key.serialize_pem()).unwrap()
    }

    fn connection() -> Connection {
        // Never dialed: these tests make no call.
        Connection::builder("127.0.0.1:9").connect_lazy().unwrap()
    }

    fn offline(me: &SigningIdentity) -> Gateway {
        Gateway::builder(connection(), me.identity.clone())
            .hash(me.signer.hash_algorithm())
            .build()
    }

    fn endorsed_envelope(
        me: &SigningIdentity,
        proposal: &Proposal,
    ) -> fabric_protos::common::Envelope {
        let mut signed = proposal.signed_proposal().unwrap().clone();
        signed.signature = Bytes::from_static(b"x");
        let parsed = ParsedProposal::parse(&signed).unwrap();
        let endorser = Endorser {
            identity: Bytes::copy_from_slice(me.serialized()),
            signer: me.signer.clone(),
        };
        let response = endorser
            .endorse(
                &parsed.proposal_hash(),
                ChaincodeId {
                    name: "cc".into(),
                    version: "1".into(),
                    ..Default::default()
                },
                Response {
                    status: 200,
                    message: String::new(),
                    payload: Bytes::from_static(b"the result"),
                },
                Bytes::new(),
                None,
            )
            .unwrap();
        let endorsement = response.endorsement.unwrap();
        let tx = UnsignedTransaction::assemble(&parsed, &response.payload, &[endorsement]).unwrap();
        tx.with_signature(Bytes::new())
    }

    #[tokio::test]
    async fn offline_signing_round_trips() {
        for alg in [&rcgen::PKCS_ECDSA_P256_SHA256, &rcgen::PKCS_ED25519] {
            let me = identity(alg);
            let verifier = me
                .identity
                .certificate()
                .public_key()
                .unwrap()
                .verifier()
                .unwrap();
            let gateway = offline(&me);
            assert!(!gateway.has_signer());
            let network = gateway.network("ch1");
            let contract = network.contract_with_name("cc", "Assets");

            // Proposal.
            let unsigned = contract
                .new_proposal("Create")
                .arg("a1")
                .arg([0u8, 1, 2])
                .transient("secret", b"s3")
                .endorsing_organizations(["Org1MSP"])
                .build()
                .unwrap();
            assert!(!unsigned.is_signed());
            let err = unsigned.evaluate().await.unwrap_err();
            assert!(matches!(err, Error::NotSigned("proposal")), "{err}");
            let bytes = unsigned.bytes();
            let proposed = ProposedTransaction::decode(bytes.as_slice()).unwrap();
            let proposal_bytes = proposed.proposal.unwrap().proposal_bytes;
            assert_eq!(proposed.transaction_id, unsigned.transaction_id());
            assert_eq!(proposed.endorsing_organizations, ["Org1MSP"]);
            let expected_digest = match me.signer.hash_algorithm() {
                HashAlgorithm::Sha256 => sha256(&proposal_bytes).to_vec(),
                HashAlgorithm::None => proposal_bytes.to_vec(),
            };
            assert_eq!(unsigned.digest(), expected_digest);
            let signature = me.signer.sign_digest(&unsigned.digest()).unwrap();
            let signed = gateway
                .new_signed_proposal(&bytes, signature.clone())
                .unwrap();
            assert!(signed.is_signed());
            assert_eq!(signed.transaction_id(), unsigned.transaction_id());
            assert_eq!(signed.channel(), "ch1");
            assert_eq!(signed.endorsing_organizations(), ["Org1MSP"]);
            let sp = signed.signed_proposal().unwrap();
            assert_eq!(
                sp.proposal_bytes, proposal_bytes,
                "the proposal bytes are kept as they are"
            );
            assert_eq!(&sp.signature[..], &signature[..]);
            verifier.verify(&sp.proposal_bytes, &sp.signature).unwrap();
            let parsed = ParsedProposal::parse(sp).unwrap();
            let input = parsed.input().unwrap();
            assert_eq!(input.args[0], "Assets:Create");
            assert_eq!(&input.args[2][..], &[0u8, 1, 2]);
            assert_eq!(&parsed.transient["secret"][..], b"s3");
            // Garbage is refused.
            assert!(gateway.new_signed_proposal(b"\xff\xff", signature).is_err());

            // Transaction.
            let envelope = endorsed_envelope(&me, &signed);
            let tx = Transaction::new(
                gateway.clone(),
                signed.transaction_id(),
                envelope.clone(),
                gateway.deadlines(),
            )
            .unwrap();
            assert!(!tx.is_signed());
            assert_eq!(&tx.result()[..], b"the result");
            assert!(matches!(
                tx.submit().await.unwrap_err(),
                Error::NotSigned("transaction")
            ));
            let signature = me.signer.sign_digest(&tx.digest()).unwrap();
            let signed_tx = gateway
                .new_signed_transaction(&tx.bytes(), signature)
                .unwrap();
            assert!(signed_tx.is_signed());
            assert_eq!(signed_tx.envelope().payload, envelope.payload);
            assert_eq!(&signed_tx.result()[..], b"the result");
            assert_eq!(signed_tx.channel(), "ch1");
            verifier
                .verify(
                    &signed_tx.envelope().payload,
                    &signed_tx.envelope().signature,
                )
                .unwrap();

            // Commit status request.
            let commit = Commit::new(
                gateway.clone(),
                "ch1",
                signed.transaction_id(),
                Duration::from_secs(1),
            )
            .unwrap();
            assert!(!commit.is_signed());
            let request = SignedCommitStatusRequest::decode(commit.bytes().as_slice())
                .unwrap()
                .request;
            let signature = me.signer.sign_digest(&commit.digest()).unwrap();
            let signed_commit = gateway
                .new_signed_commit(&commit.bytes(), signature)
                .unwrap();
            assert!(signed_commit.is_signed());
            assert_eq!(signed_commit.transaction_id(), signed.transaction_id());
            let s = SignedCommitStatusRequest::decode(signed_commit.bytes().as_slice()).unwrap();
            assert_eq!(s.request, request);
            verifier.verify(&s.request, &s.signature).unwrap();

            // Chaincode events request (start block and checkpoint survive the round trip).
            let events = network
                .chaincode_events("cc")
                .checkpoint(crate::gateway::Checkpoint::after_transaction(7, "t7"))
                .build()
                .unwrap();
            assert!(!events.is_signed());
            let signature = me.signer.sign_digest(&events.digest()).unwrap();
            let signed_events = gateway
                .new_signed_chaincode_events_request(&events.bytes(), signature)
                .unwrap();
            assert!(signed_events.is_signed());
            assert_eq!(signed_events.chaincode(), "cc");
            let s = fabric_protos::gateway::SignedChaincodeEventsRequest::decode(
                signed_events.bytes().as_slice(),
            )
            .unwrap();
            verifier.verify(&s.request, &s.signature).unwrap();
            let r = fabric_protos::gateway::ChaincodeEventsRequest::decode(s.request).unwrap();
            assert_eq!(r.after_transaction_id, "t7");
            assert_eq!(r.identity, me.serialized());

            // Block events requests, each kind.
            let blocks = network.block_events().start_block(3).build().unwrap();
            let signature = me.signer.sign_digest(&blocks.digest()).unwrap();
            let signed_blocks = gateway
                .new_signed_block_events_request(&blocks.bytes(), signature)
                .unwrap();
            assert!(signed_blocks.is_signed());
            assert_eq!(signed_blocks.channel(), "ch1");
            let env =
                fabric_protos::common::Envelope::decode(signed_blocks.bytes().as_slice()).unwrap();
            verifier.verify(&env.payload, &env.signature).unwrap();
            let filtered = network.filtered_block_events().build().unwrap();
            let signature = me.signer.sign_digest(&filtered.digest()).unwrap();
            assert!(
                gateway
                    .new_signed_filtered_block_events_request(&filtered.bytes(), signature)
                    .unwrap()
                    .is_signed()
            );
            let pvt = network.block_and_private_data_events().build().unwrap();
            let signature = me.signer.sign_digest(&pvt.digest()).unwrap();
            assert!(
                gateway
                    .new_signed_block_and_private_data_events_request(&pvt.bytes(), signature)
                    .unwrap()
                    .is_signed()
            );
            // A chaincode events request is not a block events request.
            assert!(
                gateway
                    .new_signed_block_events_request(&events.bytes(), Bytes::from_static(b"x"))
                    .is_err()
            );
        }
    }

    /// An HSM/KMS-style signer: only `sign_digest` is implemented; it sees digests, never keys.
    #[derive(Debug)]
    struct Remote {
        inner: Arc<dyn Signer>,
        seen: std::sync::Mutex<Vec<Vec<u8>>>,
    }

    impl Signer for Remote {
        fn key_algorithm(&self) -> crate::crypto::KeyAlgorithm {
            self.inner.key_algorithm()
        }
        fn sign_digest(&self, digest: &[u8]) -> Result<Vec<u8>> {
            self.seen.lock().unwrap().push(digest.to_vec());
            self.inner.sign_digest(digest)
        }
    }

    #[tokio::test]
    async fn an_external_signer_plugs_in() {
        let me = identity(&rcgen::PKCS_ECDSA_P256_SHA256);
        let remote = Arc::new(Remote {
            inner: me.signer.clone(),
            seen: Default::default(),
        });
        let gateway = Gateway::builder(connection(), me.identity.clone())
            .signer(remote.clone())
            .build();
        assert_eq!(gateway.hash(), HashAlgorithm::Sha256);
        let proposal = gateway
            .network("ch1")
            .contract("cc")
            .new_proposal("F")
            .build()
            .unwrap();
        let sp = proposal.signed_proposal().unwrap();
        assert_eq!(
            remote.seen.lock().unwrap().as_slice(),
            [sha256(&sp.proposal_bytes).to_vec()]
        );
        me.identity
            .certificate()
            .public_key()
            .unwrap()
            .verifier()
            .unwrap()
            .verify(&sp.proposal_bytes, &sp.signature)
            .unwrap();
    }

    #[tokio::test]
    async fn a_gateway_with_a_signer_signs_everything() {
        let me = identity(&rcgen::PKCS_ECDSA_P256_SHA256);
        let gateway = Gateway::connect(connection(), &me);
        assert!(gateway.has_signer());
        let network = gateway.network("ch1");
        let proposal = network.contract("cc").new_proposal("F").build().unwrap();
        assert!(proposal.is_signed());
        let envelope = endorsed_envelope(&me, &proposal);
        let tx = Transaction::new(
            gateway.clone(),
            proposal.transaction_id(),
            envelope,
            gateway.deadlines(),
        )
        .unwrap();
        assert!(tx.is_signed());
        // The prepared transaction must belong to the proposal.
        let other = network.contract("cc").new_proposal("F").build().unwrap();
        assert!(
            Transaction::new(
                gateway.clone(),
                other.transaction_id(),
                tx.envelope().clone(),
                gateway.deadlines()
            )
            .is_err()
        );
        assert!(network.chaincode_events("cc").build().unwrap().is_signed());
        assert!(network.block_events().build().unwrap().is_signed());
    }
}
