package dev.quark.jobs.store.memory;

import java.time.Duration;

import dev.quark.jobs.store.JobStore;
import dev.quark.lease.Lease;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.jobs.JobStoreContractTests;

class InMemoryJobStoreTests extends JobStoreContractTests {

    private final ManualClock clock = new ManualClock();

    private final InMemoryLeaseStore leases = new InMemoryLeaseStore(this.clock);

    private final InMemoryJobStore store = new InMemoryJobStore();

    @Override
    protected JobStore store() {
        return this.store;
    }

    @Override
    protected LeaseStore leaseStore() {
        return this.leases;
    }

    @Override
    protected Duration shortDuration() {
        return Duration.ofSeconds(1);
    }

    @Override
    protected void awaitExpiry(Lease lease) {
        if (lease.validUntil().isAfter(this.clock.instant())) {
            this.clock.set(lease.validUntil());
        }
    }
}
