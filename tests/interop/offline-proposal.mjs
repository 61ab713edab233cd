// Builds and signs a proposal OFFLINE with the official @hyperledger/fabric-gateway client, for a
// given identity, and prints what the Rust side needs to check it.
//
// stdin: {"mspId","certPem","keyPem","channel","chaincode","function","args":[..],"transient":{k:v}}
// stdout: {"txid","digestHex","proposalBytesB64","signatureB64","signedProposalB64"}
import { readFileSync } from 'node:fs';
import * as crypto from 'node:crypto';
import * as grpc from '@grpc/grpc-js';
import { connect, signers } from '@hyperledger/fabric-gateway';
import { gateway as gw } from '@hyperledger/fabric-protos';

const input = JSON.parse(readFileSync(0, 'utf8'));
// Offline: the gRPC client is never used to send anything (grpc-js connects lazily).
const client = new grpc.Client('127.0.0.1:9', grpc.credentials.createInsecure());
const gateway = connect({
  client,
  identity: { mspId: input.mspId, credentials: Buffer.from(input.certPem) },
});
try {
  const contract = gateway.getNetwork(input.channel).getContract(input.chaincode);
  const transientData = Object.fromEntries(
    Object.entries(input.transient ?? {}).map(([k, v]) => [k, Buffer.from(v)]),
  );
  const unsigned = contract.newProposal(input.function, { arguments: input.args ?? [], transientData });
  const signer = signers.newPrivateKeySigner(crypto.createPrivateKey(input.keyPem));
  const digest = unsigned.getDigest();
  const signature = await signer(digest);
  const signed = gateway.newSignedProposal(unsigned.getBytes(), signature);
  const proposed = gw.ProposedTransaction.deserializeBinary(signed.getBytes());
  const sp = proposed.getProposal();
  process.stdout.write(JSON.stringify({
    txid: signed.getTransactionId(),
    digestHex: Buffer.from(digest).toString('hex'),
    proposalBytesB64: Buffer.from(sp.getProposalBytes_asU8()).toString('base64'),
    signatureB64: Buffer.from(sp.getSignature_asU8()).toString('base64'),
    signedProposalB64: Buffer.from(sp.serializeBinary()).toString('base64'),
  }));
} finally {
  gateway.close();
  client.close();
}
