package dev.quark.messaging.store.memory;

import dev.quark.messaging.store.InboxStore;
import dev.quark.testkit.messaging.InboxStoreContractTests;

class InMemoryInboxStoreTests extends InboxStoreContractTests {

    private final InMemoryInboxStore store = new InMemoryInboxStore();

    @Override
    protected InboxStore store() {
        return this.store;
    }
}
