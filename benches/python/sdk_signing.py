#!/usr/bin/env python3
"""Bench (sign), Python side: how fast the official Tencent Cloud Python SDK signs the
CreateSession requests of benches/signing-requests.json with TC3-HMAC-SHA256.

It times the SDK's own code, not a re-implementation, at two levels:

  core  AbstractClient._get_tc3_signature: payload hash, canonical request, string to sign and
        Sign.sign_tc3 (which derives the key on every call; the SDK has no key cache). Same
        inputs and output as car_conformance::sign minus building the header list, so the
        Rust/Python ratio against it is conservative (Python does less work here).
  full  AbstractClient._build_req_inter: what CarClient.CreateSession does per call before the
        network: json.dumps of the parameters, every X-TC-* header, the signature and the
        Authorization header.

Before timing, both levels must reproduce the fixture's expected_signature (the full level with
its clock pinned to the fixture's timestamp), so Rust and Python sign identical bytes. No
signature or key is ever printed.

Usage: .venv/bin/python benches/python/sdk_signing.py [--runs 7] [--seconds 0.3] [--json]
Prints signatures per second, the median of --runs timed runs of about --seconds each. Time is
this thread's on-CPU time (time.thread_time, CLOCK_THREAD_CPUTIME_ID), as in benches/signing.rs,
so other jobs on the machine do not count against either side.
"""

import argparse
import importlib.metadata
import json
import os
import statistics
import sys
import time

from tencentcloud.common import abstract_client
from tencentcloud.common.credential import Credential
from tencentcloud.common.http.request import RequestInternal
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.car.v20220110.car_client import CarClient

FIXTURE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "signing-requests.json")


def load_fixture():
    """The shared fields, then one flat dict per request (name -> fields incl. params/body)."""
    with open(FIXTURE, encoding="utf-8") as f:
        fixture = json.load(f)
    shared = {k: v for k, v in fixture.items() if k not in ("requests", "comment")}
    requests = {}
    for name, request in sorted(fixture["requests"].items()):
        # The Rust bench signs `body`; the SDK signs json.dumps(params): they must be one string.
        if json.dumps(request["params"]) != request["body"]:
            sys.exit(f"sdk_signing: {name}: body is not json.dumps(params); the sides would differ")
        requests[name] = dict(shared, **request)
    return requests


def make_client(fixture):
    http = HttpProfile(reqMethod="POST", endpoint=fixture["host"])
    profile = ClientProfile(signMethod="TC3-HMAC-SHA256", httpProfile=http)
    credential = Credential(fixture["secret_id"], fixture["secret_key"])
    return CarClient(credential, "", profile)


def core_signer(client, fixture):
    """One call = the SDK's _get_tc3_signature on a request already built (headers and body)."""
    date = time.strftime("%Y-%m-%d", time.gmtime(fixture["timestamp"]))
    req = RequestInternal(fixture["host"], "POST", "/")
    req.header["Content-Type"] = fixture["content_type"]
    req.header["Host"] = fixture["host"]
    req.header["X-TC-Timestamp"] = str(fixture["timestamp"])
    req.data = fixture["body"]
    params, service, key = fixture["params"], fixture["service"], fixture["secret_key"]
    sign = client._get_tc3_signature

    def once():
        return sign(params, req, date, service, key)

    return once


def full_signer(client, fixture):
    """One call = what CarClient.CreateSession builds per request before sending it."""
    host, action, params = fixture["host"], fixture["action"], fixture["params"]
    build = client._build_req_inter

    def once():
        req = RequestInternal(host, "POST", "/", header={})
        build(action, params, req)
        return req

    return once


class _PinnedClock:
    """Stands in for the `time` module inside abstract_client so one check call signs at the
    fixture's timestamp."""

    def __init__(self, timestamp):
        self._timestamp = timestamp

    def time(self):
        return float(self._timestamp)

    def __getattr__(self, name):
        return getattr(time, name)


def check_signatures(name, client, fixture):
    expected = fixture["expected_signature"]
    if core_signer(client, fixture)() != expected:
        sys.exit(f"sdk_signing: {name}: the SDK's core signature differs from expected_signature")
    real_time = abstract_client.time
    abstract_client.time = _PinnedClock(fixture["timestamp"])
    try:
        req = full_signer(client, fixture)()
    finally:
        abstract_client.time = real_time
    if not req.header["Authorization"].endswith("Signature=" + expected):
        sys.exit(f"sdk_signing: {name}: the SDK's full-request signature differs from expected")
    if req.data != fixture["body"]:
        sys.exit(f"sdk_signing: {name}: the SDK serialised a different body than the fixture's")


def rate(once, runs, seconds):
    """Calls per second of each of `runs` runs of a calibrated number of calls, and that number."""
    clock = time.thread_time  # on-CPU time of this thread, like the Rust bench's clock
    calls = 1
    while True:  # calibrate: grow the batch until it takes a tenth of a run
        start = clock()
        for _ in range(calls):
            once()
        took = clock() - start
        if took >= seconds / 10:
            break
        calls *= 2
    calls = max(1, int(calls * seconds / took))
    rates = []
    for _ in range(runs):
        start = clock()
        for _ in range(calls):
            once()
        rates.append(calls / (clock() - start))
    return rates, calls


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="timed runs per level (median taken)")
    parser.add_argument("--seconds", type=float, default=0.3, help="length of one timed run")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.runs < 1 or args.seconds <= 0:
        sys.exit("sdk_signing: --runs must be >= 1 and --seconds > 0")

    requests = load_fixture()
    results = {
        # Both distributions ship tencentcloud/__init__.py, so ask the installed metadata.
        "sdk": "tencentcloud-sdk-python-common "
               + importlib.metadata.version("tencentcloud-sdk-python-common"),
        "python": sys.version.split()[0],
        "runs": args.runs,
        "requests": {},
    }
    for name, fixture in requests.items():
        client = make_client(fixture)
        check_signatures(name, client, fixture)
        entry = {"body_bytes": len(fixture["body"].encode("utf-8"))}
        for level, make in (("core", core_signer), ("full", full_signer)):
            rates, calls = rate(make(client, fixture), args.runs, args.seconds)
            entry[level] = {"median_per_sec": round(statistics.median(rates)),
                            "min_per_sec": round(min(rates)), "max_per_sec": round(max(rates)),
                            "calls_per_run": calls, "rates": [round(r) for r in rates]}
        results["requests"][name] = entry

    if args.json:
        print(json.dumps(results))
        return
    print(f"Python SDK signing ({results['sdk']}, Python {results['python']}, "
          f"median of {args.runs} runs)")
    for name, entry in results["requests"].items():
        for level, what in (("core", "_get_tc3_signature"), ("full", "_build_req_inter")):
            r = entry[level]
            print(f"  {name:15} {entry['body_bytes']:>5} B  {level:4} {what:19} "
                  f"{r['median_per_sec']:>9,} signatures/s "
                  f"(min {r['min_per_sec']:,}, max {r['max_per_sec']:,})")


if __name__ == "__main__":
    main()
