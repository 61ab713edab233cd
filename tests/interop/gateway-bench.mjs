// Benchmark driver for the official Node client (@hyperledger/fabric-gateway), run by
// tests/benches/gateway_client.rs as a child process so its CPU time can be read from
// /proc/<pid>/stat. Same protocol as the bench's Rust driver:
//
// argv[2]: {"address","tlsRootCertPath","serverName","mspId","certPath","keyPath","channel","chaincode"}
// stdin:   one JSON row per line: {"op":"evaluate"|"submit","concurrency":N,"secs":S,"warmupSecs":W}
// stdout:  "START" when the measured window opens (after the warm-up), then
//          "END {"count","errors","elapsedSecs","p50Ms","p99Ms"}" when every task has stopped;
//          the driver then waits for the next row (the parent reads the CPU time at both lines).
// Evaluations call get("k0"); submits put distinct keys and wait for the commit.
import { readFileSync } from 'node:fs';
import * as crypto from 'node:crypto';
import * as readline from 'node:readline';
import * as grpc from '@grpc/grpc-js';
import { connect, signers } from '@hyperledger/fabric-gateway';

const cfg = JSON.parse(process.argv[2]);
const client = new grpc.Client(
  cfg.address,
  grpc.credentials.createSsl(readFileSync(cfg.tlsRootCertPath)),
  cfg.serverName ? { 'grpc.ssl_target_name_override': cfg.serverName } : {},
);
const gateway = connect({
  client,
  identity: { mspId: cfg.mspId, credentials: readFileSync(cfg.certPath) },
  signer: signers.newPrivateKeySigner(crypto.createPrivateKey(readFileSync(cfg.keyPath))),
});
const contract = gateway.getNetwork(cfg.channel).getContract(cfg.chaincode);
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
let round = 0;

async function runRow(row) {
  round += 1;
  let stop = false;
  let measuring = false;
  let latencies = [];
  let errors = 0;
  const loop = async (task) => {
    for (let i = 0; !stop; i += 1) {
      const started = process.hrtime.bigint();
      try {
        if (row.op === 'evaluate') {
          await contract.evaluateTransaction('get', 'k0');
        } else {
          await contract.submitTransaction('put', `node-${round}-${task}-${i}`, 'v');
        }
        if (measuring) latencies.push(Number(process.hrtime.bigint() - started) / 1e6);
      } catch (e) {
        if (measuring) {
          errors += 1;
          if (errors <= 3) process.stderr.write(`${row.op} c${row.concurrency}: ${e}\n`);
        }
      }
    }
  };
  const tasks = Array.from({ length: row.concurrency }, (_, t) => loop(t));
  await sleep(row.warmupSecs * 1000);
  latencies = [];
  errors = 0;
  measuring = true;
  const t0 = process.hrtime.bigint();
  process.stdout.write('START\n');
  await sleep(row.secs * 1000);
  stop = true;
  await Promise.all(tasks);
  const elapsedSecs = Number(process.hrtime.bigint() - t0) / 1e9;
  latencies.sort((a, b) => a - b);
  const pct = (p) => (latencies.length ? latencies[Math.min(latencies.length - 1, Math.round((latencies.length - 1) * p))] : 0);
  process.stdout.write(`END ${JSON.stringify({ count: latencies.length, errors, elapsedSecs, p50Ms: pct(0.5), p99Ms: pct(0.99) })}\n`);
}

const lines = readline.createInterface({ input: process.stdin });
for await (const line of lines) {
  if (!line.trim() || line.trim() === 'next') continue;
  await runRow(JSON.parse(line));
}
gateway.close();
client.close();
