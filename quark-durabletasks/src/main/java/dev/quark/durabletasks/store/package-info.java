/**
 * The SPI that keeps durable tasks: instances, their histories and the queues of work (messages to instances,
 * activity calls), with the in-memory implementation in {@code store.memory} and the PostgreSQL one in
 * {@code store.jdbc}. One abstract contract test suite in {@code quark-testkit}
 * ({@code dev.quark.testkit.durabletasks.DurableTaskStoreContractTests}) holds every store to the same behaviour.
 */
@NullMarked
package dev.quark.durabletasks.store;

import org.jspecify.annotations.NullMarked;
