package dev.quark.jobs.runtime;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

import dev.quark.jobs.Job;
import dev.quark.jobs.JobPage;
import dev.quark.jobs.JobQuery;
import dev.quark.jobs.store.JobLeases;
import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.memory.InMemoryJobStore;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.memory.InMemoryLeaseStore;

/**
 * Two orchestrators sharing one in-memory store and lease store: two nodes in one JVM. The lease store's clock runs
 * ahead on demand, which is how a lease is made to expire at once.
 */
class InMemoryTwoNodeOrchestratorTests extends TwoNodeOrchestratorTests {

    private final LeaseClock leaseClock = new LeaseClock();

    private final InMemoryJobStore store = new InMemoryJobStore();

    private final InMemoryLeaseStore leases = new InMemoryLeaseStore(this.leaseClock);

    @Override
    protected JobStore store() {
        return this.store;
    }

    @Override
    protected LeaseStore leases() {
        return this.leases;
    }

    @Override
    protected void expireLease(String resource) {
        // Every lease of these tests lasts 30 s (the orchestrators' default): moving the lease clock past that
        // expires the one held.
        this.leaseClock.skip(Duration.ofSeconds(31));
    }

    @Override
    protected long heldJobLeases() {
        long held = 0;
        JobPage page = this.store.list(JobQuery.all().limit(1000));
        for (int pages = 0; pages < 1000; pages++) {
            for (Job job : page.jobs()) {
                held += this.leases.holder(JobLeases.resource(job.id())).isPresent() ? 1 : 0;
            }
            if (page.next() == null) {
                break;
            }
            page = this.store.list(JobQuery.all().limit(1000).after(page.next()));
        }
        return held;
    }

    /** The system clock, plus what {@link #skip} added. */
    private static final class LeaseClock extends Clock {

        private final AtomicLong skippedMillis = new AtomicLong();

        void skip(Duration duration) {
            this.skippedMillis.addAndGet(duration.toMillis());
        }

        @Override
        public ZoneId getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(ZoneId zone) {
            throw new UnsupportedOperationException();
        }

        @Override
        public Instant instant() {
            return Instant.now().plusMillis(this.skippedMillis.get());
        }
    }
}
