# The crash harness of tests/e2e/crash_kill9_matrix with PostgreSQL as the append backend.
TARGET=postgresql CRASH_TRIALS=${CRASH_TRIALS:-12} source "$(dirname "$0")/../crash_kill9_matrix/test.sh"
