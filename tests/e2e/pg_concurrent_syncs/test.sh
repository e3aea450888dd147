# The concurrency harness of tests/e2e/concurrent_syncs against a PostgreSQL destination.
TARGET=postgresql source "$(dirname "$0")/../concurrent_syncs/test.sh"
