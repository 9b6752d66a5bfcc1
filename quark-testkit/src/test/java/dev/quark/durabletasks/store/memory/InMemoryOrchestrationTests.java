package dev.quark.durabletasks.store.memory;

import java.time.Clock;

import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.lease.LeaseStore;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.testkit.durabletasks.OrchestrationContractTests;

class InMemoryOrchestrationTests extends OrchestrationContractTests {

    private final InMemoryDurableTaskStore store = new InMemoryDurableTaskStore();

    @Override
    protected DurableTaskStore store() {
        return this.store;
    }

    @Override
    protected LeaseStore leaseStore(Clock clock) {
        return new InMemoryLeaseStore(clock);
    }
}
