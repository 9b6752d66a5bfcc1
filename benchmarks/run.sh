#!/usr/bin/env bash
# Runs every benchmark, Quark and Apache Pekko side by side with the same JVM flags, prints one table and
# writes it to benchmarks/results/latest-<mode>.md and .json (and a dated copy under results/raw/).
#
#   benchmarks/run.sh --quick            a few minutes: fewer and shorter iterations
#   benchmarks/run.sh --full             the figures we commit: more and longer iterations
#   benchmarks/run.sh --quick --only one-way,idle-memory
#                                        a subset: request-response, request-response-async, one-way,
#                                        one-way-async, idle-memory, idle-memory-async, churn, proxy-call,
#                                        filtered-call (an uncontended call through no filter, pass-through
#                                        filters and Quark's tracing filters, outside and inside a span),
#                                        ring (Quark's hash ring: lookup cost, balance, keys moved),
#                                        reminders (100,000 periodic reminders on the in-memory, Redis and
#                                        PostgreSQL tables, one silo and three; QUARK_BENCH_REMINDERS=redis,postgres-3
#                                        picks some; servers from QUARK_BENCH_REDIS_URL / QUARK_BENCH_POSTGRES_URL,
#                                        default the QUARK_TEST_* ones, then 127.0.0.1),
#                                        jobs (no-op jobs enqueued, then run by 8 workers until all are done:
#                                        quark-jobs in memory, on Redis and on PostgreSQL, and db-scheduler on the
#                                        same PostgreSQL; QUARK_BENCH_JOBS=postgres,db-scheduler picks some,
#                                        QUARK_BENCH_JOB_WORKERS another worker count, QUARK_BENCH_JOB_PREFETCH the
#                                        orchestrator's prefetch (unset: adaptive), QUARK_BENCH_DBSCHEDULER_UPPER_LIMIT
#                                        db-scheduler's lock-and-fetch upper limit (default 1.0, its own)),
#                                        durable-tasks (a 5-activity sequence and a 100-wide fan-out on PostgreSQL,
#                                        orchestrations/s and activities/s, against a raw JDBC insert of the same
#                                        rows; QUARK_BENCH_DURABLE_TASKS=sequence picks one),
#                                        outbox (messages enqueued on PostgreSQL, one per transaction from 8
#                                        threads, against a raw JDBC insert of the same rows;
#                                        QUARK_BENCH_OUTBOX_MESSAGES sets the messages per round),
#                                        outbox-delivery (a backlog of messages over the 16 partitions drained by one
#                                        running dispatcher on PostgreSQL and on Redis, the receiver answering at once,
#                                        then taking 2 ms a message, against a raw JDBC drain of the same rows, a
#                                        thread per partition; QUARK_BENCH_OUTBOX_DELIVERY_STORES=redis picks one,
#                                        QUARK_BENCH_OUTBOX_DELIVERY_MESSAGES sets the messages per drain,
#                                        QUARK_BENCH_OUTBOX_DELIVERY_POLL_MS the dispatcher's poll interval),
#                                        event-appends (single events appended from 8 threads to 1,000 streams with
#                                        their expected versions through the PostgreSQL and the Redis Streams event
#                                        stores, against a raw JDBC insert of the same rows and a raw XADD of the same
#                                        entries; QUARK_BENCH_EVENT_STORES=redis picks one, QUARK_BENCH_EVENT_APPENDS
#                                        sets the events per round). They use the servers above, in a schema or key
#                                        prefix of their own removed after each round,
#                                        cross-silo (request/response between two silos over Quark's gRPC transport
#                                        on 127.0.0.1, both calling styles, 16 and 256 in flight, against a raw gRPC
#                                        bidi-stream echo of the same payload in the same JVM and against Pekko's
#                                        remote ask over Artery TCP; no server needed)
#                                        A run with --only writes latest-<mode>-<workloads>.md, not latest-<mode>.md
#
# QUARK_BENCH_JVM_FLAGS replaces the flags of the measured JVMs (default: 8 GB heap, G1).
# QUARK_BENCH_TURN_SCHEDULER=ready-queue runs Quark's turns on the ready-queue scheduler (default virtual-threads,
# the runtime's default); run both back to back to compare them, e.g.
#   QUARK_BENCH_TURN_SCHEDULER=ready-queue benchmarks/run.sh --quick --only request-response,one-way
set -euo pipefail
cd "$(dirname "$0")/.."

mode=""
args=()
while [ $# -gt 0 ]; do
    case "$1" in
        --quick|--full) mode=$1 ;;
        --only) args+=("$1" "${2:?--only needs a list of workloads}"); shift ;;
        *) echo "benchmarks/run.sh: unknown argument '$1' (use --quick or --full, optionally --only LIST)" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$mode" ]; then
    echo "benchmarks/run.sh: say --quick or --full" >&2
    exit 2
fi

# shellcheck source=../.ci/jdk.sh
source .ci/jdk.sh
pick_jdk
jvm_flags="${QUARK_BENCH_JVM_FLAGS:--Xms8g -Xmx8g -XX:+UseG1GC}"

./mvnw -q --batch-mode -pl benchmarks -am package -DskipTests
classpath="benchmarks/target/classes:$(cat benchmarks/target/classpath.txt)"
exec "$JAVA_HOME/bin/java" -Xmx512m -cp "$classpath" dev.quark.benchmarks.BenchmarkMain "$mode" \
    --results benchmarks/results --jvm-flags "$jvm_flags" "${args[@]}"
