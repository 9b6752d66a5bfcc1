package dev.quark.cluster.transport.injvm;

import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;
import dev.quark.cluster.transport.SiloUnreachableException;

/**
 * The wire between the silos of one JVM: every {@link InJvmTransport} made by {@link #transport()} listens on
 * it, at an address of its own ({@code injvm:<n>}). Envelopes are delivered asynchronously, on virtual
 * threads, never on the sender's thread; each lane of each pair of silos in the order sent.
 * <p>
 * Tests break it on purpose: {@link #cut(String, String)} drops the link between two silos in both
 * directions (sends fail, envelopes still in flight are lost) until {@link #heal(String, String)};
 * {@link #isolate(String)} cuts every link of one silo, also to silos that start later, until
 * {@link #reconnect(String)}; a silo whose transport is closed is gone, like a killed process: sends to it fail and
 * what was in flight to it is lost.
 */
public final class InJvmNetwork implements AutoCloseable {

    private static final String HOST = "injvm";

    private final Map<SiloAddress, InJvmEndpoint> endpoints = new ConcurrentHashMap<>();

    private final Set<Link> cutLinks = ConcurrentHashMap.newKeySet();

    private final Set<String> isolated = ConcurrentHashMap.newKeySet();

    private final AtomicInteger nextPort = new AtomicInteger(1);

    private final ExecutorService deliveries = Executors
        .newThreadPerTaskExecutor(Thread.ofVirtual().name("quark-injvm-", 0).factory());

    /**
     * Creates a transport for one silo of this network.
     * @return a transport that is not listening yet
     */
    public InJvmTransport transport() {
        return new InJvmTransport(this);
    }

    /**
     * Cuts the link between two silos, in both directions: sends between them fail with a
     * {@link SiloUnreachableException} and envelopes in flight between them are lost.
     * @param siloA one silo id
     * @param siloB the other
     */
    public void cut(String siloA, String siloB) {
        this.cutLinks.add(Link.of(siloA, siloB));
    }

    /**
     * Restores the link between two silos.
     * @param siloA one silo id
     * @param siloB the other
     */
    public void heal(String siloA, String siloB) {
        this.cutLinks.remove(Link.of(siloA, siloB));
    }

    /**
     * Cuts every link of a silo, in both directions, as a process that stopped answering and sending would be
     * cut off (a long pause, a network partition around its host): sends to and from it fail with a
     * {@link SiloUnreachableException} and envelopes in flight to and from it are lost, also on links to silos that
     * start while it is isolated. The links {@link #cut(String, String)} one by one stay as they are.
     * @param siloId the silo id
     */
    public void isolate(String siloId) {
        this.isolated.add(Objects.requireNonNull(siloId, "siloId must not be null"));
    }

    /**
     * Ends the isolation of a silo: its links are up again, except those {@link #cut(String, String)} one by one.
     * @param siloId the silo id
     */
    public void reconnect(String siloId) {
        this.isolated.remove(Objects.requireNonNull(siloId, "siloId must not be null"));
    }

    /**
     * Restores every cut link and ends every isolation.
     */
    public void healAll() {
        this.cutLinks.clear();
        this.isolated.clear();
    }

    /**
     * Returns whether the link between two silos is cut, one by one or because either silo is isolated.
     * @param siloA one silo id
     * @param siloB the other
     * @return {@code true} while cut
     */
    public boolean isCut(String siloA, String siloB) {
        return this.isolated.contains(siloA) || this.isolated.contains(siloB)
                || this.cutLinks.contains(Link.of(siloA, siloB));
    }

    /**
     * Returns the silos listening now.
     * @return their ids, sorted
     */
    public Set<String> silos() {
        Set<String> ids = new TreeSet<>();
        this.endpoints.values().forEach((endpoint) -> ids.add(endpoint.siloId()));
        return ids;
    }

    SiloAddress register(String siloId, EnvelopeHandler handler) {
        int port = this.nextPort.getAndIncrement();
        if (port > 65535) {
            throw new IllegalStateException("The in-JVM network has no port left for silo " + siloId);
        }
        SiloAddress address = new SiloAddress(HOST, port);
        this.endpoints.put(address, new InJvmEndpoint(siloId, address, handler, this));
        return address;
    }

    void unregister(SiloAddress address) {
        this.endpoints.remove(address);
    }

    CompletionStage<Void> send(String sourceSilo, SiloAddress target, Envelope envelope) {
        InJvmEndpoint endpoint = this.endpoints.get(target);
        if (endpoint == null) {
            return CompletableFuture.failedFuture(new SiloUnreachableException("Silo " + sourceSilo
                    + " cannot reach silo " + envelope.targetSiloId() + " at " + target + ": nobody listens there"));
        }
        if (isCut(sourceSilo, endpoint.siloId())) {
            return CompletableFuture.failedFuture(new SiloUnreachableException("Silo " + sourceSilo
                    + " cannot reach silo " + endpoint.siloId() + " at " + target + ": the link between them is cut"));
        }
        endpoint.enqueue(sourceSilo, envelope);
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Returns whether an envelope that was handed over may still be handled: its target still listens and its
     * link was not cut in the meantime.
     */
    boolean isDeliverable(String sourceSilo, InJvmEndpoint endpoint) {
        return this.endpoints.get(endpoint.address()) == endpoint && !isCut(sourceSilo, endpoint.siloId());
    }

    ExecutorService deliveries() {
        return this.deliveries;
    }

    /**
     * Disconnects every silo and stops delivering.
     */
    @Override
    public void close() {
        this.endpoints.clear();
        this.deliveries.shutdown();
    }

    private record Link(String first, String second) {

        static Link of(String siloA, String siloB) {
            Objects.requireNonNull(siloA, "siloA must not be null");
            Objects.requireNonNull(siloB, "siloB must not be null");
            return (siloA.compareTo(siloB) <= 0) ? new Link(siloA, siloB) : new Link(siloB, siloA);
        }
    }
}
