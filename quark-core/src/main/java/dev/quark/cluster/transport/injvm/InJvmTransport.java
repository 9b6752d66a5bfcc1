package dev.quark.cluster.transport.injvm;

import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;
import dev.quark.cluster.transport.SiloUnreachableException;
import dev.quark.cluster.transport.Transport;

import org.jspecify.annotations.Nullable;

/**
 * The {@link Transport} of one silo on an {@link InJvmNetwork}: for tests and the test kit's test cluster,
 * where the silos of a cluster share one JVM. Envelopes are passed as objects, never copied or serialized
 * (the payload is already bytes). Closing it is how a silo disappears from the network.
 */
public final class InJvmTransport implements Transport {

    private final InJvmNetwork network;

    private final Object lock = new Object();

    private @Nullable String siloId;

    private @Nullable SiloAddress address;

    private boolean closed;

    InJvmTransport(InJvmNetwork network) {
        this.network = network;
    }

    @Override
    public SiloAddress start(String siloId, EnvelopeHandler handler) {
        Objects.requireNonNull(siloId, "siloId must not be null");
        Objects.requireNonNull(handler, "handler must not be null");
        synchronized (this.lock) {
            if (this.closed || this.address != null) {
                throw new IllegalStateException("The in-JVM transport of silo " + siloId + " was "
                        + (this.closed ? "closed" : "started already, for silo " + this.siloId));
            }
            this.siloId = siloId;
            this.address = this.network.register(siloId, handler);
            return this.address;
        }
    }

    @Override
    public CompletionStage<Void> send(SiloAddress target, Envelope envelope) {
        String source;
        synchronized (this.lock) {
            source = this.siloId;
            if (this.closed || source == null) {
                return CompletableFuture.failedFuture(new SiloUnreachableException("Silo "
                        + envelope.sourceSiloId() + " cannot send " + envelope.kind() + " to silo "
                        + envelope.targetSiloId() + ": its transport is " + (this.closed ? "closed" : "not started")));
            }
        }
        return this.network.send(source, target, envelope);
    }

    @Override
    public void close() {
        synchronized (this.lock) {
            this.closed = true;
            if (this.address != null) {
                this.network.unregister(this.address);
            }
        }
    }

    @Override
    public String toString() {
        return "InJvmTransport[" + this.siloId + " at " + this.address + "]";
    }
}
