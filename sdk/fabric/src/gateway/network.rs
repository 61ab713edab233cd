//! [`Network`]: one channel seen through a [`Gateway`]: its contracts and its events.

use std::sync::Arc;

use fabric_protos::common::Block;
use fabric_protos::protos::{BlockAndPrivateData, FilteredBlock};

use super::block_events::{BlockEventsBuilder, BlockItem};
use super::chaincode_events::ChaincodeEventsBuilder;
use super::{Commit, Contract, Gateway};
use crate::Result;

/// A channel.
#[derive(Debug, Clone)]
pub struct Network {
    gateway: Gateway,
    name: Arc<str>,
}

impl Network {
    pub(crate) fn new(gateway: Gateway, name: String) -> Self {
        Network {
            gateway,
            name: name.into(),
        }
    }

    /// The channel name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The gateway.
    pub fn gateway(&self) -> &Gateway {
        &self.gateway
    }

    /// The chaincode `chaincode` (its default contract).
    pub fn contract(&self, chaincode: impl Into<String>) -> Contract {
        Contract::new(self.clone(), chaincode.into(), None)
    }

    /// The contract `contract_name` of chaincode `chaincode`: transaction `F` is sent as
    /// `contract_name:F`.
    pub fn contract_with_name(
        &self,
        chaincode: impl Into<String>,
        contract_name: impl Into<String>,
    ) -> Contract {
        Contract::new(self.clone(), chaincode.into(), Some(contract_name.into()))
    }

    /// The commit of a transaction submitted earlier (by this or another process, before a
    /// restart...), to wait for its status. Signed when the gateway has a signer.
    pub fn commit(&self, transaction_id: &str) -> Result<Commit> {
        Commit::new(
            self.gateway.clone(),
            &self.name,
            transaction_id,
            self.gateway.deadlines().commit_status,
        )
    }

    /// Chaincode events of `chaincode` (Gateway `ChaincodeEvents`): from the next commit unless
    /// a start block or a checkpoint is set.
    pub fn chaincode_events(&self, chaincode: impl Into<String>) -> ChaincodeEventsBuilder {
        ChaincodeEventsBuilder::new(self.clone(), chaincode.into())
    }

    /// Full blocks (peer `Deliver`), from the next commit unless a start block or a checkpoint
    /// is set.
    pub fn block_events(&self) -> BlockEventsBuilder<Block> {
        self.block_events_of()
    }

    /// Filtered blocks (peer `DeliverFiltered`): transaction ids, validation codes, chaincode
    /// event names without payloads.
    pub fn filtered_block_events(&self) -> BlockEventsBuilder<FilteredBlock> {
        self.block_events_of()
    }

    /// Blocks with the private data this identity's organisation may read (peer
    /// `DeliverWithPrivateData`).
    pub fn block_and_private_data_events(&self) -> BlockEventsBuilder<BlockAndPrivateData> {
        self.block_events_of()
    }

    /// Generic form of the block events methods.
    pub fn block_events_of<T: BlockItem>(&self) -> BlockEventsBuilder<T> {
        BlockEventsBuilder::new(self.clone())
    }
}
