package dev.quark.state.memory;

import dev.quark.state.StateStore;
import dev.quark.testkit.state.StateStoreContractTests;

class InMemoryStateStoreTests extends StateStoreContractTests {

    private final InMemoryStateStore store = new InMemoryStateStore();

    @Override
    protected StateStore store() {
        return this.store;
    }
}
