'use strict';

// The Interop contract: what the Gateway interop test needs beyond asset-transfer-basic — a
// chaincode event per write, and private data written from the transient map. Its Rust twin is
// tests/examples/interop_chaincode/interop.rs; both give the same results, errors and events
// byte for byte.

const { Contract } = require('fabric-contract-api');

const VALUE_SET = 'ValueSet';
const TRANSIENT_VALUE = 'value';

class Interop extends Contract {
    constructor() {
        super('Interop');
    }

    // Writes `value` under `key` (after reading it, so concurrent writers conflict), emits
    // ValueSet with {"key":…,"value":…}, and returns the previous value (empty if none).
    async SetValue(ctx, key, value) {
        const previous = await ctx.stub.getState(key);
        await ctx.stub.putState(key, Buffer.from(value));
        ctx.stub.setEvent(VALUE_SET, Buffer.from(JSON.stringify({ key, value })));
        return previous && previous.length > 0 ? previous.toString() : '';
    }

    // Writes the transient field `value` under `key` in `collection`.
    async PutPrivate(ctx, collection, key) {
        const value = ctx.stub.getTransient().get(TRANSIENT_VALUE);
        if (!value || value.length === 0) {
            throw new Error(`The transient field "${TRANSIENT_VALUE}" is required`);
        }
        await ctx.stub.putPrivateData(collection, key, value);
    }

    // The value of `key` in `collection`.
    async GetPrivate(ctx, collection, key) {
        const value = await ctx.stub.getPrivateData(collection, key);
        if (!value || value.length === 0) {
            throw new Error(`The private value ${key} does not exist in ${collection}`);
        }
        return Buffer.from(value).toString();
    }
}

module.exports = Interop;
