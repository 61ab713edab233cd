'use strict';

// Entry point the Node fabric-shim loads: the contracts this chaincode serves. AssetTransfer
// (first, so the default) is what the differential test compares; Interop is used by the
// Gateway interop test.
const AssetTransfer = require('./lib/asset-transfer');
const Interop = require('./lib/interop');

module.exports.AssetTransfer = AssetTransfer;
module.exports.Interop = Interop;
module.exports.contracts = [AssetTransfer, Interop];
