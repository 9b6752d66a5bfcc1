package dev.quark.jobs.store.memory;

import java.time.Clock;

import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.WorkflowStore;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.testkit.jobs.WorkflowStoreContractTests;

class InMemoryWorkflowStoreTests extends WorkflowStoreContractTests {

    private final InMemoryWorkflowStore store = new InMemoryWorkflowStore();

    private final InMemoryJobStore jobs = new InMemoryJobStore();

    private final InMemoryLeaseStore leases = new InMemoryLeaseStore(Clock.systemUTC());

    @Override
    protected WorkflowStore workflowStore() {
        return this.store;
    }

    @Override
    protected JobStore jobStore() {
        return this.jobs;
    }

    @Override
    protected LeaseStore leaseStore() {
        return this.leases;
    }
}
