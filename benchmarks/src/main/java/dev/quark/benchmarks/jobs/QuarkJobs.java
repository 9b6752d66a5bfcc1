package dev.quark.benchmarks.jobs;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.LongAdder;

import dev.quark.jobs.JobHandler;
import dev.quark.jobs.JobStatus;
import dev.quark.jobs.RetryPolicy;
import dev.quark.jobs.runtime.DefaultJobQueue;
import dev.quark.jobs.runtime.JobHandlerRegistry;
import dev.quark.jobs.runtime.JobMetrics;
import dev.quark.jobs.runtime.JobOrchestrator;
import dev.quark.jobs.runtime.JobPayloadCodec;
import dev.quark.jobs.store.JobStore;
import dev.quark.lease.LeaseStore;
import tools.jackson.databind.json.JsonMapper;

/**
 * quark-jobs through its library API: a {@link DefaultJobQueue} that enqueues, one {@link JobOrchestrator} with
 * {@code workers} workers that polls every {@link JobsWorkload#POLL_INTERVAL}, and a no-op handler of the type
 * {@value #TYPE} whose payload is the job's number.
 */
final class QuarkJobs implements JobContender {

    static final String TYPE = "bench-noop";

    private final ClaimCountingJobStore store;

    private final DefaultJobQueue queue;

    private final JobOrchestrator orchestrator;

    private final AutoCloseable backend;

    private final Runnable enqueued;

    private JobContender.@org.jspecify.annotations.Nullable Measured measured;

    QuarkJobs(JobStore store, LeaseStore leases, AutoCloseable backend, Runnable enqueued, int workers,
            LongAdder executed) {
        this.store = new ClaimCountingJobStore(store);
        this.enqueued = enqueued;
        this.backend = backend;
        JobPayloadCodec codec = new JobPayloadCodec(JsonMapper.builder().build());
        JobHandler<Integer> noOp = JobHandler.of(TYPE, Integer.class, (number, context) -> executed.increment());
        JobHandlerRegistry handlers = new JobHandlerRegistry(List.of(noOp), codec, RetryPolicy.defaults(),
                Duration.ofMinutes(10));
        this.queue = new DefaultJobQueue(this.store, handlers, codec, Clock.systemUTC(), JobMetrics.NONE);
        JobOrchestrator.Builder orchestrator = JobOrchestrator.builder(this.store, leases, handlers, codec)
            .workers(workers)
            .pollInterval(JobsWorkload.POLL_INTERVAL);
        Integer prefetch = JobsWorkload.prefetch();
        if (prefetch != null) {
            orchestrator.prefetch(prefetch);
        }
        this.orchestrator = orchestrator.build();
        this.queue.subscribe(this.orchestrator);
    }

    /**
     * Notes what the engine runs on, for {@link RunCost}.
     * @return this contender
     */
    QuarkJobs measured(dev.quark.benchmarks.harness.BenchServers.PostgresSchema schema, String table,
            javax.sql.DataSource dataSource) {
        this.measured = new JobContender.Measured(schema, table, dataSource);
        return this;
    }

    @Override
    public JobContender.@org.jspecify.annotations.Nullable Measured measured() {
        return this.measured;
    }

    /**
     * Returns what the claims of due jobs cost so far.
     * @return the claims, the jobs they returned and the time they took
     */
    ClaimCountingJobStore claims() {
        return this.store;
    }

    @Override
    public void enqueue(int number) {
        this.queue.enqueue(TYPE, number);
    }

    @Override
    public void enqueued() {
        this.enqueued.run();
    }

    @Override
    public void start() {
        this.orchestrator.start();
    }

    @Override
    public boolean allDone(int jobs) {
        return this.store.countByStatus().getOrDefault(JobStatus.SUCCEEDED, 0L) >= jobs;
    }

    @Override
    public void close() {
        try {
            this.orchestrator.close();
        }
        finally {
            try {
                this.backend.close();
            }
            catch (Exception ex) {
                throw new IllegalStateException("Could not remove the jobs' store", ex);
            }
        }
    }
}
