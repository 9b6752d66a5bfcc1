package dev.quark.cluster.transport.grpc;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import java.util.function.Predicate;

import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.TransportSecurity;
import dev.quark.cluster.transport.Envelope;
import dev.quark.cluster.transport.EnvelopeHandler;
import dev.quark.cluster.transport.Transport;
import io.grpc.BindableService;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallExecutorSupplier;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.NettyServerBuilder;
import org.jspecify.annotations.Nullable;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link Transport} between silos in separate processes, over gRPC (HTTP/2). Each silo sends to a peer
 * over long-lived bidirectional {@code Link} streams, one per {@link Envelope.Lane lane} (calls, replies,
 * probes), so that large calls never hold back answers or probes; calls of one lane are multiplexed on their
 * stream, in order. The peer's answers come back over the peer's own streams to this silo.
 * <ul>
 * <li><b>Handshake</b>: the first frame of a stream names the cluster and the protocol version
 * ({@link #PROTOCOL_VERSION}); a silo refuses a peer of another cluster or version, naming both values, and
 * sends to it fail with a {@link HandshakeRefusedException}; a TLS handshake that fails (a certificate the other
 * side does not trust, none where one is required, a peer that does not speak TLS) fails them with a
 * {@link TlsHandshakeException} carrying the TLS failure.</li>
 * <li><b>Flow control</b>: a sender writes only while gRPC says the stream is ready; a receiver asks for
 * {@link GrpcTransportSettings#inboundWindow()} envelopes ahead and, after each half window handled, that many
 * more. At most
 * {@link GrpcTransportSettings#maxInFlight()} envelopes are in flight per peer and lane (waiting to be
 * written, or waiting for their answer); more fail at once with a {@link PeerOverloadedException}.</li>
 * <li><b>Failures</b>: when a stream breaks, what waits to be written fails with a {@link LinkBrokenException},
 * the requests written on it that had no answer are reported to {@link EnvelopeHandler#inDoubt} (they may
 * or may not have been handled; the caller's call fails with a {@code LinkBrokenException}, or is sent once
 * more when its method is {@link dev.quark.actor.Idempotent}), those the receiver refused to
 * {@link EnvelopeHandler#lost}, and the stream is opened again on the next send after a
 * back-off, or as soon as the back-off is over when a sender asks to {@link #reconnect} (the retry of an
 * idempotent call goes out on the new stream). A link this transport closes itself ({@link #forget},
 * {@link #disconnect}) reports the requests written on it that had no answer to {@link EnvelopeHandler#inDoubt}
 * too. gRPC keep-alive pings find dead connections.</li>
 * <li><b>Goodbye</b>: a silo that stops gracefully calls {@link #sayGoodbye} before {@link #close()}: it writes a
 * {@code Goodbye} on every stream of calls or probes peers opened to it, and a peer writes nothing more there (what
 * waited to be written fails as not sent, so the silo routes it again) and half-closes the stream; the closing silo
 * handles what was written before and waits until its handler answered it, then, in {@code close}, writes what waits
 * in its own links (the answers among it) and lets its channels end their streams before it closes them. A peer
 * waits {@link GrpcTransportSettings#goodbyeTimeout()} for the answers to the requests it had written on a stream that
 * said goodbye, and reports only those still unanswered then in doubt; the closing silo waits as long in all for its
 * peers and its answers, and at least a quarter of it for its last writes. A peer from before the goodbye ignores it:
 * the closing silo waits the timeout and closes as before.</li>
 * <li><b>Limits</b>: an envelope larger than {@link GrpcTransportSettings#maxMessageSize()}, or beyond the bounds
 * every silo receives envelopes within (metadata entries, lengths of names and metadata keys, blank metadata keys),
 * is not sent ({@link EnvelopeRejectedException}); a malformed one, or one meant for another silo, is refused by the
 * receiver with a reason sent back to the sender, and the stream carries on. A stream of frames no Quark silo
 * sends is ended, and counted in {@link GrpcTransportMetrics}.</li>
 * </ul>
 * The receiving side is a {@link BindableService} ({@link #bindableService()}): either served by the
 * application's gRPC server ({@link #served}, as Quark's Spring Boot wiring does) or by a server of the
 * transport's own ({@link #selfHosted}). Either reads frames with a marshaller that never throws, carried by the
 * service's definition ({@code UnreadableFrames}: an unreadable frame is refused, and its stream carries on).
 * Connections use TLS when the transport is given {@link SiloTls} (mutual
 * TLS when its server requires client certificates), plaintext otherwise. The channels to peers are always the
 * transport's own; a served transport's server takes its TLS from {@link SiloTls#keyManager()} and
 * {@link SiloTls#trustManager()}.
 */
public final class GrpcTransport implements Transport {

    private static final Logger logger = LoggerFactory.getLogger(GrpcTransport.class);

    /** The version of the protocol between silos, checked in every handshake. */
    public static final int PROTOCOL_VERSION = 1;

    /** The most forgotten addresses remembered, so that the memory of them is bounded too. */
    private static final int MAX_DEPARTED = 4096;

    private final GrpcTransportSettings settings;

    private final @Nullable InetSocketAddress bindAddress;

    private final @Nullable SiloAddress advertised;

    /** The host this silo advertises, once started: its links say it in their handshakes. */
    private volatile String selfHost = "";

    private final Clock clock;

    private final @Nullable SiloTls tls;

    /** Held through a renewal of the connections: two renewals at once could leave a link on a channel shut down. */
    private final Object renewalLock = new Object();

    /**
     * Which update of this silo's TLS material its peers are asked to renew their links for; starts anywhere, so that
     * a silo restarted at the same address is not taken for one whose update a peer handled already.
     */
    private final AtomicLong tlsGeneration = new AtomicLong(
            ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE / 2));

    /** Guarded by renewalLock: the last update of each peer's material its links were renewed for. */
    private final Map<SiloAddress, Long> renewalsHandled = new HashMap<>();

    /** Stops the renewals of the connections when the TLS material is updated: the transport closed. */
    private final Runnable stopRenewals;

    private final ExecutorService deliveries = Executors
        .newThreadPerTaskExecutor(Thread.ofVirtual().name("quark-grpc-in-", 0).factory());

    private final OutstandingRequests outstanding;

    private final SiloTransportService service;

    private final GrpcTransportMetrics metrics;

    private final Map<SiloAddress, ManagedChannel> channels = new ConcurrentHashMap<>();

    private final Map<LinkKey, PeerLink> links = new ConcurrentHashMap<>();

    private final Object lock = new Object();

    /**
     * Held while a link is added or a peer forgotten, so that no new link takes a channel being shut down, and while
     * the close takes the links and channels it ends, so that no link or channel is added after it that nothing
     * closes (a send asks again under it whether the transport closed).
     */
    private final Object peersLock = new Object();

    /**
     * Guarded by peersLock: the addresses forgotten, oldest first, to which no link is opened for an answer
     * (a late answer to a departed silo would open one that nothing closes); a request or probe there, which
     * only a view with a silo there sends, opens links again.
     */
    private final Set<SiloAddress> departed = new LinkedHashSet<>();

    private @Nullable String siloId;

    private @Nullable EnvelopeHandler handler;

    private @Nullable Server server;

    private volatile boolean closed;

    /**
     * Set when the close, after a goodbye, begins writing what its links hold: the requests sent from then on fail as
     * not sent, since no answer could reach this silo once it closed.
     */
    private volatile boolean closing;

    /** Guarded by lock: when the goodbye said ends, in {@link System#nanoTime()}; 0 when none was said. */
    private long goodbyeDeadline;

    /** Tells the handler of the requests its links' streams will bring no answer to. */
    private final PeerLink.LossListener losses = new PeerLink.LossListener() {

        @Override
        public void lost(long messageId, RuntimeException failure) {
            EnvelopeHandler receiver = GrpcTransport.this.handler;
            if (receiver != null && !GrpcTransport.this.closed) {
                receiver.lost(messageId, failure);
            }
        }

        @Override
        public void inDoubt(long messageId, RuntimeException failure) {
            EnvelopeHandler receiver = GrpcTransport.this.handler;
            if (receiver != null && !GrpcTransport.this.closed) {
                receiver.inDoubt(messageId, failure);
            }
        }
    };

    private GrpcTransport(GrpcTransportSettings settings, @Nullable InetSocketAddress bindAddress,
            @Nullable SiloAddress advertised, @Nullable SiloTls tls, GrpcTransportMetrics metrics, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings must not be null");
        this.bindAddress = bindAddress;
        this.advertised = advertised;
        this.clock = Objects.requireNonNull(clock, "clock must not be null");
        this.tls = tls;
        this.outstanding = new OutstandingRequests(clock);
        this.metrics = Objects.requireNonNull(metrics, "metrics must not be null");
        this.service = new SiloTransportService(settings, this.deliveries, this.outstanding, metrics,
                tls != null && tls.checksHostname());
        this.stopRenewals = (tls != null) ? tls.onUpdate(this::renewConnections) : () -> {
        };
    }

    /**
     * Creates a transport whose receiving side the application serves: it adds {@link #bindableService()} to
     * its gRPC server, listening where {@code advertised} says.
     * @param settings the settings
     * @param advertised where peers reach this silo's gRPC server
     * @return a transport that is not started yet
     */
    public static GrpcTransport served(GrpcTransportSettings settings, SiloAddress advertised) {
        return served(settings, advertised, null);
    }

    /**
     * Creates a transport whose receiving side the application serves, with TLS: its channels to peers use
     * {@code tls}, and the application's server must use {@link SiloTls#keyManager()} and
     * {@link SiloTls#trustManager()}.
     * @param settings the settings
     * @param advertised where peers reach this silo's gRPC server
     * @param tls the silo's TLS material, {@code null} for plaintext
     * @return a transport that is not started yet
     */
    public static GrpcTransport served(GrpcTransportSettings settings, SiloAddress advertised,
            @Nullable SiloTls tls) {
        return served(settings, advertised, tls, GrpcTransportMetrics.NONE);
    }

    /**
     * Creates a transport whose receiving side the application serves, with TLS, reporting to metrics.
     * @param settings the settings
     * @param advertised where peers reach this silo's gRPC server
     * @param tls the silo's TLS material, {@code null} for plaintext
     * @param metrics where the transport reports the streams of peers it ended
     * @return a transport that is not started yet
     */
    public static GrpcTransport served(GrpcTransportSettings settings, SiloAddress advertised,
            @Nullable SiloTls tls, GrpcTransportMetrics metrics) {
        return new GrpcTransport(settings, null, Objects.requireNonNull(advertised, "advertised must not be null"),
                tls, metrics, Clock.systemUTC());
    }

    /**
     * Creates a transport that runs a gRPC server of its own, started by {@link #start}.
     * @param settings the settings
     * @param bindAddress where to listen; port 0 picks a free port
     * @param advertised where peers reach this silo, {@code null} for the bound host and port
     * @return a transport that is not started yet
     */
    public static GrpcTransport selfHosted(GrpcTransportSettings settings, InetSocketAddress bindAddress,
            @Nullable SiloAddress advertised) {
        return selfHosted(settings, bindAddress, advertised, null);
    }

    /**
     * Creates a transport that runs a gRPC server of its own, started by {@link #start}, with TLS on its server
     * and its channels to peers.
     * @param settings the settings
     * @param bindAddress where to listen; port 0 picks a free port
     * @param advertised where peers reach this silo, {@code null} for the bound host and port
     * @param tls the silo's TLS material, {@code null} for plaintext
     * @return a transport that is not started yet
     */
    public static GrpcTransport selfHosted(GrpcTransportSettings settings, InetSocketAddress bindAddress,
            @Nullable SiloAddress advertised, @Nullable SiloTls tls) {
        return selfHosted(settings, bindAddress, advertised, tls, GrpcTransportMetrics.NONE);
    }

    /**
     * Creates a transport that runs a gRPC server of its own, started by {@link #start}, with TLS on its server
     * and its channels to peers, reporting to metrics.
     * @param settings the settings
     * @param bindAddress where to listen; port 0 picks a free port
     * @param advertised where peers reach this silo, {@code null} for the bound host and port
     * @param tls the silo's TLS material, {@code null} for plaintext
     * @param metrics where the transport reports the streams of peers it ended
     * @return a transport that is not started yet
     */
    public static GrpcTransport selfHosted(GrpcTransportSettings settings, InetSocketAddress bindAddress,
            @Nullable SiloAddress advertised, @Nullable SiloTls tls, GrpcTransportMetrics metrics) {
        return new GrpcTransport(settings, Objects.requireNonNull(bindAddress, "bindAddress must not be null"),
                advertised, tls, metrics, Clock.systemUTC());
    }

    /**
     * Returns the receiving side, for a gRPC server to serve.
     * @return the service
     */
    public BindableService bindableService() {
        return this.service;
    }

    /**
     * Returns the settings.
     * @return the settings
     */
    public GrpcTransportSettings settings() {
        return this.settings;
    }

    /**
     * Returns the TLS material of the silo.
     * @return the material, or {@code null} when silos talk in plaintext
     */
    public @Nullable SiloTls tls() {
        return this.tls;
    }

    @Override
    public SiloAddress start(String siloId, EnvelopeHandler handler) {
        Objects.requireNonNull(siloId, "siloId must not be null");
        Objects.requireNonNull(handler, "handler must not be null");
        synchronized (this.lock) {
            if (this.closed || this.siloId != null) {
                throw new IllegalStateException("The gRPC transport of silo " + siloId + " was "
                        + (this.closed ? "closed" : "started already, for silo " + this.siloId));
            }
            this.siloId = siloId;
            this.handler = handler;
            this.service.bind(siloId, handler);
            InetSocketAddress bind = this.bindAddress;
            if (bind == null) {
                SiloAddress served = Objects.requireNonNull(this.advertised);
                this.selfHost = served.host();
                return served;
            }
            try {
                SiloTls serverTls = this.tls;
                Server started = ((serverTls != null) ? NettyServerBuilder.forAddress(bind, serverTls.serverCredentials())
                        : NettyServerBuilder.forAddress(bind))
                    .addService(this.service)
                    // Its only service's callbacks check and queue frames (SiloTransportService): no hand-off.
                    .directExecutor()
                    .maxInboundMessageSize(inboundLimit(this.settings))
                    .keepAliveTime(this.settings.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
                    .keepAliveTimeout(this.settings.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
                    .permitKeepAliveTime(permittedKeepAliveMillis(this.settings), TimeUnit.MILLISECONDS)
                    .permitKeepAliveWithoutCalls(true)
                    .build()
                    .start();
                this.server = started;
                SiloAddress advertisedAddress = this.advertised;
                SiloAddress listening = (advertisedAddress != null) ? advertisedAddress
                        : new SiloAddress(bind.getHostString(), started.getPort());
                this.selfHost = listening.host();
                return listening;
            }
            catch (IOException ex) {
                this.service.unbind();
                throw new UncheckedIOException("Silo " + siloId + " cannot listen for gRPC at " + bind, ex);
            }
        }
    }

    /**
     * Returns the largest message the gRPC server should take: twice the largest envelope, so that an envelope
     * somewhat over the limit is refused with a reason the sender reads, rather than by ending the stream.
     * @param settings the settings
     * @return in bytes
     */
    public static int inboundLimit(GrpcTransportSettings settings) {
        return (int) Math.min(Integer.MAX_VALUE, 2L * settings.maxMessageSize() + 1024);
    }

    /**
     * Returns how often peers may ping a server: half their keep-alive time, so that their pings are never
     * taken for abuse.
     * @param settings the settings
     * @return in milliseconds
     */
    public static long permittedKeepAliveMillis(GrpcTransportSettings settings) {
        return Math.max(1, settings.keepAliveTime().toMillis() / 2);
    }

    /**
     * Returns what an application's gRPC server that serves {@link #bindableService()} gives
     * {@code ServerBuilder.callExecutor}: the calls of the {@code Link} method run their callbacks on the thread
     * that read their frames (Netty's event loop), as on the transport's own server, and every other call on the
     * server's executor. A {@code Link} stream's callbacks only check a frame and queue it for the stream's
     * virtual-thread drain, so they may run there: each envelope is spared a hand-off to the server's executor,
     * and the silo's links keep moving while the application's calls keep that executor busy. The application's
     * server interceptors run there too for {@code Link} frames. gRPC marks {@code callExecutor} experimental, and a
     * server keeps one supplier: an application with its own uses {@link #linkCallsOnTransportThreads(
     * ServerCallExecutorSupplier)}.
     * @return the supplier of executors, one instance for every server
     */
    public static ServerCallExecutorSupplier linkCallsOnTransportThreads() {
        return LinkCallsOnTransportThreads.INSTANCE;
    }

    /**
     * Returns a supplier of executors that places the {@code Link} calls as {@link #linkCallsOnTransportThreads()}
     * does and every other call as the application's own supplier says.
     * @param others the application's supplier, for the calls of its own services
     * @return the supplier to give {@code ServerBuilder.callExecutor}
     */
    public static ServerCallExecutorSupplier linkCallsOnTransportThreads(ServerCallExecutorSupplier others) {
        Objects.requireNonNull(others, "others must not be null");
        return new ServerCallExecutorSupplier() {
            @Override
            public <Q, R> @Nullable Executor getExecutor(ServerCall<Q, R> call, Metadata headers) {
                Executor link = LinkCallsOnTransportThreads.INSTANCE.getExecutor(call, headers);
                return (link != null) ? link : others.getExecutor(call, headers);
            }
        };
    }

    @Override
    public CompletionStage<Void> send(SiloAddress target, Envelope envelope) {
        Objects.requireNonNull(target, "target must not be null");
        Objects.requireNonNull(envelope, "envelope must not be null");
        String self = this.siloId;
        if (this.closed || self == null) {
            return CompletableFuture.failedFuture(new LinkBrokenException("Silo " + envelope.sourceSiloId()
                    + " cannot send " + envelope.kind() + " to silo " + envelope.targetSiloId() + ": its transport is "
                    + (this.closed ? "closed" : "not started")));
        }
        if (this.closing && envelope.kind() == Envelope.Kind.REQUEST) {
            return CompletableFuture.failedFuture(new LinkBrokenException("Silo " + self + " did not send "
                    + envelope.kind() + " to silo " + envelope.targetSiloId() + ": its transport is closing (it said "
                    + "goodbye), and no answer could reach it"));
        }
        LinkKey key = new LinkKey(target, envelope.kind().lane());
        PeerLink link = this.links.get(key);
        if (link == null) {
            synchronized (this.peersLock) {
                if (this.closed) {
                    return CompletableFuture.failedFuture(new LinkBrokenException("Silo " + self + " cannot send "
                            + envelope.kind() + " to silo " + envelope.targetSiloId() + ": its transport is closed"));
                }
                if (envelope.kind().isAnswer() && this.departed.contains(target)) {
                    return CompletableFuture.failedFuture(new LinkBrokenException("Silo " + self + " did not send "
                            + envelope + ": the silo at " + target + " left the cluster"));
                }
                this.departed.remove(target);
                link = this.links.computeIfAbsent(key, (absent) -> new PeerLink(self, this.selfHost, target, absent.lane(),
                        channel(target), this.settings, this.outstanding, this.losses, this::renewalAsked));
            }
        }
        return link.send(envelope);
    }

    /**
     * {@inheritDoc}
     * <p>
     * Here: once the link to the address for the lane has a stream the peer accepted, opened at once when the
     * link has none and is not waiting out its reconnection back-off, otherwise as soon as that is over. Failed at
     * once for an address {@link #forget forgotten} as departed: unlike a request, it does not open links to a silo
     * declared dead again (a send, the only proof the caller still means that address, does).
     */
    @Override
    public CompletionStage<Void> reconnect(SiloAddress address, Envelope.Lane lane) {
        Objects.requireNonNull(address, "address must not be null");
        Objects.requireNonNull(lane, "lane must not be null");
        String self = this.siloId;
        if (this.closed || self == null) {
            return CompletableFuture.failedFuture(new LinkBrokenException("Silo " + self + " cannot reconnect to "
                    + address + ": its transport is " + (this.closed ? "closed" : "not started")));
        }
        LinkKey key = new LinkKey(address, lane);
        PeerLink link = this.links.get(key);
        if (link == null) {
            synchronized (this.peersLock) {
                if (this.closed) {
                    return CompletableFuture.failedFuture(new LinkBrokenException("Silo " + self + " cannot reconnect "
                            + "to " + address + ": its transport is closed"));
                }
                if (this.departed.contains(address)) {
                    return CompletableFuture.failedFuture(new LinkBrokenException("Silo " + self
                            + " did not reconnect to " + address + ": it left the cluster (only a send opens a link "
                            + "to it again)"));
                }
                link = this.links.computeIfAbsent(key, (absent) -> new PeerLink(self, this.selfHost, address, absent.lane(),
                        channel(address), this.settings, this.outstanding, this.losses, this::renewalAsked));
            }
        }
        return link.reconnect();
    }

    @Override
    public void welcome(SiloAddress address) {
        Objects.requireNonNull(address, "address must not be null");
        synchronized (this.peersLock) {
            this.departed.remove(address);
        }
    }

    /**
     * {@inheritDoc}
     * <p>
     * Closes the streams to the address (what waits in them fails with a {@link LinkBrokenException}; requests
     * written on them that had no answer are reported to {@link EnvelopeHandler#inDoubt}) and shuts its channel
     * down. Until a request or probe is sent there again, answers to the address fail at once instead
     * of opening a link.
     */
    @Override
    public void forget(SiloAddress address) {
        synchronized (this.renewalLock) {
            this.renewalsHandled.remove(address);
        }
        closeLinks(address, true, "the silo at " + address + " left the cluster");
    }

    /**
     * {@inheritDoc}
     * <p>
     * Closes the streams to the address (what waits in them fails with a {@link LinkBrokenException}; requests
     * written on them that had no answer are reported to {@link EnvelopeHandler#inDoubt}, as with
     * {@link #forget}) and shuts its channel down;
     * answers and requests sent there later open a new channel and new streams.
     */
    @Override
    public void disconnect(SiloAddress address) {
        closeLinks(address, false, "nothing was heard from " + address + " for a while");
    }

    /** Closes the streams and the channel to an address, noting it as departed when it left the cluster. */
    private void closeLinks(SiloAddress address, boolean departed, String reason) {
        Objects.requireNonNull(address, "address must not be null");
        List<PeerLink> closing = new ArrayList<>();
        ManagedChannel channel;
        synchronized (this.peersLock) {
            for (Envelope.Lane lane : Envelope.Lane.values()) {
                PeerLink link = this.links.remove(new LinkKey(address, lane));
                if (link != null) {
                    closing.add(link);
                }
            }
            channel = this.channels.remove(address);
            if (departed) {
                this.departed.add(address);
                if (this.departed.size() > MAX_DEPARTED) {
                    this.departed.remove(this.departed.iterator().next());
                }
            }
        }
        closing.forEach((link) -> link.close(reason));
        if (channel != null) {
            channel.shutdownNow();
        }
    }

    /**
     * Moves every open link to a new connection, once the TLS material was updated, so that the links use the new
     * certificate and trust too: each peer gets a new channel (a channel of its own makes a full handshake, where a
     * new connection of the old one would resume the old TLS session, certificates and all), each link half-closes
     * its stream and, once the peer ended it, opens the next one on the new channel, without failing what it holds
     * ({@link PeerLink#renew}); the old channels end once their streams did. Then it asks its peers to move the links
     * they opened to it ({@code Renew}), so that those present its new certificate too.
     */
    void renewConnections() {
        long updatedAt = System.currentTimeMillis();
        int moved;
        long generation;
        synchronized (this.renewalLock) {
            moved = renewLocked((address) -> true);
            generation = this.tlsGeneration.incrementAndGet();
        }
        if (!this.closed) {
            countRenewal(GrpcTransportMetrics.LinkRenewalCause.MATERIAL_UPDATED);
        }
        boolean leaving;
        synchronized (this.lock) {
            leaving = this.goodbyeDeadline != 0;
        }
        logger.info("Silo {} moved its {} links to new connections{}: its TLS material was updated", this.siloId, moved,
                leaving ? "" : " and asks its peers to do the same");
        if (!this.closed && !leaving) {
            this.service.askRenewal(generation, updatedAt);
        }
    }

    /**
     * A peer asks for the links to it to move to new connections (its TLS material was updated): they do, once per
     * update of the peer's (it asks on each of its streams).
     */
    private void renewalAsked(SiloAddress peer, long generation) {
        int moved;
        synchronized (this.renewalLock) {
            Long handled = this.renewalsHandled.put(peer, generation);
            if (handled != null && handled == generation) {
                return;
            }
            moved = renewLocked(peer::equals);
        }
        if (!this.closed) {
            countRenewal(GrpcTransportMetrics.LinkRenewalCause.PEER_ASKED);
        }
        if (moved > 0) {
            logger.debug("Silo {} moved its {} links to {} to new connections, as the peer asked", this.siloId, moved,
                    peer);
        }
    }

    /** Counts a renewal; metrics that throw change nothing (the renewal went on, the peers are asked all the same). */
    private void countRenewal(GrpcTransportMetrics.LinkRenewalCause cause) {
        try {
            this.metrics.linksRenewed(cause);
        }
        catch (RuntimeException ex) {
            logger.debug("Could not count a renewal of silo {}'s links: {}", this.siloId, ex.toString());
        }
    }

    /**
     * Gives the peers whose channel the filter picks a new channel and moves their links to it.
     * @return how many links moved
     */
    private int renewLocked(Predicate<SiloAddress> which) {
        List<ManagedChannel> retired = new ArrayList<>();
        List<PeerLink> open;
        Map<SiloAddress, ManagedChannel> renewed = new HashMap<>();
        synchronized (this.peersLock) {
            if (this.closed) {
                return 0;
            }
            for (Map.Entry<SiloAddress, ManagedChannel> peer : this.channels.entrySet()) {
                if (which.test(peer.getKey())) {
                    retired.add(peer.getValue());
                    renewed.put(peer.getKey(), newChannel(peer.getKey()));
                }
            }
            this.channels.putAll(renewed);
            open = this.links.values().stream().filter((link) -> renewed.containsKey(link.target())).toList();
        }
        for (PeerLink link : open) {
            ManagedChannel next = renewed.get(link.target());
            if (next != null) {
                link.renew(next);
            }
        }
        // Graceful: the streams still open on them go on until their peers end them.
        retired.forEach(ManagedChannel::shutdown);
        return open.size();
    }

    /**
     * Returns {@link TransportSecurity#TLS} when this transport was given a {@code SiloTls}, else
     * {@link TransportSecurity#PLAINTEXT}.
     */
    @Override
    public TransportSecurity security() {
        return (this.tls != null) ? TransportSecurity.TLS : TransportSecurity.PLAINTEXT;
    }

    /**
     * {@inheritDoc}
     * <p>
     * Here: the addresses this transport holds a channel or a link to.
     */
    @Override
    public Set<SiloAddress> peers() {
        Set<SiloAddress> peers = new HashSet<>(this.channels.keySet());
        this.links.keySet().forEach((key) -> peers.add(key.target()));
        return peers;
    }

    private ManagedChannel channel(SiloAddress target) {
        return this.channels.computeIfAbsent(target, this::newChannel);
    }

    private ManagedChannel newChannel(SiloAddress address) {
        return channelBuilder(address)
            .keepAliveTime(this.settings.keepAliveTime().toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveTimeout(this.settings.keepAliveTimeout().toMillis(), TimeUnit.MILLISECONDS)
            .keepAliveWithoutCalls(true)
            .build();
    }

    private NettyChannelBuilder channelBuilder(SiloAddress address) {
        SiloTls channelTls = this.tls;
        return (channelTls != null)
                ? NettyChannelBuilder.forAddress(address.host(), address.port(), channelTls.channelCredentials())
                : NettyChannelBuilder.forAddress(address.host(), address.port()).usePlaintext();
    }

    /** Whether the close began writing what its links hold after a goodbye, for tests. */
    boolean isClosing() {
        return this.closing;
    }

    /**
     * Returns how many links are not closed and channels not shut down, for tests: none once the transport closed.
     * @return the count
     */
    int openConnections() {
        int links = (int) this.links.values().stream().filter((link) -> !link.isClosed()).count();
        int channels = (int) this.channels.values().stream().filter((channel) -> !channel.isShutdown()).count();
        return links + channels;
    }

    /**
     * Returns how many messages sent wait for an answer, for tests and metrics.
     * @return the count
     */
    int outstandingRequests() {
        return this.outstanding.size();
    }

    /**
     * {@inheritDoc}
     * <p>
     * Here: writes a {@code Goodbye} on every stream of calls or probes peers opened to this silo and refuses those
     * they open from now on (the streams of replies carry on), and returns once each peer half-closed its stream, what
     * it wrote before was handed to the handler and the handler answered it, or after
     * {@link GrpcTransportSettings#goodbyeTimeout()}.
     */
    @Override
    public void sayGoodbye(BooleanSupplier answered) {
        Objects.requireNonNull(answered, "answered must not be null");
        String self;
        long deadline;
        synchronized (this.lock) {
            self = this.siloId;
            if (this.closed || self == null || this.goodbyeDeadline != 0) {
                return;
            }
            deadline = System.nanoTime() + this.settings.goodbyeTimeout().toNanos();
            // 0 means "none said".
            this.goodbyeDeadline = (deadline != 0) ? deadline : 1;
        }
        this.service.sayGoodbye(self);
        int unended = this.service.awaitFarewells(deadline);
        if (unended > 0) {
            logger.info("Silo {} said goodbye, but {} streams of its peers did not end within {} "
                    + "(quark.cluster.transport.goodbye-timeout): the requests those peers wrote after it are in doubt "
                    + "for them", self, unended, this.settings.goodbyeTimeout());
            return;
        }
        if (!awaitUntil(answered, deadline)) {
            logger.info("Silo {} said goodbye, but did not answer every call it received within {} "
                    + "(quark.cluster.transport.goodbye-timeout): those calls are in doubt for their callers", self,
                    this.settings.goodbyeTimeout());
        }
    }

    /**
     * {@inheritDoc}
     * <p>
     * After a {@link #sayGoodbye goodbye}, first waits, within what is left of its timeout, for the links to write
     * what waits in them, then closes them and lets their channels end their streams; without one, closes at once.
     * Meanwhile, requests (actor calls) sent fail at once as not sent: their answers could not reach this silo once it
     * closed, so written, they would only be in doubt. The silo's own hand-offs, directory requests and probes still
     * go out (they are rare by then, and a refusal would be taken for the peer's: a probe asked by another silo, a
     * hand-off passed on), and so do one-way calls, notices and answers.
     */
    @Override
    public void close() {
        long goodbye;
        synchronized (this.lock) {
            if (this.closed) {
                return;
            }
            goodbye = this.goodbyeDeadline;
        }
        if (goodbye != 0) {
            // However long the goodbye took (a peer from before it uses it all), the last writes get some time.
            long now = System.nanoTime();
            goodbye = now + Math.max(goodbye - now, this.settings.goodbyeTimeout().toNanos() / 4);
            this.closing = true;
            awaitLinksWritten(goodbye);
        }
        Server running;
        synchronized (this.lock) {
            if (this.closed) {
                return;
            }
            this.closed = true;
            running = this.server;
            this.service.unbind();
        }
        this.stopRenewals.run();
        this.service.endAll();
        List<PeerLink> closing;
        List<ManagedChannel> ending;
        synchronized (this.peersLock) {
            closing = List.copyOf(this.links.values());
            ending = List.copyOf(this.channels.values());
        }
        closing.forEach(PeerLink::close);
        if (goodbye != 0) {
            endChannels(ending, goodbye);
        }
        ending.forEach(ManagedChannel::shutdownNow);
        if (running != null) {
            running.shutdownNow();
            try {
                running.awaitTermination(5, TimeUnit.SECONDS);
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        }
        this.deliveries.shutdown();
    }

    /**
     * Waits until no link holds an envelope not yet written, or the deadline passes; looks at every link each time,
     * so that the links opened meanwhile (an answer to a new address, a one-way call) are waited for too.
     */
    private void awaitLinksWritten(long deadlineNanos) {
        awaitUntil(() -> this.links.values().stream().allMatch((link) -> link.queued() == 0), deadlineNanos);
    }

    /**
     * Waits until a condition holds, asking again every millisecond: the goodbye's waits are short and rare.
     * @return whether it held, {@code false} when the deadline passed or the thread was interrupted first
     */
    private static boolean awaitUntil(BooleanSupplier condition, long deadlineNanos) {
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadlineNanos >= 0 || Thread.currentThread().isInterrupted()) {
                return false;
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
        }
        return true;
    }

    /**
     * Shuts the channels down gracefully, so that the frames written before their streams' half-close reach the
     * peers, and waits for them until the deadline; {@code close} then ends what is left.
     */
    private static void endChannels(List<ManagedChannel> open, long deadlineNanos) {
        open.forEach(ManagedChannel::shutdown);
        try {
            for (ManagedChannel channel : open) {
                long remaining = deadlineNanos - System.nanoTime();
                if (remaining <= 0 || !channel.awaitTermination(remaining, TimeUnit.NANOSECONDS)) {
                    return;
                }
            }
        }
        catch (InterruptedException ex) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "GrpcTransport[" + this.siloId + "]";
    }

    private record LinkKey(SiloAddress target, Envelope.Lane lane) {
    }
}
