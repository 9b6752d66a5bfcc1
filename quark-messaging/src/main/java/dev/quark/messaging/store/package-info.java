/**
 * The outbox and inbox store SPI: where messages and processed ids are kept, and the fencing rules every outbox store
 * follows. Quark ships in-memory, Redis and PostgreSQL stores, held to the same behaviour by
 * {@code OutboxStoreContractTests} and {@code InboxStoreContractTests} in {@code quark-testkit}. The Redis and
 * PostgreSQL outbox stores can also append messages with an actor's state ({@link StateAttachingOutboxStore}).
 */
@NullMarked
package dev.quark.messaging.store;

import org.jspecify.annotations.NullMarked;
