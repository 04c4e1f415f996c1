"""Validates `cachegate audit --format sarif` logs, two ways, for CI.

1. Against the SARIF 2.1.0 JSON schema that Microsoft's SARIF SDK ships
   (`sarif-2.1.0.json` in @microsoft/sarif-multitool-linux), with the jsonschema
   package: every structural rule, enums and minimums included.
2. With the SARIF multitool's own `validate` (rule kinds Sarif and Gh: the
   specification's rules and GitHub code scanning's requirements, such as a region
   with a start line on every result). It exits 0 whatever it finds and skips a log
   it cannot read, so its output is read here: any error-level result fails, and every
   input must appear in that output (proof it was analysed).

Usage: validate_sarif.py MULTITOOL_DIR FILE.sarif...
"""

import json
import pathlib
import subprocess
import sys
import tempfile

import jsonschema


def main() -> int:
    tool_dir = pathlib.Path(sys.argv[1])
    logs = [pathlib.Path(p) for p in sys.argv[2:]]
    if not logs:
        print("validate_sarif: no SARIF file given", file=sys.stderr)
        return 2
    schema = json.loads((tool_dir / "sarif-2.1.0.json").read_text())
    validator_class = jsonschema.validators.validator_for(schema)
    validator = validator_class(schema)
    failures = []
    for log in logs:
        document = json.loads(log.read_text())
        for error in validator.iter_errors(document):
            where = "/".join(str(p) for p in error.absolute_path)
            failures.append(f"{log}: schema: {where}: {error.message}")
        if not document["runs"][0]["tool"]["driver"].get("rules"):
            failures.append(f"{log}: the run lists no rules")
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "validation.sarif"
        subprocess.run(
            [
                str(tool_dir / "Sarif.Multitool"),
                "validate",
                *map(str, logs),
                "--output",
                str(out),
                "--log",
                "ForceOverwrite",
                "--level",
                "Error;Warning;Note",
                "--rule-kind",
                "Sarif;Gh",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        report = json.loads(out.read_text())
    seen = set()
    for result in report["runs"][0].get("results", []):
        for location in result.get("locations", []):
            uri = location["physicalLocation"]["artifactLocation"]["uri"]
            seen.add(pathlib.Path(uri.removeprefix("file://")).name)
        if result.get("level", "warning") == "error":
            args = result.get("message", {}).get("arguments", [])
            failures.append(f"multitool {result['ruleId']}: {args}")
    for log in logs:
        if log.name not in seen:
            failures.append(f"{log}: the multitool did not analyse it (unreadable as SARIF)")
    for failure in failures:
        print(failure, file=sys.stderr)
    if failures:
        return 1
    print(f"{len(logs)} SARIF log(s) valid: 2.1.0 schema, multitool Sarif and Gh rules")
    return 0


if __name__ == "__main__":
    sys.exit(main())
