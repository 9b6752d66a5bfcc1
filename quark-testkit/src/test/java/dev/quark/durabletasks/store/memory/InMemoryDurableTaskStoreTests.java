package dev.quark.durabletasks.store.memory;

import dev.quark.durabletasks.store.DurableTaskStore;
import dev.quark.testkit.durabletasks.DurableTaskStoreContractTests;

class InMemoryDurableTaskStoreTests extends DurableTaskStoreContractTests {

    private final InMemoryDurableTaskStore store = new InMemoryDurableTaskStore();

    @Override
    protected DurableTaskStore store() {
        return this.store;
    }
}
