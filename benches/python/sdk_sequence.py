#!/usr/bin/env python3
"""Bench (whole run), Python side: the suite's calls made the way a user might otherwise write
them — the official Tencent Cloud Python SDK (CarClient, unchanged), one call after another —
against a running reference mock.

benches/suite (section `python`) writes the calls file from a run of the suite: one object per
request the suite sent, in the suite's order:

  {"action": "CreateSession", "method": "POST" | "GET", "params": {...}}

`params` is the request's JSON object (or its query string, for GET) as the suite sent it; where
the suite's body was not a JSON object (a raw body, a body cut in the record because it is over
4 KB) the calls file carries an object of the same size instead. The SDK signs every call
correctly, so calls the suite sent with deliberately broken signatures get a different answer
here; each call still costs the SDK a whole signed round trip, which is what is compared.

Each call goes through `CarClient.call_json(action, params)`: the SDK's own JSON serialisation,
TC3 signing, HTTP (requests) and answer parsing. `keepAlive=True` is set (it only adds a
`Connection: Keep-Alive` header; the SDK's requests session reuses its connection either way).
An error answer is caught as `TencentCloudSDKException` and its code tallied, as a test script
would read it; nothing else is checked (no schema, no snapshot), so Python does less per call
than the suite.

Usage: .venv/bin/python benches/python/sdk_sequence.py --calls FILE --endpoint 127.0.0.1:PORT
Credentials from CAR_BENCH_SECRET_ID / CAR_BENCH_SECRET_KEY (the pair the mock accepts).
Prints one JSON object: calls, seconds (the calls alone, after imports and client set-up),
codes (answers by code, "" for success). No key or signature is ever printed.
"""

import argparse
import json
import os
import sys
import time

from tencentcloud.car.v20220110 import car_client
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile


def client(endpoint, secret_id, secret_key, method):
    """A CarClient as a user builds one for a local endpoint over plain HTTP."""
    http = HttpProfile(endpoint=endpoint, reqMethod=method, reqTimeout=30, keepAlive=True)
    http.scheme = "http"
    profile = ClientProfile(httpProfile=http)
    return car_client.CarClient(Credential(secret_id, secret_key), "", profile)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", required=True, help="calls file written by benches/suite")
    parser.add_argument("--endpoint", required=True, help="HOST:PORT of the mock")
    args = parser.parse_args()
    secret_id = os.environ.get("CAR_BENCH_SECRET_ID")
    secret_key = os.environ.get("CAR_BENCH_SECRET_KEY")
    if not secret_id or not secret_key:
        sys.exit("sdk_sequence: CAR_BENCH_SECRET_ID and CAR_BENCH_SECRET_KEY must be set")
    with open(args.calls, encoding="utf-8") as f:
        calls = json.load(f)
    clients = {m: client(args.endpoint, secret_id, secret_key, m) for m in ("POST", "GET")}
    codes = {}
    started = time.perf_counter()
    for call in calls:
        sdk = clients.get(call["method"], clients["POST"])
        try:
            sdk.call_json(call["action"], call["params"])
            code = ""
        except TencentCloudSDKException as e:
            code = e.code or "ClientError"
        codes[code] = codes.get(code, 0) + 1
    seconds = time.perf_counter() - started
    print(json.dumps({"calls": len(calls), "seconds": seconds, "codes": codes}, sort_keys=True))


if __name__ == "__main__":
    main()
