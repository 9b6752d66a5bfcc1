package dev.quark.cluster.transport.injvm;

import java.util.Queue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One silo listening on an {@link InJvmNetwork}: a queue per sending silo and lane, each drained in order by
 * one virtual thread at a time while it holds envelopes.
 */
final class InJvmEndpoint {

    private static final Logger logger = LoggerFactory.getLogger(InJvmEndpoint.class);

    private final String siloId;

    private final SiloAddress address;

    private final EnvelopeHandler handler;

    private final InJvmNetwork network;

    private final ConcurrentHashMap<LaneKey, LaneQueue> lanes = new ConcurrentHashMap<>();

    InJvmEndpoint(String siloId, SiloAddress address, EnvelopeHandler handler, InJvmNetwork network) {
        this.siloId = siloId;
        this.address = address;
        this.handler = handler;
        this.network = network;
    }

    String siloId() {
        return this.siloId;
    }

    SiloAddress address() {
        return this.address;
    }

    void enqueue(String sourceSilo, Envelope envelope) {
        this.lanes.computeIfAbsent(new LaneKey(sourceSilo, envelope.kind().lane()), LaneQueue::new).offer(envelope);
    }

    private record LaneKey(String sourceSilo, Envelope.Lane lane) {
    }

    /**
     * The envelopes of one sender on one lane: whoever adds to an empty queue starts the thread that drains it.
     */
    private final class LaneQueue {

        private final LaneKey key;

        private final Queue<Envelope> envelopes = new ConcurrentLinkedQueue<>();

        private final AtomicInteger size = new AtomicInteger();

        LaneQueue(LaneKey key) {
            this.key = key;
        }

        void offer(Envelope envelope) {
            this.envelopes.add(envelope);
            if (this.size.getAndIncrement() == 0) {
                InJvmEndpoint.this.network.deliveries().execute(this::drain);
            }
        }

        private void drain() {
            do {
                Envelope envelope = this.envelopes.poll();
                if (envelope != null) {
                    deliver(envelope);
                }
            }
            while (this.size.decrementAndGet() > 0);
        }

        private void deliver(Envelope envelope) {
            if (!InJvmEndpoint.this.network.isDeliverable(this.key.sourceSilo(), InJvmEndpoint.this)) {
                logger.debug("Lost {}: silo {} is gone or cut off from {}", envelope, InJvmEndpoint.this.siloId,
                        this.key.sourceSilo());
                return;
            }
            try {
                InJvmEndpoint.this.handler.receive(envelope);
            }
            catch (RuntimeException ex) {
                logger.warn("Silo {} failed to handle {}", InJvmEndpoint.this.siloId, envelope, ex);
            }
        }
    }
}
