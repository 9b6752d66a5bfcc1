package dev.quark.benchmarks.outbox;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Locale;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import org.jspecify.annotations.Nullable;
import org.slf4j.LoggerFactory;

import dev.quark.lease.LeaseStore;
import dev.quark.lease.memory.InMemoryLeaseStore;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.runtime.OutboxDispatcher;
import dev.quark.messaging.runtime.Partitioner;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.OutboxStore;

/**
 * Drains a store's pending messages with a running {@link OutboxDispatcher}, one dispatcher per drain, all of them on
 * one in-memory lease store (one node): the store's partitions keep the stamps of the earlier drains' leases, which a
 * new lease store's tokens would be below.
 */
final class DispatcherDrain {

    /**
     * The loggers that report a store read interrupted by a dispatcher's close: the dispatcher's (a failed delivery of
     * the partition) and, on PostgreSQL, the pool's (the connection closed by the interrupt, evicted).
     */
    private static final List<Logger> closeLoggers = List.of((Logger) LoggerFactory.getLogger(OutboxDispatcher.class),
            (Logger) LoggerFactory.getLogger("com.zaxxer.hikari.pool.ProxyConnection"));

    private final OutboxStore store;

    private final int partitions;

    private final int batchSize;

    private final Duration pollInterval;

    private final LeaseStore leases = new InMemoryLeaseStore(Clock.systemUTC());

    DispatcherDrain(OutboxStore store, int partitions, int batchSize, Duration pollInterval) {
        this.store = store;
        this.partitions = partitions;
        this.batchSize = batchSize;
        this.pollInterval = pollInterval;
    }

    /**
     * Starts a dispatcher on the store's pending messages, waits until it recorded them all delivered, closes it and
     * checks that each was delivered once.
     * @param count the messages pending
     * @param receiver the receiver
     * @param limit how long the drain may take
     * @return the messages per second from the dispatcher's start to the last delivery recorded, the receiver's mean
     * time a message, and the share of that time a partition with messages due waited for a round
     */
    Drained drain(int count, Receiver receiver, Duration limit) throws Exception {
        long deliveredBefore = this.store.count(MessageStatus.DELIVERED);
        DeliveryCount recorded = new DeliveryCount(count);
        long start = System.nanoTime();
        PartitionWaits waits = new PartitionWaits(this.store, this.partitions, start);
        OutboxDispatcher dispatcher = OutboxDispatcher
            .builder(waits, this.leases, new Destinations(List.of(receiver.publisher())))
            .partitioner(new Partitioner(this.partitions))
            .batchSize(this.batchSize)
            .pollInterval(this.pollInterval)
            .metrics(recorded)
            .build();
        try {
            dispatcher.start();
            if (!recorded.await(limit)) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%s recorded %,d of %,d messages delivered "
                        + "within %s", this.store, recorded.recorded(), count, limit));
            }
        }
        finally {
            closeQuietly(dispatcher);
        }
        long delivered = this.store.count(MessageStatus.DELIVERED) - deliveredBefore;
        if (delivered != count || receiver.calls() != count) {
            throw new IllegalStateException(String.format(Locale.ROOT, "%s holds %,d more messages delivered after "
                    + "%,d were, with %,d calls of the receiver", this.store, delivered, count, receiver.calls()));
        }
        long nanos = recorded.lastNanos() - start;
        return new Drained(count / (nanos / 1e9), receiver.meanMillis(), waits.meanShareOf(nanos));
    }

    /**
     * Closes a dispatcher whose messages were all delivered. Its rounds go on until then, reading every partition each
     * poll interval; a read in flight when the close interrupts it is logged at WARN with its stack trace, by the
     * dispatcher and by the pool, which says nothing about the drain: such warnings are left out while it closes.
     */
    private static void closeQuietly(OutboxDispatcher dispatcher) {
        List<@Nullable Level> levels = closeLoggers.stream().map(Logger::getLevel).toList();
        closeLoggers.forEach((logger) -> logger.setLevel(Level.ERROR));
        try {
            dispatcher.close();
        }
        finally {
            for (int i = 0; i < closeLoggers.size(); i++) {
                closeLoggers.get(i).setLevel(levels.get(i));
            }
        }
    }

    /**
     * What a drain measured.
     * @param rate the messages per second
     * @param receiverMillis the receiver's mean time a message, 0 for one answering at once
     * @param waiting the mean share of the drain a partition had messages due and no delivery running
     */
    record Drained(double rate, double receiverMillis, double waiting) {
    }
}
