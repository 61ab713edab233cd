'use strict';

// The asset-transfer-basic functions with the behaviour (and the bytes) of Fabric's JavaScript
// sample, so that the differential test can hold the Rust shim's example to them. Values are
// written with sorted keys; results are returned as the sample returns them.

const canonical = require('json-stringify-deterministic');
const sortKeys = require('sort-keys-recursive');
const { Contract } = require('fabric-contract-api');

const SEED = [
    ['asset1', 'blue', 5, 'Tomoko', 300],
    ['asset2', 'red', 5, 'Brad', 400],
    ['asset3', 'green', 10, 'Jin Soo', 500],
    ['asset4', 'yellow', 10, 'Max', 600],
    ['asset5', 'black', 15, 'Adriana', 700],
    ['asset6', 'white', 15, 'Michel', 800],
];

function stored(asset) {
    return Buffer.from(canonical(sortKeys(asset)));
}

class AssetTransfer extends Contract {
    async InitLedger(ctx) {
        for (const [id, color, size, owner, value] of SEED) {
            const asset = { ID: id, Color: color, Size: size, Owner: owner, AppraisedValue: value, docType: 'asset' };
            await ctx.stub.putState(id, stored(asset));
        }
    }

    async CreateAsset(ctx, id, color, size, owner, appraisedValue) {
        if (await this.AssetExists(ctx, id)) {
            throw new Error(`The asset ${id} already exists`);
        }
        // Insertion order matters for the returned JSON (the stored form is sorted).
        const asset = { ID: id, Color: color, Size: Number(size), Owner: owner, AppraisedValue: Number(appraisedValue) };
        await ctx.stub.putState(id, stored(asset));
        return JSON.stringify(asset);
    }

    async ReadAsset(ctx, id) {
        const bytes = await ctx.stub.getState(id);
        if (!bytes || bytes.length === 0) {
            throw new Error(`The asset ${id} does not exist`);
        }
        return bytes.toString();
    }

    async UpdateAsset(ctx, id, color, size, owner, appraisedValue) {
        if (!(await this.AssetExists(ctx, id))) {
            throw new Error(`The asset ${id} does not exist`);
        }
        // The sample stores the updated size and value as the strings it was given.
        const asset = { ID: id, Color: color, Size: size, Owner: owner, AppraisedValue: appraisedValue };
        return ctx.stub.putState(id, stored(asset));
    }

    async DeleteAsset(ctx, id) {
        if (!(await this.AssetExists(ctx, id))) {
            throw new Error(`The asset ${id} does not exist`);
        }
        return ctx.stub.deleteState(id);
    }

    async AssetExists(ctx, id) {
        const bytes = await ctx.stub.getState(id);
        return bytes && bytes.length > 0;
    }

    async TransferAsset(ctx, id, newOwner) {
        const asset = JSON.parse(await this.ReadAsset(ctx, id));
        const oldOwner = asset.Owner;
        asset.Owner = newOwner;
        await ctx.stub.putState(id, stored(asset));
        return oldOwner;
    }

    async GetAllAssets(ctx) {
        const all = [];
        const iterator = await ctx.stub.getStateByRange('', '');
        for (let r = await iterator.next(); !r.done; r = await iterator.next()) {
            const text = Buffer.from(r.value.value.toString()).toString('utf8');
            let record;
            try {
                record = JSON.parse(text);
            } catch (err) {
                record = text;
            }
            all.push(record);
        }
        return JSON.stringify(all);
    }
}

module.exports = AssetTransfer;
