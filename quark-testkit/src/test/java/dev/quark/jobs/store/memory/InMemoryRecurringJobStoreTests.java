package dev.quark.jobs.store.memory;

import dev.quark.jobs.store.JobStore;
import dev.quark.jobs.store.RecurringJobStore;
import dev.quark.testkit.jobs.RecurringJobStoreContractTests;

class InMemoryRecurringJobStoreTests extends RecurringJobStoreContractTests {

    private final InMemoryJobStore jobs = new InMemoryJobStore();

    private final InMemoryRecurringJobStore store = new InMemoryRecurringJobStore(this.jobs);

    @Override
    protected RecurringJobStore recurringStore() {
        return this.store;
    }

    @Override
    protected JobStore jobStore() {
        return this.jobs;
    }
}
