package dev.quark.messaging.store.memory;

import dev.quark.messaging.store.OutboxStore;
import dev.quark.testkit.messaging.OutboxStoreContractTests;

class InMemoryOutboxStoreTests extends OutboxStoreContractTests {

    private final InMemoryOutboxStore store = new InMemoryOutboxStore();

    @Override
    protected OutboxStore store() {
        return this.store;
    }
}
