"""A local stand-in for the AWS Batch API, so that CI can run deploy/aws-batch/ unchanged.

The real AWS CLI (pinned in requirements.txt) talks to it through AWS_ENDPOINT_URL, so
the CLI checks every request against Batch's service model before sending it, exactly as
against AWS. The stub then does what Batch documents for the parts the study relies on:

- register-job-definition keeps each definition, by name and revision;
- submit-job substitutes the definition's parameters, overridden by the request's, into
  every `Ref::name` of the command (job_definition_parameters.html#parameters);
- an array job (arrayProperties.size N) runs N children with AWS_BATCH_JOB_ARRAY_INDEX
  0..N-1 and succeeds only if every child does (array_jobs.html);
- a job that depends on another (dependsOn jobId, no type) runs once it has succeeded,
  and fails without running if it failed (job_dependencies.html);
- describe-jobs reports status, statusReason and the container's exit code.

Jobs run here, one after another, with `sh` as the image's shell, and each volume's
container path replaced by a local folder (--mount); `cachegate` is found on PATH.
Every request is appended to --log as a JSON line for the checks that follow.

    python3 aws_batch_stub.py --port-file F --log F --mount /mnt/cachegate=DIR
"""

import argparse
import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ACCOUNT = "123456789012"
REGION = "us-east-1"


class Batch:
    def __init__(self, mounts):
        self.mounts = mounts
        self.definitions = {}  # name -> [definition, ...] by revision
        self.jobs = {}  # id -> description
        self.lock = threading.Lock()

    def register_job_definition(self, request):
        name = request["jobDefinitionName"]
        revisions = self.definitions.setdefault(name, [])
        revisions.append(request)
        revision = len(revisions)
        arn = f"arn:aws:batch:{REGION}:{ACCOUNT}:job-definition/{name}:{revision}"
        return {"jobDefinitionName": name, "jobDefinitionArn": arn, "revision": revision}

    def definition(self, reference):
        name = reference.rsplit("/", 1)[-1]
        name, _, revision = name.partition(":")
        revisions = self.definitions.get(name)
        if not revisions:
            raise LookupError(f"job definition {reference} is not registered")
        return revisions[int(revision) - 1 if revision else -1]

    def submit_job(self, request):
        definition = self.definition(request["jobDefinition"])
        job_id = f"job-{len(self.jobs) + 1:04d}"
        job = {"jobId": job_id, "jobName": request["jobName"], "status": "PENDING"}
        self.jobs[job_id] = job
        failed = [
            d["jobId"]
            for d in request.get("dependsOn", [])
            if self.jobs.get(d["jobId"], {}).get("status") != "SUCCEEDED"
        ]
        if failed:
            job["status"] = "FAILED"
            job["statusReason"] = f"Dependent Job failed: {', '.join(failed)}"
        else:
            parameters = dict(definition.get("parameters", {}))
            parameters.update(request.get("parameters", {}))
            size = request.get("arrayProperties", {}).get("size")
            indices = range(size) if size else [None]
            codes = [self.run(definition, parameters, index) for index in indices]
            job["status"] = "SUCCEEDED" if all(c == 0 for c in codes) else "FAILED"
            if size:
                job["arrayProperties"] = {"size": size}
                if job["status"] == "FAILED":
                    job["statusReason"] = "Array child job failed"
            else:
                job["container"] = {"exitCode": codes[0]}
                if codes[0] != 0:
                    job["statusReason"] = "Essential container in task exited"
        arn = f"arn:aws:batch:{REGION}:{ACCOUNT}:job/{job_id}"
        return {"jobId": job_id, "jobName": request["jobName"], "jobArn": arn}

    def run(self, definition, parameters, index):
        container = definition["containerProperties"]
        command = []
        for word in container["command"]:
            for name, value in parameters.items():
                word = word.replace(f"Ref::{name}", value)
            for path, local in self.mounts.items():
                word = word.replace(path, local)
            command.append(word)
        env = dict(os.environ)
        if index is not None:
            env["AWS_BATCH_JOB_ARRAY_INDEX"] = str(index)
        return subprocess.run(command, env=env, stdout=sys.stderr).returncode

    def describe_jobs(self, request):
        return {"jobs": [self.jobs[j] for j in request["jobs"] if j in self.jobs]}


def serve(batch, log_path, port_file):
    operations = {
        "/v1/registerjobdefinition": batch.register_job_definition,
        "/v1/submitjob": batch.submit_job,
        "/v1/describejobs": batch.describe_jobs,
    }

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["Content-Length"])) or b"{}")
            operation = operations.get(self.path)
            with batch.lock:
                with open(log_path, "a") as log:
                    log.write(json.dumps({"path": self.path, "request": body}) + "\n")
                try:
                    if operation is None:
                        raise LookupError(f"no such operation: {self.path}")
                    status, answer = 200, operation(body)
                except (LookupError, KeyError, ValueError) as error:
                    status = 400
                    answer = {"__type": "ClientException", "message": str(error)}
            data = json.dumps(answer).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    with open(port_file, "w") as f:
        f.write(str(server.server_address[1]))
    server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port-file", required=True)
    parser.add_argument("--log", required=True)
    parser.add_argument("--mount", action="append", default=[], help="CONTAINER_PATH=DIR")
    args = parser.parse_args()
    mounts = dict(m.split("=", 1) for m in args.mount)
    serve(Batch(mounts), args.log, args.port_file)


if __name__ == "__main__":
    main()
