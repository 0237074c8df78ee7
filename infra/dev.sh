#!/usr/bin/env bash
# Entry point of `make dev` for the local stack. It is a stub for now and
# exits with status 1.
echo "infra/dev.sh: the local development stack is not yet available" >&2
exit 1
