'use strict';

// Entry point the Node fabric-shim loads: the contracts this chaincode serves.
const AssetTransfer = require('./lib/asset-transfer');

module.exports.AssetTransfer = AssetTransfer;
module.exports.contracts = [AssetTransfer];
