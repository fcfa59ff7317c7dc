#!/usr/bin/env node
// Interop driver: calls a running reference mock with the official Tencent Cloud Node.js SDK
// (tencentcloud-sdk-nodejs's CAR client, unchanged, pinned in tests/node/package.json) and
// reports what the SDK saw. tests/client_interop.rs starts the mock, runs this script and holds
// the expectations; this script only observes.
//
// One JSON object per line and per call:
//   {"name", "action", "outcome": "ok"|"error", "code": <error code or null>,
//    "request_id": <string or null>, "server_session": {"non_empty", "base64"} (CreateSession)}
//
// Credentials come from CAR_INTEROP_SECRET_ID / CAR_INTEROP_SECRET_KEY (the pair the mock
// accepts); the wrong key is derived from them. No key, token or signature is ever printed.
//
// Usage: interop_driver.js --endpoint HOST:PORT [--protocol http://|https://]
//                          [--sign-method TC3-HMAC-SHA256|HmacSHA256|HmacSHA1] [--method POST|GET]
// With https://, the mock's CA comes from NODE_EXTRA_CA_CERTS, as for any Node.js program.
"use strict";

const { car } = require("tencentcloud-sdk-nodejs/tencentcloud/services/car");

const USER_IP = "203.0.113.7";
const PROJECT_ID = "cap-interop";
const CLIENT_SESSION = Buffer.from('{"sdp":"v=0 interop"}').toString("base64");

function parseArgs(argv) {
  const args = { protocol: "http://", signMethod: "TC3-HMAC-SHA256", method: "POST" };
  const names = { "--endpoint": "endpoint", "--protocol": "protocol",
                  "--sign-method": "signMethod", "--method": "method" };
  for (let i = 0; i < argv.length; i += 2) {
    const key = names[argv[i]];
    if (!key || argv[i + 1] === undefined) {
      throw new Error(`unknown or incomplete argument ${argv[i]}`);
    }
    args[key] = argv[i + 1];
  }
  if (!args.endpoint) throw new Error("--endpoint HOST:PORT is required");
  return args;
}

// A client exactly as a user builds one for a local endpoint: only endpoint, protocol, method
// and sign method differ from the SDK's defaults.
function client(args, secretId, secretKey) {
  return new car.v20220110.Client({
    credential: { secretId, secretKey },
    region: "ap-guangzhou",
    profile: {
      signMethod: args.signMethod,
      httpProfile: { endpoint: args.endpoint, protocol: args.protocol,
                     reqMethod: args.method, reqTimeout: 10 },
    },
  });
}

function isBase64(text) {
  return /^[A-Za-z0-9+/]*={0,2}$/.test(text) && text.length % 4 === 0;
}

async function call(name, sdk, action, request) {
  const line = { name, action, outcome: "ok", code: null, request_id: null };
  try {
    const response = await sdk[action](request);
    line.request_id = response.RequestId ?? null;
    if (action === "CreateSession") {
      const session = response.ServerSession || "";
      line.server_session = { non_empty: session.length > 0, base64: isBase64(session) };
    }
  } catch (error) {
    line.outcome = "error";
    line.code = error.code || null;
    line.request_id = error.requestId || null;
    if (!line.request_id) {
      // Client-side failures (TLS, network) carry no RequestId: say why, briefly.
      line.message = String(error.message).slice(0, 200);
    }
  }
  return line;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const secretId = process.env.CAR_INTEROP_SECRET_ID || "";
  const secretKey = process.env.CAR_INTEROP_SECRET_KEY || "";
  if (!secretId || !secretKey) {
    throw new Error("set CAR_INTEROP_SECRET_ID and CAR_INTEROP_SECRET_KEY");
  }
  const sdk = client(args, secretId, secretKey);
  const wrongKey = secretKey.slice(0, -1) + (secretKey.endsWith("A") ? "B" : "A");
  const user = `interop-node-${args.method.toLowerCase()}`;
  const scenarios = [
    ["apply_concurrent", sdk, "ApplyConcurrent",
     { UserId: user, UserIp: USER_IP, ProjectId: PROJECT_ID }],
    ["create_session", sdk, "CreateSession",
     { UserId: user, UserIp: USER_IP, ClientSession: CLIENT_SESSION }],
    ["destroy_session", sdk, "DestroySession", { UserId: user }],
    // The mock must still refuse what is wrong: a key it does not hold, a missing parameter.
    ["wrong_secret_key", client(args, secretId, wrongKey), "ApplyConcurrent",
     { UserId: `${user}-wrong-key`, UserIp: USER_IP, ProjectId: PROJECT_ID }],
    ["missing_parameter", sdk, "ApplyConcurrent",
     { UserId: `${user}-missing`, ProjectId: PROJECT_ID }],
  ];
  for (const [name, client, action, request] of scenarios) {
    process.stdout.write(JSON.stringify(await call(name, client, action, request)) + "\n");
  }
}

main().catch((error) => {
  process.stderr.write(`interop_driver: ${error.message}\n`);
  process.exit(2);
});
