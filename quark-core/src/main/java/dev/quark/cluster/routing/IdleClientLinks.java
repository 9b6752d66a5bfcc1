package dev.quark.cluster.routing;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

import dev.quark.cluster.membership.ClusterView;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.transport.Transport;
import org.jspecify.annotations.Nullable;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes the transport's links to cluster clients that went quiet. A silo answers a client at the address its
 * calls carry, so its transport holds links (a gRPC channel) to every client that ever called it; clients are in
 * no view, so no view change lets go of them ({@link DepartedPeers} only forgets where silos lived). Here every
 * envelope's source address that is not where a silo of the view (not dead) lives is noted with the time it was
 * heard from, and a sweep every quarter of the idle timeout {@link Transport#disconnect disconnects} the
 * addresses not heard from for the idle timeout: the links of a client that stopped or moved go, and a client
 * that calls again after a quiet spell gets new ones with its next answer. Addresses the transport holds links to
 * without having heard from them (a late answer reopened them) get the idle timeout from the sweep that first
 * sees them.
 * <p>
 * The time noted for a client is renewed only once it is older than an eighth of the idle timeout, so that a
 * busy client costs a map read per envelope rather than a write; the sweep adds that eighth to the idle
 * timeout, so that no client heard from within the idle timeout loses its links.
 * <p>
 * It also remembers who each client address is (the id and incarnation its envelopes carry), so that a leaving
 * silo can ask the clients it holds links to whether they read its leave ({@link #clientsHeardFrom()},
 * {@link LeaveAnnouncements}).
 */
final class IdleClientLinks implements Consumer<ClusterView>, AutoCloseable {

    private static final Logger logger = LoggerFactory.getLogger(IdleClientLinks.class);

    private final String self;

    private final Transport transport;

    private final Clock clock;

    private final Duration idleTimeout;

    private final RoutingMetrics metrics;

    /** How old a client's noted time may get before an envelope from it renews it, in milliseconds. */
    private final long renewAfterMillis;

    /** Client addresses and when they were last heard from, in the clock's milliseconds. */
    private final Map<SiloAddress, Long> lastHeard = new ConcurrentHashMap<>();

    /** Who each client address was when last heard from: the id and incarnation its envelopes carried. */
    private final Map<SiloAddress, Peer> clientPeers = new ConcurrentHashMap<>();

    /** Where the silos of the current view live that are not dead, this one included. */
    private volatile Set<SiloAddress> silos = Set.of();

    /**
     * Where every silo of the current view lives, dead ones included, {@code null} before the first view: the
     * addresses that are not a client's for {@link #heldLinks()}.
     */
    private volatile @Nullable Set<SiloAddress> inView;

    private @Nullable Thread sweeper;

    private volatile boolean closed;

    IdleClientLinks(String self, Transport transport, Clock clock, Duration idleTimeout, RoutingMetrics metrics) {
        this.self = self;
        this.metrics = metrics;
        this.transport = transport;
        this.clock = clock;
        this.idleTimeout = idleTimeout;
        this.renewAfterMillis = idleTimeout.toMillis() / 8;
    }

    @Override
    public void accept(ClusterView view) {
        Set<SiloAddress> living = new HashSet<>();
        Set<SiloAddress> all = new HashSet<>();
        for (SiloEntry entry : view.membership().silos().values()) {
            all.add(entry.address());
            if (entry.status() != SiloStatus.DEAD) {
                living.add(entry.address());
            }
        }
        this.silos = living;
        this.inView = all;
        living.forEach(this.lastHeard::remove);
        living.forEach(this.clientPeers::remove);
    }

    /**
     * Takes note of an envelope from a client or a silo: as {@link #heardFrom(SiloAddress)}, and, for a client,
     * of the id and incarnation its envelopes carry (written only when they change).
     * @param address the envelope's source address
     * @param sourceId the envelope's source id
     * @param sourceEpoch the envelope's source incarnation
     */
    void heardFrom(SiloAddress address, String sourceId, long sourceEpoch) {
        if (this.silos.contains(address)) {
            return;
        }
        heardFrom(address);
        Peer known = this.clientPeers.get(address);
        if (known == null || known.epoch() != sourceEpoch || !known.siloId().equals(sourceId)) {
            this.clientPeers.put(address, new Peer(sourceId, sourceEpoch, address));
        }
    }

    /**
     * Returns the clients heard from and not closed for being idle: who sent envelopes from the addresses noted
     * as clients' (where no silo of the view that is not dead lives).
     * @return the clients, in no particular order
     */
    List<Peer> clientsHeardFrom() {
        Set<SiloAddress> living = this.silos;
        List<Peer> clients = new ArrayList<>();
        for (Map.Entry<SiloAddress, Peer> client : this.clientPeers.entrySet()) {
            if (!living.contains(client.getKey()) && this.lastHeard.containsKey(client.getKey())) {
                clients.add(client.getValue());
            }
        }
        return clients;
    }

    /**
     * Takes note of an envelope from an address; called for every envelope received, so it only reads a set for
     * the silos' addresses and writes a client's time only when the noted one is older than an eighth of the idle
     * timeout.
     * @param address the envelope's source address
     */
    void heardFrom(SiloAddress address) {
        if (this.silos.contains(address)) {
            return;
        }
        long now = this.clock.millis();
        Long noted = this.lastHeard.get(address);
        if (noted == null || now - noted >= this.renewAfterMillis) {
            this.lastHeard.put(address, now);
        }
    }

    /**
     * Returns when a client address was noted as last heard from, for tests.
     * @param address the address
     * @return the clock's milliseconds, or {@code null} when it is not noted
     */
    @Nullable Long heardAt(SiloAddress address) {
        return this.lastHeard.get(address);
    }

    /**
     * Disconnects the client addresses not heard from for the idle timeout (plus the eighth by which their noted
     * time may lag).
     * @return how many were disconnected
     */
    int sweep() {
        long now = this.clock.millis();
        Set<SiloAddress> living = this.silos;
        for (SiloAddress peer : this.transport.peers()) {
            if (!living.contains(peer)) {
                this.lastHeard.putIfAbsent(peer, now);
            }
        }
        int disconnected = 0;
        long idle = this.idleTimeout.toMillis() + this.renewAfterMillis;
        for (Map.Entry<SiloAddress, Long> heard : this.lastHeard.entrySet()) {
            SiloAddress address = heard.getKey();
            if (living.contains(address)) {
                this.lastHeard.remove(address, heard.getValue());
                this.clientPeers.remove(address);
            }
            else if (now - heard.getValue() >= idle && this.lastHeard.remove(address, heard.getValue())) {
                forget(address);
                this.transport.disconnect(address);
                disconnected++;
            }
        }
        if (disconnected > 0) {
            this.metrics.clientLinksClosed(disconnected);
            logger.debug("Silo {} closed its links to {} client address(es) not heard from for {}", this.self,
                    disconnected, this.idleTimeout);
        }
        return disconnected;
    }

    /**
     * Forgets who a client address was, after its noted time was removed as idle. An envelope from it may have
     * been taken note of in between: {@link #heardFrom(SiloAddress, String, long)} notes the time first and then
     * writes the client only if it is not known, so it may have seen the client still known; it is then put back
     * (unless that envelope already wrote it), or the client would be missing from {@link #clientsHeardFrom()}
     * until its next envelope.
     * @param address the client address
     */
    private void forget(SiloAddress address) {
        Peer removed = this.clientPeers.remove(address);
        if (removed != null && this.lastHeard.containsKey(address)) {
            this.clientPeers.putIfAbsent(address, removed);
        }
    }

    /**
     * Returns how many addresses the transport holds links to where no silo of the view lives, dead or not: the
     * links to cluster clients. Links to a dead silo's address, until {@link DepartedPeers} lets go of them, are
     * not counted, nor any link before the first view, when the silos' links cannot be told from the clients'.
     * Copies the transport's peers: for a gauge, not for every envelope.
     * @return the count
     */
    int heldLinks() {
        Set<SiloAddress> known = this.inView;
        if (known == null) {
            return 0;
        }
        int held = 0;
        for (SiloAddress peer : this.transport.peers()) {
            if (!known.contains(peer)) {
                held++;
            }
        }
        return held;
    }

    /**
     * Returns how many client addresses are noted, for tests.
     * @return the count
     */
    int clients() {
        return this.lastHeard.size();
    }

    /**
     * Starts sweeping every quarter of the idle timeout, on a virtual thread, until closed.
     */
    synchronized void start() {
        if (this.sweeper != null || this.closed) {
            return;
        }
        long interval = Math.max(TimeUnit.MILLISECONDS.toNanos(10), this.idleTimeout.toNanos() / 4);
        this.sweeper = Thread.ofVirtual().name("quark-idle-client-links-" + this.self).start(() -> {
            while (!this.closed) {
                LockSupport.parkNanos(interval);
                if (Thread.interrupted() || this.closed) {
                    return;
                }
                try {
                    sweep();
                }
                catch (RuntimeException ex) {
                    logger.warn("Silo {} could not close its links to quiet clients", this.self, ex);
                }
            }
        });
    }

    @Override
    public synchronized void close() {
        this.closed = true;
        Thread running = this.sweeper;
        if (running != null) {
            running.interrupt();
        }
    }
}
