// Drives a Fabric network's Gateway with the official @hyperledger/fabric-gateway client and
// reports what an application sees: results, commit statuses, errors (class, gRPC code, message,
// ErrorDetails), chaincode events (live, replayed, resumed from a checkpoint) and block events
// (full, filtered, with private data). It decides nothing: the Rust test
// (tests/interop/gateway.rs) asserts on the report.
//
// The chaincode must serve the asset-transfer-basic contract (default) and the `Interop` contract
// (SetValue emits ValueSet, PutPrivate/GetPrivate with the transient field `value`), under an
// endorsement policy needing two of the three organisations given, with `collection` readable by
// the first two only.
//
// stdin: {"chaincode", "collection", "secret", "timeoutMs",
//         "orgs": {"a": {"connection": "<connection file>", "identity": "<user name>"},
//                  "b": {...}, "c": {...}}}
//   a, b: members of the collection (a is the gateway used for most steps); c: not a member.
//   A connection file is the devnet's connections/<MSP>.json (gateway address, TLS root, server
//   name, identities with their MSP directories).
// stdout: {"steps": {<name>: <observation>}}; an observation that threw unexpectedly is
//   {"unexpected": <error>}. Exit code 0 unless the input is unusable or the watchdog fired.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as crypto from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { checkpointers, connect, hash, signers } from '@hyperledger/fabric-gateway';
import { common, gateway as gwproto, ledger, msp, peer } from '@hyperledger/fabric-protos';

const input = JSON.parse(readFileSync(0, 'utf8'));
const timeoutMs = input.timeoutMs ?? 60000;
const cc = input.chaincode;
const collection = input.collection;
const report = { chaincode: cc, steps: {} };

function print() {
  process.stdout.write(JSON.stringify(report, (_, v) => (typeof v === 'bigint' ? Number(v) : v)));
}
// The whole run is bounded: print what was seen and leave.
const watchdog = setTimeout(() => {
  report.watchdog = `the client did not finish within ${timeoutMs} ms`;
  print();
  process.exit(2);
}, timeoutMs);

// ------------------------------------------------------------------------------------ helpers

const text = (bytes) => Buffer.from(bytes).toString('utf8');

function describe(err) {
  const out = { name: err?.name, message: err?.message };
  for (const k of ['code', 'transactionId']) {
    if (err?.[k] !== undefined) out[k] = err[k];
  }
  if (Array.isArray(err?.details)) {
    out.details = err.details.map((d) => ({ address: d.address, mspId: d.mspId, message: d.message }));
  }
  return out;
}

async function step(name, fn) {
  try {
    report.steps[name] = await fn();
  } catch (err) {
    report.steps[name] = { unexpected: describe(err), stack: err?.stack };
  }
}

// Runs `fn`, which should fail: its error, or what it returned.
async function failure(fn) {
  try {
    return { succeeded: await fn() };
  } catch (err) {
    return { error: describe(err) };
  }
}

const statusOf = (s) => ({ txid: s.transactionId, code: s.code, successful: s.successful, block: s.blockNumber });

function user(profile, name) {
  const id = profile.identities.find((i) => i.name === name);
  if (!id) throw new Error(`no identity ${name} in the connection file of ${profile.msp_id}`);
  const certDir = join(id.msp_dir, 'signcerts');
  const keyDir = join(id.msp_dir, 'keystore');
  return {
    mspId: profile.msp_id,
    cert: readFileSync(join(certDir, readdirSync(certDir)[0])),
    key: crypto.createPrivateKey(readFileSync(join(keyDir, readdirSync(keyDir)[0]))),
    tlsCert: id.tls_cert,
    tlsKey: id.tls_key,
  };
}

// One organisation's gateway, from its connection file.
function open(org, extra = {}) {
  const profile = JSON.parse(readFileSync(org.connection, 'utf8'));
  const me = user(profile, org.identity);
  let client = org.client;
  if (!client) {
    const root = readFileSync(profile.tls_root_cert);
    const credentials = !profile.tls
      ? grpc.credentials.createInsecure()
      : profile.mutual_tls
        ? grpc.credentials.createSsl(root, readFileSync(me.tlsKey), readFileSync(me.tlsCert))
        : grpc.credentials.createSsl(root);
    client = new grpc.Client(profile.gateway_address, credentials, {
      'grpc.ssl_target_name_override': profile.server_name,
    });
  }
  const gateway = connect({
    client,
    identity: { mspId: me.mspId, credentials: me.cert },
    signer: signers.newPrivateKeySigner(me.key),
    hash: hash.sha256,
    ...extra,
  });
  const network = gateway.getNetwork(profile.channel);
  return {
    msp: me.mspId,
    channel: profile.channel,
    address: profile.gateway_address,
    me,
    client,
    gateway,
    network,
    assets: network.getContract(cc),
    interop: network.getContract(cc, 'Interop'),
  };
}

// The MSP IDs of the endorsements in a prepared transaction (`Transaction.getBytes()`).
function endorsers(preparedBytes) {
  const prepared = gwproto.PreparedTransaction.deserializeBinary(preparedBytes);
  const payload = common.Payload.deserializeBinary(prepared.getEnvelope().getPayload_asU8());
  const tx = peer.Transaction.deserializeBinary(payload.getData_asU8());
  const cap = peer.ChaincodeActionPayload.deserializeBinary(tx.getActionsList()[0].getPayload_asU8());
  return cap
    .getAction()
    .getEndorsementsList()
    .map((e) => msp.SerializedIdentity.deserializeBinary(e.getEndorser_asU8()).getMspid());
}

function event(e) {
  return {
    block: e.blockNumber,
    txid: e.transactionId,
    chaincode: e.chaincodeName,
    name: e.eventName,
    payload: text(e.payload),
  };
}

const TIMEOUT = Symbol('timeout');
// Reads `iterable` until `stop(item, items)` says so, it ends, or `ms` pass; then closes it.
async function readUntil(iterable, stop, ms = 20000) {
  const items = [];
  const it = iterable[Symbol.asyncIterator]();
  const deadline = Date.now() + ms;
  let timer;
  try {
    for (;;) {
      const left = deadline - Date.now();
      const r = await Promise.race([
        it.next(),
        new Promise((resolve) => {
          timer = setTimeout(() => resolve(TIMEOUT), Math.max(left, 0));
        }),
      ]);
      clearTimeout(timer);
      if (r === TIMEOUT) return { items, timedOut: true };
      if (r.done) return { items, ended: true };
      items.push(r.value);
      if (await stop(r.value, items)) return { items };
    }
  } catch (err) {
    return { items, error: describe(err) };
  } finally {
    clearTimeout(timer);
    iterable.close();
  }
}

function blockSummary(block) {
  const envelopes = block.getData().getDataList_asU8();
  const filter = block.getMetadata().getMetadataList_asU8()[common.BlockMetadataIndex.TRANSACTIONS_FILTER];
  return {
    number: block.getHeader().getNumber(),
    txids: envelopes.map((bytes) => {
      const payload = common.Payload.deserializeBinary(common.Envelope.deserializeBinary(bytes).getPayload_asU8());
      return common.ChannelHeader.deserializeBinary(payload.getHeader().getChannelHeader_asU8()).getTxId();
    }),
    codes: Array.from(filter ?? []),
  };
}

// Holds a Submit call until `gate` settles (a gRPC interceptor).
function holdUntil(gate) {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start(metadata, listener, next) {
        gate.then(
          () => next(metadata, listener),
          () => next(metadata, listener),
        );
      },
    });
}

// ------------------------------------------------------------------------------------- the run

const a = open(input.orgs.a);
const b = open(input.orgs.b);
const c = open(input.orgs.c);
const [A, B, C] = [a.msp, b.msp, c.msp];
report.orgs = { a: { msp: A, address: a.address }, b: { msp: B, address: b.address }, c: { msp: C, address: c.address } };
const note = statusOf;

// Chaincode events from the next commit (the default start), collected while the run goes on.
const live = { events: [] };
let liveSeen = () => {};
const liveStream = await a.network.getChaincodeEvents(cc);
const liveDone = (async () => {
  try {
    for await (const e of liveStream) {
      live.events.push(event(e));
      liveSeen();
    }
  } catch (err) {
    live.end = describe(err);
  }
  liveSeen();
})();

await step('submitTransaction', async () => {
  const init = await a.assets.submitTransaction('InitLedger');
  const created = await a.assets.submitTransaction('CreateAsset', 'asset101', 'teal', '7', 'Tomoko', '900');
  return { init: text(init), created: text(created) };
});

await step('evaluateTransaction', async () => ({
  own: text(await a.assets.evaluateTransaction('ReadAsset', 'asset1')),
  // Another organisation's gateway reads what was just committed.
  otherOrg: text(await c.assets.evaluateTransaction('ReadAsset', 'asset101')),
}));

await step('submitAsync', async () => {
  const submitted = await a.assets.submitAsync('TransferAsset', { arguments: ['asset101', 'Min-jun'] });
  // The result is there before the commit.
  const result = text(submitted.getResult());
  const txid = submitted.getTransactionId();
  const status = note(await submitted.getStatus());
  const after = JSON.parse(text(await a.assets.evaluateTransaction('ReadAsset', 'asset101')));
  return { result, txid, status, ownerAfter: after.Owner };
});

await step('endorsingOrganizations', async () => {
  // Explicit organisations: exactly those endorse.
  const explicit = a.assets.newProposal('CreateAsset', {
    arguments: ['asset102', 'teal', '3', 'Brad', '100'],
    endorsingOrganizations: [B, C],
  });
  const tx = await explicit.endorse();
  const explicitEndorsers = endorsers(tx.getBytes());
  const explicitStatus = note(await (await tx.submit()).getStatus());
  // Left to the gateway of an organisation outside the collection: it plans the endorsers.
  const planned = await c.assets.newProposal('CreateAsset', { arguments: ['asset103', 'teal', '4', 'Max', '200'] }).endorse();
  const plannedEndorsers = endorsers(planned.getBytes());
  const plannedStatus = note(await (await planned.submit()).getStatus());
  return {
    explicit: { endorsers: explicitEndorsers, status: explicitStatus },
    planned: { endorsers: plannedEndorsers, status: plannedStatus },
  };
});

await step('chaincodeErrors', async () => {
  const proposal = a.assets.newProposal('ReadAsset', { arguments: ['no-such-asset'] });
  return {
    evaluate: await failure(() => proposal.evaluate()),
    evaluateTxid: proposal.getTransactionId(),
    submit: await failure(() => a.assets.submitTransaction('CreateAsset', 'asset1', 'blue', '5', 'Tomoko', '300')),
    unknownOrg: await failure(() =>
      a.assets.submit('CreateAsset', { arguments: ['asset105', 'red', '1', 'Ann', '10'], endorsingOrganizations: ['NoSuchMSP'] }),
    ),
    missingTransient: await failure(() => a.interop.submit('PutPrivate', { arguments: [collection, 'no-value'] })),
  };
});

await step('endorsementPolicyFailure', async () => {
  const error = await failure(() =>
    a.assets.submit('CreateAsset', { arguments: ['asset104', 'red', '1', 'Ann', '10'], endorsingOrganizations: [A] }),
  );
  return { error, readAfter: await failure(() => a.assets.evaluateTransaction('ReadAsset', 'asset104')) };
});

await step('mvccSameBlock', async () => {
  // Both endorsed on the same state, then both submitted: the second one to be ordered loses.
  const t1 = await a.assets.newProposal('TransferAsset', { arguments: ['asset3', 'Ann'] }).endorse();
  const t2 = await a.assets.newProposal('TransferAsset', { arguments: ['asset3', 'Ben'] }).endorse();
  const s1 = await t1.submit();
  const s2 = await t2.submit();
  const first = note(await s1.getStatus());
  const second = note(await s2.getStatus());
  const owner = JSON.parse(text(await a.assets.evaluateTransaction('ReadAsset', 'asset3'))).Owner;
  return { first, second, owner };
});

await step('mvccCommitError', async () => {
  // contract.submit() for the loser: its Submit is held (after its endorsement) until a
  // conflicting transfer has committed, so it is invalidated whatever the block timing.
  let winner;
  let held = false;
  const loserGateway = open(
    { ...input.orgs.a, client: a.client },
    {
      submitOptions: () => {
        if (held) return {};
        held = true;
        winner = (async () => {
          const s = await a.assets.submitAsync('TransferAsset', { arguments: ['asset4', 'Winner'] });
          return note(await s.getStatus());
        })();
        return { interceptors: [holdUntil(winner)] };
      },
    },
  );
  try {
    const error = await failure(() => loserGateway.assets.submit('TransferAsset', { arguments: ['asset4', 'Loser'] }));
    const owner = JSON.parse(text(await a.assets.evaluateTransaction('ReadAsset', 'asset4'))).Owner;
    return { error, winner: winner ? await winner : null, owner };
  } finally {
    loserGateway.gateway.close();
  }
});

await step('offlineSigning', async () => {
  // Offline signing: the gateway has no signer; every message is signed here, with the right
  // key or with another organisation's (the signatures then do not match the creator).
  const offline = connect({ client: a.client, identity: { mspId: A, credentials: a.me.cert }, hash: hash.sha256 });
  const own = signers.newPrivateKeySigner(a.me.key);
  const other = signers.newPrivateKeySigner(c.me.key);
  const contract = offline.getNetwork(a.channel).getContract(cc);
  const endorsed = async (args) => {
    const unsigned = contract.newProposal('CreateAsset', { arguments: args });
    const proposal = offline.newSignedProposal(unsigned.getBytes(), await own(unsigned.getDigest()));
    return proposal.endorse();
  };
  try {
    const t1 = await endorsed(['asset106', 'olive', '2', 'Ann', '20']);
    const submitted = await offline.newSignedTransaction(t1.getBytes(), await own(t1.getDigest())).submit();
    // Commit status asked with a signature the creator did not make: refused.
    const forgedCommit = offline.newSignedCommit(submitted.getBytes(), await other(submitted.getDigest()));
    const commitStatus = await failure(() => forgedCommit.getStatus());
    const signedCommit = offline.newSignedCommit(submitted.getBytes(), await own(submitted.getDigest()));
    const status = statusOf(await signedCommit.getStatus());
    // A transaction signed by another key: the ordering service refuses it.
    const t2 = await endorsed(['asset107', 'olive', '2', 'Ann', '20']);
    const forged = offline.newSignedTransaction(t2.getBytes(), await other(t2.getDigest()));
    const submit = await failure(() => forged.submit());
    return { txid: t1.getTransactionId(), commitStatus, status, submit, forgedTxid: t2.getTransactionId() };
  } finally {
    offline.close();
  }
});

const valueSets = [];
await step('chaincodeEventsSubmitted', async () => {
  const set = async (key, value, options = {}) => {
    const s = await a.interop.submitAsync('SetValue', { arguments: [key, value], ...options });
    const status = note(await s.getStatus());
    const r = { key, value, result: text(s.getResult()), ...status };
    valueSets.push(r);
    return r;
  };
  const first = await set('key1', 'v1');
  // Invalid (one organisation): no event may be delivered for it.
  const rejected = await failure(() =>
    a.interop.submit('SetValue', { arguments: ['key1', 'rejected'], endorsingOrganizations: [A] }),
  );
  // Two transactions in one block (submitted together), so a checkpoint can fall between them.
  const pairs = [];
  for (let attempt = 0; attempt < 3; attempt++) {
    const keys = [`key2-${attempt}`, `key3-${attempt}`];
    const txs = [];
    for (const k of keys) txs.push(await a.interop.newProposal('SetValue', { arguments: [k, `${k}-value`] }).endorse());
    const submitted = await Promise.all(txs.map((t) => t.submit()));
    const statuses = await Promise.all(submitted.map((s) => s.getStatus()));
    statuses.forEach((s, i) => {
      note(s);
      valueSets.push({ key: keys[i], value: `${keys[i]}-value`, result: text(txs[i].getResult()), ...statusOf(s) });
    });
    pairs.push(statuses.map(statusOf));
    if (statuses[0].blockNumber === statuses[1].blockNumber) break;
  }
  const last = await set('key1', 'v4');
  return { first, rejected, pairs, last };
});

await step('chaincodeEventsReplayed', async () => {
  const valid = valueSets.filter((v) => v.successful);
  const firstBlock = valueSets[0].block;
  const lastTxid = valid[valid.length - 1].txid;
  const pairBlock = valid.find((v) => valid.filter((w) => w.block === v.block).length > 1)?.block;
  // From a block: every event since.
  const replay = await readUntil(
    await a.network.getChaincodeEvents(cc, { startBlock: firstBlock }),
    (e) => e.transactionId === lastTxid,
  );
  // Read up to the first event of the block holding two, checkpointing each; then resume.
  const checkpointer = checkpointers.inMemory();
  const before = await readUntil(await a.network.getChaincodeEvents(cc, { startBlock: firstBlock }), async (e) => {
    await checkpointer.checkpointChaincodeEvent(e);
    return pairBlock === undefined ? e.transactionId === lastTxid : e.blockNumber === pairBlock;
  });
  const checkpoint = { block: checkpointer.getBlockNumber(), txid: checkpointer.getTransactionId() };
  const resumed = await readUntil(
    await a.network.getChaincodeEvents(cc, { checkpoint: checkpointer }),
    (e) => e.transactionId === lastTxid,
  );
  return {
    valueSets,
    pairBlock,
    replay: { ...replay, items: replay.items.map(event) },
    before: { ...before, items: before.items.map(event) },
    checkpoint,
    resumed: { ...resumed, items: resumed.items.map(event) },
  };
});

await step('privateData', async () => {
  const proposal = a.interop.newProposal('PutPrivate', {
    arguments: [collection, 'note1'],
    transientData: { value: Buffer.from(input.secret) },
  });
  const tx = await proposal.endorse();
  const endorsedBy = endorsers(tx.getBytes());
  const preparedHasSecret = Buffer.from(tx.getBytes()).includes(Buffer.from(input.secret));
  const status = note(await (await tx.submit()).getStatus());
  const member = text(await b.interop.evaluateTransaction('GetPrivate', collection, 'note1'));
  const other = c.interop.newProposal('GetPrivate', { arguments: [collection, 'note1'] });
  const nonMember = await failure(() => other.evaluate());
  // Full block (no private data in it) and the block with the private data of a member.
  const full = await readUntil(await a.network.getBlockEvents({ startBlock: status.block }), () => true);
  const fullBlock = full.items[0];
  const withPrivate = await readUntil(
    await a.network.getBlockAndPrivateDataEvents({ startBlock: status.block }),
    () => true,
  );
  const bp = withPrivate.items[0];
  const privateData = [];
  if (bp) {
    const txids = blockSummary(bp.getBlock()).txids;
    bp.getPrivateDataMapMap().forEach((set, index) => {
      for (const ns of set.getNsPvtRwsetList()) {
        for (const coll of ns.getCollectionPvtRwsetList()) {
          const kv = ledger.rwset.kvrwset.KVRWSet.deserializeBinary(coll.getRwset_asU8());
          privateData.push({
            txid: txids[index],
            namespace: ns.getNamespace(),
            collection: coll.getCollectionName(),
            writes: kv.getWritesList().map((w) => ({ key: w.getKey(), value: text(w.getValue_asU8()) })),
          });
        }
      }
    });
  }
  return {
    txid: proposal.getTransactionId(),
    endorsers: endorsedBy,
    preparedHasSecret,
    status,
    member,
    nonMember,
    nonMemberTxid: other.getTransactionId(),
    block: fullBlock ? blockSummary(fullBlock) : full,
    blockHasSecret: fullBlock ? Buffer.from(fullBlock.serializeBinary()).includes(Buffer.from(input.secret)) : null,
    privateData,
  };
});

await step('blockEvents', async () => {
  const mvcc = report.steps.mvccSameBlock;
  const start = BigInt(mvcc.first.block);
  // Full blocks from the block of the MVCC pair; checkpoint it, then resume after it.
  const checkpointer = checkpointers.inMemory();
  const first = await readUntil(await a.network.getBlockEvents({ startBlock: start }), async (blk) => {
    await checkpointer.checkpointBlock(BigInt(blk.getHeader().getNumber()));
    return true;
  });
  const resumed = await readUntil(await a.network.getBlockEvents({ checkpoint: checkpointer }), () => true);
  // Filtered blocks: the block of the event pair.
  const pairBlock = report.steps.chaincodeEventsReplayed.pairBlock;
  const filtered = await readUntil(
    await a.network.getFilteredBlockEvents({ startBlock: BigInt(pairBlock) }),
    () => true,
  );
  const fb = filtered.items[0];
  return {
    first: first.items[0] ? blockSummary(first.items[0]) : first,
    checkpoint: checkpointer.getBlockNumber(),
    resumed: resumed.items[0] ? blockSummary(resumed.items[0]) : resumed,
    filtered: fb
      ? {
          number: fb.getNumber(),
          channel: fb.getChannelId(),
          transactions: fb.getFilteredTransactionsList().map((t) => ({
            txid: t.getTxid(),
            code: t.getTxValidationCode(),
            events: (t.getTransactionActions()?.getChaincodeActionsList() ?? []).map((a) => {
              const e = a.getChaincodeEvent();
              return { chaincode: e.getChaincodeId(), txid: e.getTxId(), name: e.getEventName(), payloadLength: e.getPayload_asU8().length };
            }),
          })),
        }
      : filtered,
  };
});

// The live stream saw every event of the run.
await step('chaincodeEventsLive', async () => {
  const valid = valueSets.filter((v) => v.successful);
  const lastTxid = valid[valid.length - 1].txid;
  let timer;
  await new Promise((resolve) => {
    liveSeen = () => {
      if (live.end || live.events.some((e) => e.txid === lastTxid)) resolve();
    };
    liveSeen();
    timer = setTimeout(() => {
      live.timedOut = true;
      resolve();
    }, 20000);
  });
  clearTimeout(timer);
  liveStream.close();
  await liveDone;
  return live;
});

a.gateway.close();
b.gateway.close();
c.gateway.close();
for (const x of [a, b, c]) x.client.close();
clearTimeout(watchdog);
print();
