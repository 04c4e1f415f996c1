#!/usr/bin/env python3
"""Writes the example traces the scenarios in ../ replay (deterministic: fixed seeds).

- pets-access.jsonl: API Gateway access logs as CloudWatch Logs exports them to S3
  (an ISO timestamp, a space, the JSON message), in the JSON access-log format of the
  API Gateway developer guide ("requestId", "ip", "caller", "user", "requestTime",
  "httpMethod", "resourcePath", "status", "protocol", "responseLength") plus
  "requestTimeEpoch" and "userArn". 8 minutes at ~25 requests/s: Zipf(0.9) pet ids,
  a list endpoint, some writes the scenario does not model, an ops user who sends
  max-age=0 (logged here in a "cacheControl" field), and two damaged lines.
- objects.oracleGeneral.bin: libCacheSim oracleGeneral records (u32 time, u64 id,
  u32 size, i64 next access; little-endian), 60,000 requests over 20,000 objects.

Compress afterwards with `zstd -19 --rm`.
"""
import bisect
from datetime import datetime, timezone
import json
import random
import struct

rng = random.Random(2026)


def zipf_sampler(n, s):
    cum, total = [], 0.0
    for r in range(1, n + 1):
        total += r ** -s
        cum.append(total)
    return lambda: bisect.bisect_left(cum, rng.random() * total) + 1


EPOCH_MS = 1764000000000  # 2025-11-24T16:00:00Z
pet = zipf_sampler(5000, 0.9)
lines = []
t = 0.0
n = 0
while t < 480.0:
    t += rng.expovariate(25.0)
    n += 1
    ms = EPOCH_MS + int(t * 1000)
    u = rng.random()
    user, arn, cache = "-", "-", "-"
    if u < 0.80:
        pid = pet()
        method, resource, path = "GET", "/pets/{petId}", f"/prod/pets/{pid}"
        length = 1800 + pid * 37 % 600
    elif u < 0.95:
        method, resource, path = "GET", "/pets", "/prod/pets"
        length = 16384
    elif u < 0.99:
        method, resource, path = "POST", "/pets", "/prod/pets"
        length = 120
    else:
        method, resource, path = "GET", "/pets/{petId}", f"/prod/pets/{pet()}"
        user, arn, cache = "AIDAEXAMPLEOPS", "arn:aws:iam::123456789012:user/ops", "max-age=0"
        length = 2048
    when = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    msg = {
        "requestId": f"{n:08x}-5f6a-4c1e-9d2b-{n * 7919 % 16**12:012x}",
        "ip": f"198.51.100.{n % 250 + 1}",
        "caller": user,
        "user": user,
        "userArn": arn,
        "requestTime": when.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "requestTimeEpoch": ms,
        "httpMethod": method,
        "resourcePath": resource,
        "path": path,
        "status": "201" if method == "POST" else "200",
        "protocol": "HTTP/1.1",
        "responseLength": str(length),
        "cacheControl": cache,
    }
    stamp = when.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"
    lines.append(f"{stamp} {json.dumps(msg, separators=(',', ':'))}")
lines[1000] = lines[1000][:80]  # cut short, as a damaged export can be
lines[5000] = "2025-11-24T16:03:20.000Z START RequestId: not an access log line"
with open("pets-access.jsonl", "w") as f:
    f.write("\n".join(lines) + "\n")

obj = zipf_sampler(20000, 0.8)
with open("objects.oracleGeneral.bin", "wb") as f:
    for i in range(60000):
        oid = obj()
        f.write(struct.pack("<IQIq", 1700000000 + i // 100, oid, 4096 + oid % 8192, -1))
