#!/usr/bin/env python3
"""SDK interop driver: calls a running reference mock with the official Tencent Cloud Python SDK
(tencentcloud-sdk-python-car's CarClient, unchanged) and reports what the SDK saw.

tests/sdk_interop.rs starts the mock in-process, runs this script with .venv's python and holds
the expectations; this script only observes. It prints one JSON object per line and per scenario:

  {"name": ..., "method": "POST"|"GET", "action": ..., "outcome": "ok"|"error",
   "code": <TencentCloudSDKException.code or null>, "request_id": <str or null>,
   "server_session": {"non_empty": bool, "base64": bool} (CreateSession successes only)}

Credentials come from the environment (CAR_INTEROP_SECRET_ID / CAR_INTEROP_SECRET_KEY: the pair
the mock accepts; CAR_INTEROP_TEMP_ID / CAR_INTEROP_TEMP_KEY / CAR_INTEROP_TEMP_TOKEN: temporary
credentials it accepts with their token); the wrong key, the unknown SecretId and the wrong token
are derived from them. No key, token or signature is ever printed.

Signature v1 runs through the SDK's own switches: ClientProfile(signMethod="HmacSHA1" or
"HmacSHA256") with HttpProfile(reqMethod="GET" or "POST").

Usage: sdk_interop_driver.py --endpoint 127.0.0.1:PORT [--ca-file CA.pem]   (HTTPS with --ca-file)
"""

import argparse
import base64
import binascii
import json
import os
import sys

from tencentcloud.car.v20220110 import car_client, models
from tencentcloud.common.credential import Credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile

# The mock's CA certificate with --ca-file (then HTTPS), else None (plain HTTP).
CA_FILE = None

USER_IP = "203.0.113.7"
PROJECT_ID = "cap-interop"
CLIENT_SESSION = base64.b64encode(b'{"sdp":"v=0 interop"}').decode()


def client(endpoint, secret_id, secret_key, method, sign_method="TC3-HMAC-SHA256", token=None):
    """A CarClient exactly as a user would build one for a local endpoint: plain HTTP, or HTTPS
    trusting the mock's CA through HttpProfile's documented `certification` (the SDK otherwise
    verifies against certifi's bundle alone, so REQUESTS_CA_BUNDLE does not reach it)."""
    http = HttpProfile(endpoint=endpoint, reqMethod=method, reqTimeout=10)
    if CA_FILE:
        http.scheme = "https"
        http.certification = CA_FILE
    else:
        http.scheme = "http"
    profile = ClientProfile(httpProfile=http, signMethod=sign_method)
    credential = Credential(secret_id, secret_key, token)
    return car_client.CarClient(credential, "ap-guangzhou", profile)


def request(model, **fields):
    req = model()
    req.from_json_string(json.dumps(fields))
    return req


def is_base64(text):
    try:
        base64.b64decode(text, validate=True)
        return True
    except (binascii.Error, ValueError):
        return False


def call(name, sdk, method, action, req):
    """Runs one SDK call and returns the observation line (as a dict)."""
    line = {"name": name, "method": method, "action": action, "outcome": "ok", "code": None,
            "request_id": None}
    try:
        resp = getattr(sdk, action)(req)
    except TencentCloudSDKException as e:
        line.update(outcome="error", code=e.code, request_id=e.requestId)
        if e.requestId is None:
            # Client-side failures (network, bad JSON) carry no RequestId: show why, briefly.
            line["message"] = str(e.message)[:200]
        return line
    line["request_id"] = resp.RequestId
    if action == "CreateSession":
        session = resp.ServerSession or ""
        line["server_session"] = {"non_empty": bool(session), "base64": is_base64(session)}
    return line


def scenarios(endpoint, secret_id, secret_key, temp):
    """Yields (name, client, method, action, request) in the order they must run."""
    post = client(endpoint, secret_id, secret_key, "POST")
    get = client(endpoint, secret_id, secret_key, "GET")
    # One changed character each: the same shapes, but a key the mock must reject.
    wrong_key = secret_key[:-1] + ("A" if secret_key[-1] != "A" else "B")
    unknown_id = secret_id[:-1] + ("Z" if secret_id[-1] != "Z" else "Y")

    for method, sdk, user in (("POST", post, "interop-post"), ("GET", get, "interop-get")):
        yield (f"{method.lower()}_apply_concurrent", sdk, method, "ApplyConcurrent",
               request(models.ApplyConcurrentRequest, UserId=user, UserIp=USER_IP,
                       ProjectId=PROJECT_ID))
        yield (f"{method.lower()}_create_session", sdk, method, "CreateSession",
               request(models.CreateSessionRequest, UserId=user, UserIp=USER_IP,
                       ClientSession=CLIENT_SESSION))
        yield (f"{method.lower()}_destroy_session", sdk, method, "DestroySession",
               request(models.DestroySessionRequest, UserId=user))

    # Failures: each request is otherwise valid (a lock is taken first where one is needed), so
    # the one thing wrong with it is what the scenario is named after.
    yield ("lock_for_missing_parameter", post, "POST", "ApplyConcurrent",
           request(models.ApplyConcurrentRequest, UserId="interop-missing", UserIp=USER_IP,
                   ProjectId=PROJECT_ID))
    yield ("missing_parameter", post, "POST", "CreateSession",
           request(models.CreateSessionRequest, UserId="interop-missing",
                   ClientSession=CLIENT_SESSION))
    yield ("wrong_secret_key", client(endpoint, secret_id, wrong_key, "POST"), "POST",
           "ApplyConcurrent",
           request(models.ApplyConcurrentRequest, UserId="interop-wrong-key", UserIp=USER_IP,
                   ProjectId=PROJECT_ID))
    yield ("unknown_secret_id", client(endpoint, unknown_id, secret_key, "POST"), "POST",
           "ApplyConcurrent",
           request(models.ApplyConcurrentRequest, UserId="interop-unknown-id", UserIp=USER_IP,
                   ProjectId=PROJECT_ID))
    yield ("create_without_lock", post, "POST", "CreateSession",
           request(models.CreateSessionRequest, UserId="interop-no-lock", UserIp=USER_IP,
                   ClientSession=CLIENT_SESSION))
    yield ("lock_for_bad_role", post, "POST", "ApplyConcurrent",
           request(models.ApplyConcurrentRequest, UserId="interop-bad-role", UserIp=USER_IP,
                   ProjectId=PROJECT_ID))
    yield ("bad_role", post, "POST", "CreateSession",
           request(models.CreateSessionRequest, UserId="interop-bad-role", UserIp=USER_IP,
                   ClientSession=CLIENT_SESSION, HostUserId="interop-bad-role", Role="Admin"))

    yield from v1_scenarios(endpoint, secret_id, secret_key, wrong_key, unknown_id, temp)


def v1_scenarios(endpoint, secret_id, secret_key, wrong_key, unknown_id, temp):
    """Signature v1: the session flow with both methods over GET and POST, then its refusals."""
    for sign_method in ("HmacSHA1", "HmacSHA256"):
        for method in ("GET", "POST"):
            sdk = client(endpoint, secret_id, secret_key, method, sign_method)
            tag = f"v1_{sign_method.lower()}_{method.lower()}"
            user = f"interop-{tag}".replace("_", "-")
            yield (f"{tag}_apply_concurrent", sdk, method, "ApplyConcurrent",
                   request(models.ApplyConcurrentRequest, UserId=user, UserIp=USER_IP,
                           ProjectId=PROJECT_ID))
            yield (f"{tag}_create_session", sdk, method, "CreateSession",
                   request(models.CreateSessionRequest, UserId=user, UserIp=USER_IP,
                           ClientSession=CLIENT_SESSION))
            yield (f"{tag}_destroy_session", sdk, method, "DestroySession",
                   request(models.DestroySessionRequest, UserId=user))
    apply = lambda user: request(models.ApplyConcurrentRequest, UserId=user, UserIp=USER_IP,
                                 ProjectId=PROJECT_ID)
    yield ("v1_wrong_secret_key",
           client(endpoint, secret_id, wrong_key, "POST", "HmacSHA256"), "POST",
           "ApplyConcurrent", apply("interop-v1-wrong-key"))
    yield ("v1_unknown_secret_id",
           client(endpoint, unknown_id, secret_key, "GET", "HmacSHA1"), "GET",
           "ApplyConcurrent", apply("interop-v1-unknown-id"))
    temp_id, temp_key, temp_token = temp
    yield ("v1_temporary_credentials",
           client(endpoint, temp_id, temp_key, "GET", "HmacSHA256", temp_token), "GET",
           "DestroySession", request(models.DestroySessionRequest, UserId="interop-v1-temp"))
    wrong_token = temp_token[:-1] + ("A" if temp_token[-1] != "A" else "B")
    yield ("v1_wrong_token",
           client(endpoint, temp_id, temp_key, "POST", "HmacSHA1", wrong_token), "POST",
           "DestroySession", request(models.DestroySessionRequest, UserId="interop-v1-temp"))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--endpoint", required=True, help="HOST:PORT of the running mock")
    parser.add_argument("--ca-file", help="call over HTTPS, trusting this CA certificate (PEM)")
    args = parser.parse_args()
    global CA_FILE
    CA_FILE = args.ca_file
    secret_id = os.environ.get("CAR_INTEROP_SECRET_ID", "")
    secret_key = os.environ.get("CAR_INTEROP_SECRET_KEY", "")
    temp = tuple(os.environ.get(f"CAR_INTEROP_TEMP_{part}", "") for part in ("ID", "KEY", "TOKEN"))
    if not secret_id or not secret_key or not all(temp):
        sys.exit("sdk_interop_driver: set CAR_INTEROP_SECRET_ID, CAR_INTEROP_SECRET_KEY and "
                 "CAR_INTEROP_TEMP_ID, CAR_INTEROP_TEMP_KEY, CAR_INTEROP_TEMP_TOKEN")
    # The SDK (through requests) honours proxy variables; loopback traffic must not leave.
    for var in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy",
                "all_proxy"):
        os.environ.pop(var, None)

    for name, sdk, method, action, req in scenarios(args.endpoint, secret_id, secret_key, temp):
        print(json.dumps(call(name, sdk, method, action, req)), flush=True)


if __name__ == "__main__":
    main()
