// Parity of MedLedger's Rust Gateway client with the official @hyperledger/fabric-gateway client.
//
// 1. Builds, OFFLINE and for the same identity and inputs, Node's proposal (ProposedTransaction),
//    chaincode events request and block events requests (full, filtered, with private data), signs
//    them with Node's private-key signer, and describes each decoded field with
//    @hyperledger/fabric-protos, so the Rust test can compare them with its own.
// 2. Decodes every signed message the Rust client produced (ProposedTransaction,
//    PreparedTransaction, SignedCommitStatusRequest, SignedChaincodeEventsRequest, the three
//    block events Envelopes), describes them the same way, and verifies each signature with
//    Node's crypto (ECDSA SHA-256, low-S) against the creator's certificate.
//
// stdin:  {"mspId","certPem","keyPem","channel","chaincode","contractName"?,"function",
//          "argsB64":[..],"transientB64":{k:v},"endorsingOrgs":[..],"startBlock",
//          "rust":{"proposedB64","preparedB64","commitB64","chaincodeEventsB64",
//                  "blockEventsB64","filteredBlockEventsB64","privateBlockEventsB64"}}
// stdout: {"node":{..},"rust":{..},"checks":[..],"ok":true}; exit 1 with "failed" on a failed check.
import { readFileSync } from 'node:fs';
import * as crypto from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { connect, signers } from '@hyperledger/fabric-gateway';
import { common, gateway as gw, msp, orderer, peer } from '@hyperledger/fabric-protos';

const input = JSON.parse(readFileSync(0, 'utf8'));
const report = { checks: [], node: {}, rust: {} };
function check(name, ok, detail) {
  report.checks.push({ name, ok: !!ok, detail });
  if (!ok) {
    report.failed = name;
    process.stdout.write(JSON.stringify(report));
    process.exit(1);
  }
}
const b64 = (u8) => Buffer.from(u8).toString('base64');
const hex = (u8) => Buffer.from(u8).toString('hex');
const fromB64 = (s) => new Uint8Array(Buffer.from(s, 'base64'));
const sha256 = (...parts) => {
  const h = crypto.createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const N256 = 0xffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551n;
function derS(sig) {
  let i = 2;
  if (sig[1] & 0x80) i += sig[1] & 0x7f;
  i += 2 + sig[i + 1];
  const sLen = sig[i + 1];
  return BigInt('0x' + Buffer.from(sig.subarray(i + 2, i + 2 + sLen)).toString('hex'));
}
function verify(serializedIdentity, message, signature, what) {
  const id = msp.SerializedIdentity.deserializeBinary(serializedIdentity);
  const key = new crypto.X509Certificate(Buffer.from(id.getIdBytes_asU8())).publicKey;
  check(`${what}: signature verifies with Node crypto`, crypto.verify('sha256', message, key, signature));
  check(`${what}: signature is low-S`, derS(signature) <= N256 >> 1n);
}
const mapEntries = (m) =>
  Object.fromEntries(m.getEntryList().map(([k, v]) => [k, typeof v === 'string' ? v : b64(v)]));

// --- describers: every field, bytes in base64/hex, nested messages decoded
function describeIdentity(bytes) {
  const id = msp.SerializedIdentity.deserializeBinary(bytes);
  return { mspid: id.getMspid(), idBytesB64: b64(id.getIdBytes_asU8()) };
}
function describeTimestamp(ts) {
  return ts ? { seconds: ts.getSeconds(), nanos: ts.getNanos() } : null;
}
function describeChannelHeader(bytes) {
  const ch = common.ChannelHeader.deserializeBinary(bytes);
  const out = {
    type: ch.getType(),
    version: ch.getVersion(),
    timestamp: describeTimestamp(ch.getTimestamp()),
    channelId: ch.getChannelId(),
    txId: ch.getTxId(),
    epoch: ch.getEpoch(),
    tlsCertHashHex: hex(ch.getTlsCertHash_asU8()),
    extensionB64: b64(ch.getExtension_asU8()),
  };
  if (ch.getType() === common.HeaderType.ENDORSER_TRANSACTION) {
    const ext = peer.ChaincodeHeaderExtension.deserializeBinary(ch.getExtension_asU8());
    const id = ext.getChaincodeId();
    out.extension = { chaincodeId: id ? { name: id.getName(), version: id.getVersion(), path: id.getPath() } : null };
  }
  return out;
}
function describeSignatureHeader(bytes) {
  const sh = common.SignatureHeader.deserializeBinary(bytes);
  return { creator: describeIdentity(sh.getCreator_asU8()), nonceHex: hex(sh.getNonce_asU8()) };
}
function describeProposal(bytes) {
  const proposal = peer.Proposal.deserializeBinary(bytes);
  const header = common.Header.deserializeBinary(proposal.getHeader_asU8());
  const cpp = peer.ChaincodeProposalPayload.deserializeBinary(proposal.getPayload_asU8());
  const cis = peer.ChaincodeInvocationSpec.deserializeBinary(cpp.getInput_asU8());
  const spec = cis.getChaincodeSpec();
  const id = spec.getChaincodeId();
  const ccInput = spec.getInput();
  return {
    header: {
      channelHeader: describeChannelHeader(header.getChannelHeader_asU8()),
      signatureHeader: describeSignatureHeader(header.getSignatureHeader_asU8()),
    },
    payload: {
      input: {
        chaincodeSpec: {
          type: spec.getType(),
          chaincodeId: id ? { name: id.getName(), version: id.getVersion(), path: id.getPath() } : null,
          input: {
            argsB64: ccInput.getArgsList_asU8().map(b64),
            decorations: mapEntries(ccInput.getDecorationsMap()),
            isInit: ccInput.getIsInit(),
          },
          timeout: spec.getTimeout(),
        },
      },
      transientMap: mapEntries(cpp.getTransientmapMap()),
    },
    extensionB64: b64(proposal.getExtension_asU8()),
  };
}
function describeProposed(bytes) {
  const pt = gw.ProposedTransaction.deserializeBinary(bytes);
  const sp = pt.getProposal();
  return {
    transactionId: pt.getTransactionId(),
    endorsingOrganizations: pt.getEndorsingOrganizationsList(),
    proposal: describeProposal(sp.getProposalBytes_asU8()),
  };
}
function describeSeekPosition(pos) {
  if (!pos) return null;
  if (pos.hasSpecified()) return { specified: pos.getSpecified().getNumber() };
  if (pos.hasNextCommit()) return { nextCommit: true };
  if (pos.hasNewest()) return { newest: true };
  if (pos.hasOldest()) return { oldest: true };
  return {};
}
function describeChaincodeEventsRequest(signedBytes) {
  const signed = gw.SignedChaincodeEventsRequest.deserializeBinary(signedBytes);
  const r = gw.ChaincodeEventsRequest.deserializeBinary(signed.getRequest_asU8());
  return {
    channelId: r.getChannelId(),
    chaincodeId: r.getChaincodeId(),
    identity: describeIdentity(r.getIdentity_asU8()),
    startPosition: describeSeekPosition(r.getStartPosition()),
    afterTransactionId: r.getAfterTransactionId(),
  };
}
function describeBlockEventsEnvelope(bytes) {
  const env = common.Envelope.deserializeBinary(bytes);
  const payload = common.Payload.deserializeBinary(env.getPayload_asU8());
  const seek = orderer.SeekInfo.deserializeBinary(payload.getData_asU8());
  return {
    channelHeader: describeChannelHeader(payload.getHeader().getChannelHeader_asU8()),
    signatureHeader: describeSignatureHeader(payload.getHeader().getSignatureHeader_asU8()),
    seekInfo: {
      start: describeSeekPosition(seek.getStart()),
      stop: describeSeekPosition(seek.getStop()),
      behavior: seek.getBehavior(),
      errorResponse: seek.getErrorResponse(),
      contentType: seek.getContentType(),
    },
  };
}

// --- 1. Node's own messages, offline
const client = new grpc.Client('127.0.0.1:9', grpc.credentials.createInsecure());
const gateway = connect({ client, identity: { mspId: input.mspId, credentials: Buffer.from(input.certPem) } });
try {
  const signer = signers.newPrivateKeySigner(crypto.createPrivateKey(input.keyPem));
  const network = gateway.getNetwork(input.channel);
  const contract = input.contractName
    ? network.getContract(input.chaincode, input.contractName)
    : network.getContract(input.chaincode);
  const transientData = Object.fromEntries(
    Object.entries(input.transientB64 ?? {}).map(([k, v]) => [k, fromB64(v)]),
  );
  const unsigned = contract.newProposal(input.function, {
    arguments: (input.argsB64 ?? []).map(fromB64),
    transientData,
    endorsingOrganizations: input.endorsingOrgs,
  });
  const signature = await signer(unsigned.getDigest());
  const signed = gateway.newSignedProposal(unsigned.getBytes(), signature);
  report.node.proposed = describeProposed(signed.getBytes());
  report.node.proposedB64 = b64(signed.getBytes());
  report.node.proposalSignatureB64 = b64(signature);
  report.node.txid = signed.getTransactionId();

  const sign = async (request) => {
    const sig = await signer(request.getDigest());
    return { bytes: request.getBytes(), sig };
  };
  const options = { startBlock: BigInt(input.startBlock) };
  const cc = await sign(network.newChaincodeEventsRequest(input.chaincode, options));
  const ccSigned = gateway.newSignedChaincodeEventsRequest(cc.bytes, cc.sig);
  report.node.chaincodeEvents = describeChaincodeEventsRequest(ccSigned.getBytes());
  report.node.chaincodeEventsB64 = b64(ccSigned.getBytes());
  report.node.chaincodeEventsSignatureB64 = b64(cc.sig);
  for (const [name, make, rebuild] of [
    ['blockEvents', (o) => network.newBlockEventsRequest(o), (b, s) => gateway.newSignedBlockEventsRequest(b, s)],
    ['filteredBlockEvents', (o) => network.newFilteredBlockEventsRequest(o), (b, s) => gateway.newSignedFilteredBlockEventsRequest(b, s)],
    ['privateBlockEvents', (o) => network.newBlockAndPrivateDataEventsRequest(o), (b, s) => gateway.newSignedBlockAndPrivateDataEventsRequest(b, s)],
  ]) {
    const r = await sign(make(options));
    const s = rebuild(r.bytes, r.sig);
    report.node[name] = describeBlockEventsEnvelope(s.getBytes());
    report.node[`${name}B64`] = b64(s.getBytes());
    report.node[`${name}SignatureB64`] = b64(r.sig);
  }
} finally {
  gateway.close();
  client.close();
}

// --- 2. the Rust client's signed messages, decoded and verified here
const rust = input.rust;
{
  const bytes = fromB64(rust.proposedB64);
  const pt = gw.ProposedTransaction.deserializeBinary(bytes);
  const sp = pt.getProposal();
  const d = describeProposed(bytes);
  report.rust.proposed = d;
  const sh = common.SignatureHeader.deserializeBinary(
    common.Header.deserializeBinary(peer.Proposal.deserializeBinary(sp.getProposalBytes_asU8()).getHeader_asU8()).getSignatureHeader_asU8(),
  );
  check('ProposedTransaction: transaction_id = channel header tx_id', pt.getTransactionId() === d.proposal.header.channelHeader.txId);
  check('ProposedTransaction: tx_id = SHA-256(nonce ‖ creator)',
    sha256(sh.getNonce_asU8(), sh.getCreator_asU8()).toString('hex') === pt.getTransactionId());
  verify(sh.getCreator_asU8(), sp.getProposalBytes_asU8(), sp.getSignature_asU8(), 'ProposedTransaction');
}
{
  const pt = gw.PreparedTransaction.deserializeBinary(fromB64(rust.preparedB64));
  const env = pt.getEnvelope();
  const payload = common.Payload.deserializeBinary(env.getPayload_asU8());
  const ch = describeChannelHeader(payload.getHeader().getChannelHeader_asU8());
  const shBytes = payload.getHeader().getSignatureHeader_asU8();
  const tx = peer.Transaction.deserializeBinary(payload.getData_asU8());
  const cap = peer.ChaincodeActionPayload.deserializeBinary(tx.getActionsList()[0].getPayload_asU8());
  const cpp = peer.ChaincodeProposalPayload.deserializeBinary(cap.getChaincodeProposalPayload_asU8());
  report.rust.prepared = {
    transactionId: pt.getTransactionId(),
    channelHeader: ch,
    signatureHeader: describeSignatureHeader(shBytes),
    actions: tx.getActionsList().length,
    endorsements: cap.getAction().getEndorsementsList().map((e) => describeIdentity(e.getEndorser_asU8()).mspid),
    transientKeys: cpp.getTransientmapMap().getEntryList().map(([k]) => k),
  };
  check('PreparedTransaction: transaction_id = envelope tx_id', pt.getTransactionId() === ch.txId);
  check('PreparedTransaction: ENDORSER_TRANSACTION', ch.type === common.HeaderType.ENDORSER_TRANSACTION);
  const sh = common.SignatureHeader.deserializeBinary(shBytes);
  verify(sh.getCreator_asU8(), env.getPayload_asU8(), env.getSignature_asU8(), 'PreparedTransaction envelope');
}
{
  const signed = gw.SignedCommitStatusRequest.deserializeBinary(fromB64(rust.commitB64));
  const r = gw.CommitStatusRequest.deserializeBinary(signed.getRequest_asU8());
  report.rust.commit = {
    transactionId: r.getTransactionId(),
    channelId: r.getChannelId(),
    identity: describeIdentity(r.getIdentity_asU8()),
  };
  verify(r.getIdentity_asU8(), signed.getRequest_asU8(), signed.getSignature_asU8(), 'SignedCommitStatusRequest');
}
{
  const bytes = fromB64(rust.chaincodeEventsB64);
  const signed = gw.SignedChaincodeEventsRequest.deserializeBinary(bytes);
  const r = gw.ChaincodeEventsRequest.deserializeBinary(signed.getRequest_asU8());
  report.rust.chaincodeEvents = describeChaincodeEventsRequest(bytes);
  verify(r.getIdentity_asU8(), signed.getRequest_asU8(), signed.getSignature_asU8(), 'SignedChaincodeEventsRequest');
}
for (const name of ['blockEvents', 'filteredBlockEvents', 'privateBlockEvents']) {
  const bytes = fromB64(rust[`${name}B64`]);
  const env = common.Envelope.deserializeBinary(bytes);
  const payload = common.Payload.deserializeBinary(env.getPayload_asU8());
  const sh = common.SignatureHeader.deserializeBinary(payload.getHeader().getSignatureHeader_asU8());
  report.rust[name] = describeBlockEventsEnvelope(bytes);
  check(`${name}: DELIVER_SEEK_INFO`, report.rust[name].channelHeader.type === common.HeaderType.DELIVER_SEEK_INFO);
  verify(sh.getCreator_asU8(), env.getPayload_asU8(), env.getSignature_asU8(), `${name} envelope`);
}
report.ok = true;
process.stdout.write(JSON.stringify(report));
