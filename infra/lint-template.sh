#!/usr/bin/env bash
# Checks template.yaml with cfn-lint and `sam validate --lint`. Neither needs
# AWS credentials.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root"

.venv/bin/cfn-lint template.yaml

# Telemetry is on by default in sam and posts to AWS. The region variables
# are unset because the moto environment sets them and `sam validate --lint`
# needs no region.
SAM_CLI_TELEMETRY=0 env -u AWS_REGION -u AWS_DEFAULT_REGION .venv/bin/sam validate --lint
