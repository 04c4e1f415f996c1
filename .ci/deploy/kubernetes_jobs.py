"""Runs deploy/kubernetes/'s Jobs here as the Job controller would run their pods.

No cluster runs in CI; the manifests' schema is checked by kubernetes-validate, and this
runs what their pods would: for the Indexed Job, one pod per index 0..completions-1 with
JOB_COMPLETION_INDEX set (as the controller sets it), then the combining Job's pod. Each
container's command runs with its `env`, under `sh` where it asks for it, with every
volume's mount path replaced by a local folder: the ConfigMap's by a folder holding the
scenario as study.toml (what run.sh puts in it), the claim's by --reports. Also checks
what the README promises of the files: completions equals SHARDS, the index is 0-based
and turned into --shard K/N with K from 1.

    python3 kubernetes_jobs.py DEPLOY_DIR SCENARIO_DIR REPORTS_DIR
"""

import os
import subprocess
import sys

import yaml


def pod_command(job, mounts, index=None):
    spec = job["spec"]["template"]["spec"]
    (container,) = spec["containers"]
    volumes = {v["name"]: v for v in spec["volumes"]}
    replace = {}
    for mount in container["volumeMounts"]:
        volume = volumes[mount["name"]]
        kind = "configMap" if "configMap" in volume else "persistentVolumeClaim"
        replace[mount["mountPath"]] = mounts[kind]
    command = []
    for word in container["command"] + container.get("args", []):
        for path, local in replace.items():
            word = word.replace(path, local)
        command.append(word)
    env = dict(os.environ)
    env.update({e["name"]: e["value"] for e in container.get("env", [])})
    if index is not None:
        env["JOB_COMPLETION_INDEX"] = str(index)
    return command, env


def main():
    deploy, scenario_dir, reports = sys.argv[1:4]
    mounts = {"configMap": scenario_dir, "persistentVolumeClaim": reports}
    with open(os.path.join(deploy, "shards-job.yaml")) as f:
        shards = yaml.safe_load(f)
    with open(os.path.join(deploy, "combine-job.yaml")) as f:
        combine = yaml.safe_load(f)

    spec = shards["spec"]
    assert spec["completionMode"] == "Indexed", "the shards Job must be Indexed"
    completions = spec["completions"]
    _, env = pod_command(shards, mounts, 0)
    assert env.get("SHARDS") == str(completions), (
        f"shards-job.yaml: SHARDS={env.get('SHARDS')} but completions={completions}"
    )
    for index in range(completions):
        command, env = pod_command(shards, mounts, index)
        code = subprocess.run(command, env=env, stdout=subprocess.DEVNULL).returncode
        if code != 0:
            print(f"kubernetes_jobs.py: shard pod {index} exited {code}", file=sys.stderr)
            return 2
    command, env = pod_command(combine, mounts)
    code = subprocess.run(command, env=env, stdout=subprocess.DEVNULL).returncode
    print(f"kubernetes_jobs.py: {completions} indexed pods, then the combining pod (exit {code})")
    return code


if __name__ == "__main__":
    sys.exit(main())
