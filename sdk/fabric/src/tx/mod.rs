//! Proposals, transactions, blocks and composite keys. (Being built: see issue 2.)
