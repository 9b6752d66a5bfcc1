package dev.quark.autoconfigure.cluster;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BooleanSupplier;

import dev.quark.cluster.client.ClientIdConflictException;
import dev.quark.cluster.client.ClientMembership;
import dev.quark.cluster.routing.SiloRouting;

import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.SmartLifecycle;

/**
 * Starts reading the membership table when a cluster client's context starts (in the phase a silo joins in:
 * after the actor runtime) and, when it stops, waits at most the leave timeout for the answers to the calls in
 * flight, then stops reading and closes the routing. There is nothing to leave: a client is not a member.
 * <p>
 * When a {@link LateJoin} says so (the gRPC transport served by Spring Boot's gRPC server, whose lifecycle starts
 * last of all), starting does not read the table: {@link #connect()} is called once the server listens. Until
 * then the client's view has no silo, so its calls fail at once with a
 * {@link dev.quark.cluster.NoActiveSiloException} instead of going to silos whose answers would find no server
 * and leave the calls waiting for their timeout. A first read that finds a silo with the client's id fails the
 * start, naming {@code quark.cluster.silo.id}.
 */
final class ClusterClientLifecycle implements SmartLifecycle {

    private final ClientMembership membership;

    private final SiloRouting routing;

    private final Duration leaveTimeout;

    private final BooleanSupplier connectsLater;

    private final AtomicBoolean started = new AtomicBoolean();

    private final AtomicBoolean connected = new AtomicBoolean();

    private final AtomicBoolean stopped = new AtomicBoolean();

    /**
     * Creates the lifecycle.
     * @param connectsLater asked when the lifecycle starts: whether reading the table waits for {@link #connect()}
     */
    ClusterClientLifecycle(ClientMembership membership, SiloRouting routing, Duration leaveTimeout,
            BooleanSupplier connectsLater) {
        this.membership = membership;
        this.routing = routing;
        this.leaveTimeout = leaveTimeout;
        this.connectsLater = connectsLater;
    }

    @Override
    public void start() {
        if (this.started.compareAndSet(false, true) && !this.connectsLater.getAsBoolean()) {
            connect();
        }
    }

    /**
     * Starts reading the table, from which on the client routes its calls to the silos; does nothing when it
     * reads already or has stopped.
     * @throws InvalidConfigurationPropertyValueException naming {@code quark.cluster.silo.id} when a silo that is
     * not dead has the client's id
     */
    void connect() {
        if (this.stopped.get() || !this.connected.compareAndSet(false, true)) {
            return;
        }
        try {
            this.membership.start();
        }
        catch (ClientIdConflictException ex) {
            throw new InvalidConfigurationPropertyValueException("quark.cluster.silo.id", ex.getClientId(),
                    String.valueOf(ex.getMessage()));
        }
    }

    @Override
    public void stop() {
        if (!this.started.get() || !this.stopped.compareAndSet(false, true)) {
            return;
        }
        try {
            this.routing.awaitIdle(this.leaveTimeout);
        }
        finally {
            this.membership.close();
            this.routing.sayGoodbye();
            this.routing.close();
        }
    }

    @Override
    public boolean isRunning() {
        return this.started.get() && !this.stopped.get();
    }

    @Override
    public int getPhase() {
        return ClusterSiloLifecycle.PHASE;
    }
}
