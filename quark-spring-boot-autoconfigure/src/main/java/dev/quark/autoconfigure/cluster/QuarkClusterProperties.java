package dev.quark.autoconfigure.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

import dev.quark.autoconfigure.PropertyChecks;
import dev.quark.autoconfigure.backend.QuarkBackend;
import dev.quark.cluster.membership.MembershipSettings;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.TransportSecurity;
import dev.quark.cluster.membership.jdbc.JdbcMembershipProvider;
import dev.quark.cluster.transport.grpc.GrpcTransportSettings;
import dev.quark.runtime.InvalidSettingException;
import org.jspecify.annotations.Nullable;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.util.unit.DataSize;

/**
 * Configuration of the cluster. The timings' defaults are written out, rather than taken from
 * {@link MembershipSettings.Builder}, so that the configuration metadata shows them; a test checks that they
 * equal the agent's. Validated at start-up: a bad value fails the start with the property's name and value.
 */
@ConfigurationProperties(QuarkClusterProperties.PREFIX)
public class QuarkClusterProperties implements InitializingBean {

    static final String PREFIX = "quark.cluster";

    private static final PropertyChecks CHECKS = new PropertyChecks(PREFIX);

    private static final Duration DEFAULT_REACHABILITY_TIMEOUT = Duration.ofSeconds(10);

    /** Each {@link MembershipSettings} component and the property it comes from, for error messages. */
    private static final Map<String, String> PROPERTIES = Map.ofEntries(Map.entry("clusterName", "name"),
            Map.entry("siloId", "silo.id"), Map.entry("virtualNodes", "virtual-nodes"),
            Map.entry("heartbeatInterval", "heartbeat-interval"), Map.entry("siloTtl", "silo-ttl"),
            Map.entry("fencingMargin", "fencing-margin"), Map.entry("probeInterval", "probe-interval"),
            Map.entry("probeTimeout", "probe-timeout"), Map.entry("missedProbes", "missed-probes"),
            Map.entry("probedPeers", "probed-peers"), Map.entry("votesToDeclareDead", "votes-to-declare-dead"),
            Map.entry("voteExpiry", "vote-expiry"), Map.entry("tableRefreshInterval", "table-refresh-interval"),
            Map.entry("deadSiloRetention", "dead-silo-retention"), Map.entry("leaveTimeout", "leave-timeout"),
            Map.entry("reachabilityTimeout", "reachability-timeout"));

    /**
     * Whether this application is a silo of a cluster. Off by default: one silo, nothing else needed.
     */
    private boolean enabled;

    /**
     * What this application is in the cluster: silo (hosts actors, is a member of the membership table and is
     * placed on the ring) or client (hosts no actors, only reads the membership table and calls the actors of
     * the silos; it needs a membership table shared with them and, on the gRPC transport, a gRPC server at
     * which the silos answer).
     */
    private Mode mode = Mode.SILO;

    /**
     * Name of the cluster; clusters with other names may share one Redis server or PostgreSQL database. Not
     * blank, at most 128 characters, no white space, control characters, '{' or '}'.
     */
    private String name = MembershipSettings.DEFAULT_CLUSTER_NAME;

    /**
     * Points per silo on the hash ring.
     */
    private int virtualNodes = 150;

    /**
     * How often the silo renews its entry in the membership table.
     */
    private Duration heartbeatInterval = Duration.ofSeconds(10);

    /**
     * How long a silo's entry lives without a heartbeat before it is declared dead. Longer than
     * heartbeat-interval + fencing-margin.
     */
    private Duration siloTtl = Duration.ofSeconds(30);

    /**
     * How long before its TTL a silo that could not renew its entry stops serving on its own.
     */
    private Duration fencingMargin = Duration.ofSeconds(5);

    /**
     * How often the silo probes each of the peers it watches.
     */
    private Duration probeInterval = Duration.ofSeconds(1);

    /**
     * How long a direct probe may take; an indirect probe gets twice as long.
     */
    private Duration probeTimeout = Duration.ofSeconds(1);

    /**
     * How many probes in a row a peer must miss before it is probed indirectly and then suspected.
     */
    private int missedProbes = 3;

    /**
     * How many peers each silo probes.
     */
    private int probedPeers = 3;

    /**
     * How many silos must suspect a silo to declare it dead in larger clusters (fewer in clusters of two or
     * three).
     */
    private int votesToDeclareDead = 2;

    /**
     * How long a vote counts. Longer than probe-interval x missed-probes.
     */
    private Duration voteExpiry = Duration.ofSeconds(20);

    /**
     * How often the membership table is read even without a change notification.
     */
    private Duration tableRefreshInterval = Duration.ofSeconds(5);

    /**
     * How long the entry of a dead silo stays in the table before it is removed.
     */
    private Duration deadSiloRetention = Duration.ofHours(1);

    /**
     * How long a graceful leave, on shutdown, waits for the hand-over of the silo's actors and the end of
     * the calls in flight.
     */
    private Duration leaveTimeout = Duration.ofSeconds(30);

    /**
     * How long the start-up waits for the silo to join the cluster. Must be longer than the reachability
     * timeout or the silo TTL plus a probe interval, whichever is longer, plus the probe timeout: after a fast
     * full restart the first silo waits for the entries of the crashed ones to expire before it joins.
     */
    private Duration joinTimeout = Duration.ofSeconds(60);

    /**
     * How long a joining silo keeps probing the active silos (those with a fresh heartbeat) until each of them
     * answered: a silo that still refuses it then (a TLS certificate it does not trust, another cluster name)
     * fails the join, which names the silos and why; when a majority answered, the silo joins with a warning
     * naming the silent ones; otherwise it waits for the silent silos' entries to expire (at most the silo TTL
     * and a probe interval). Must be shorter than the join timeout; when not set, 10 seconds or a third of the
     * join timeout, whichever is shorter, but at least the probe timeout.
     */
    private @Nullable Duration reachabilityTimeout;

    /**
     * Whether a silo that learns it was declared dead rejoins with a new epoch.
     */
    private boolean rejoinAutomatically = true;

    private final Silo silo = new Silo();

    private final Membership membership = new Membership();

    private final Transport transport = new Transport();

    private final String generatedId = UUID.randomUUID().toString();

    /**
     * Returns this silo's id: the configured one, else one generated once per context ({@code silo-<UUID>},
     * or {@code client-<UUID>} for a {@link Mode#CLIENT client}).
     * @return the id
     */
    public String siloId() {
        String id = this.silo.id;
        return (id != null) ? id : ((this.mode == Mode.CLIENT) ? "client-" : "silo-") + this.generatedId;
    }

    /**
     * Returns the agent's settings for this silo, its transport security derived from these properties (TLS with
     * {@code quark.cluster.transport.ssl.bundle} on gRPC, plaintext without, unknown on the in-JVM transport): for
     * validating the properties. The agent's own settings come from
     * {@link #toSettings(SiloAddress, Set, TransportSecurity)}, with what its transport says.
     * @param address where peers reach this silo
     * @param actorTypes the actor types it hosts
     * @return the settings
     * @throws InvalidConfigurationPropertyValueException naming the property with a bad value
     */
    public MembershipSettings toSettings(SiloAddress address, Set<String> actorTypes) {
        return toSettings(address, actorTypes, transportSecurity());
    }

    /**
     * Returns the agent's settings for this silo, publishing exactly what its transport says of its links: a
     * transport that does not say ({@link TransportSecurity#UNKNOWN}, as a custom {@code Transport} bean that does
     * not override {@code security()}) publishes that, not a guess from these properties, since the properties do
     * not describe a transport they did not make.
     * @param address where peers reach this silo
     * @param actorTypes the actor types it hosts
     * @param transportSecurity whether its links use TLS, as its transport says
     * @return the settings
     * @throws InvalidConfigurationPropertyValueException naming the property with a bad value
     */
    public MembershipSettings toSettings(SiloAddress address, Set<String> actorTypes,
            TransportSecurity transportSecurity) {
        try {
            return MembershipSettings.builder(siloId(), address)
                .clusterName(this.name)
                .actorTypes(actorTypes)
                .virtualNodes(this.virtualNodes)
                .heartbeatInterval(this.heartbeatInterval)
                .siloTtl(this.siloTtl)
                .fencingMargin(this.fencingMargin)
                .probeInterval(this.probeInterval)
                .probeTimeout(this.probeTimeout)
                .missedProbes(this.missedProbes)
                .probedPeers(this.probedPeers)
                .votesToDeclareDead(this.votesToDeclareDead)
                .voteExpiry(this.voteExpiry)
                .tableRefreshInterval(this.tableRefreshInterval)
                .deadSiloRetention(this.deadSiloRetention)
                .leaveTimeout(this.leaveTimeout)
                .rejoinAutomatically(this.rejoinAutomatically)
                .reachabilityTimeout(effectiveReachabilityTimeout())
                .transportSecurity(transportSecurity)
                .build();
        }
        catch (InvalidSettingException ex) {
            String property = PROPERTIES.get(ex.getSetting());
            if (property == null) {
                throw ex;
            }
            throw new InvalidConfigurationPropertyValueException(PREFIX + "." + property, valueOf(ex.getSetting()),
                    ex.getReason());
        }
    }

    /**
     * Returns what this silo's membership entry publishes about its links: TLS with
     * {@code quark.cluster.transport.ssl.bundle} on the gRPC transport, plaintext without it, nothing on the in-JVM
     * transport.
     */
    private TransportSecurity transportSecurity() {
        if (this.transport.type != TransportType.GRPC) {
            return TransportSecurity.UNKNOWN;
        }
        return (this.transport.ssl.bundle != null) ? TransportSecurity.TLS : TransportSecurity.PLAINTEXT;
    }

    private Object valueOf(String setting) {
        return switch (setting) {
            case "clusterName" -> "'" + this.name + "'";
            case "siloId" -> "'" + siloId() + "'";
            case "virtualNodes" -> this.virtualNodes;
            case "heartbeatInterval" -> this.heartbeatInterval;
            case "siloTtl" -> this.siloTtl;
            case "fencingMargin" -> this.fencingMargin;
            case "probeInterval" -> this.probeInterval;
            case "probeTimeout" -> this.probeTimeout;
            case "missedProbes" -> this.missedProbes;
            case "probedPeers" -> this.probedPeers;
            case "votesToDeclareDead" -> this.votesToDeclareDead;
            case "voteExpiry" -> this.voteExpiry;
            case "tableRefreshInterval" -> this.tableRefreshInterval;
            case "deadSiloRetention" -> this.deadSiloRetention;
            case "leaveTimeout" -> this.leaveTimeout;
            case "reachabilityTimeout" -> effectiveReachabilityTimeout();
            default -> setting;
        };
    }

    @Override
    public void afterPropertiesSet() {
        if (!this.enabled) {
            return;
        }
        if (this.name.indexOf('{') >= 0 || this.name.indexOf('}') >= 0) {
            throw CHECKS.invalid("name", this.name, "must not contain '{' or '}' (the Redis membership table uses the name "
                    + "as a hash tag)");
        }
        if (this.name.length() > JdbcMembershipProvider.MAX_CLUSTER_NAME_LENGTH) {
            throw CHECKS.invalid("name", this.name, "must be at most " + JdbcMembershipProvider.MAX_CLUSTER_NAME_LENGTH
                    + " characters long");
        }
        Integer port = this.silo.advertisedPort;
        if (port != null && (port < 1 || port > 65535)) {
            throw CHECKS.invalid("silo.advertised-port", port, "must be between 1 and 65535");
        }
        String host = this.silo.advertisedAddress;
        if (host != null && host.isBlank()) {
            throw CHECKS.invalid("silo.advertised-address", "'" + host + "'", "must not be blank");
        }
        CHECKS.positive("join-timeout", this.joinTimeout);
        Duration reachability = this.reachabilityTimeout;
        if (reachability != null) {
            CHECKS.positive("reachability-timeout", reachability);
        }
        if (reachability != null && reachability.compareTo(this.joinTimeout) >= 0) {
            throw CHECKS.invalid("reachability-timeout", reachability, "must be shorter than "
                    + PREFIX + ".join-timeout (" + this.joinTimeout + "), or the start-up would give up before "
                    + "the silo could say which peers it cannot reach");
        }
        validateTransport();
        for (String pkg : this.transport.allowedExceptionPackages) {
            if (pkg == null || pkg.isBlank() || pkg.startsWith(".") || pkg.endsWith(".")) {
                throw CHECKS.invalid("transport.allowed-exception-packages", "'" + pkg + "'", "must be package names");
            }
        }
        validateJoinTimeout(toSettings(new SiloAddress("localhost", 1), Set.of()));
    }

    /**
     * The join timeout must outlast the longest a joining silo decides in: the reachability timeout or the wait
     * for the entries of silent peers to expire (the silo TTL and a probe interval), whichever is later, plus
     * the probe of that last round; otherwise the first silo of a fast full restart fails its start with a
     * timeout instead of joining.
     */
    private void validateJoinTimeout(MembershipSettings settings) {
        Duration reachability = settings.reachabilityTimeout();
        Duration needed = settings.longestJoinCheck();
        if (this.joinTimeout.compareTo(needed) <= 0) {
            throw CHECKS.invalid("join-timeout", this.joinTimeout, "must be longer than " + needed + ": the longer of "
                    + PREFIX + ".reachability-timeout (" + reachability + ((this.reachabilityTimeout == null)
                            ? ", derived from the join timeout" : "") + ") and " + PREFIX + ".silo-ttl ("
                    + this.siloTtl + ") + " + PREFIX + ".probe-interval (" + this.probeInterval + "), plus "
                    + PREFIX + ".probe-timeout (" + this.probeTimeout + "): a joining silo may wait that long for "
                    + "the entries of crashed silos to expire after a full restart");
        }
    }

    private void validateTransport() {
        Transport t = this.transport;
        long maxMessageSize = t.maxMessageSize.toBytes();
        if (maxMessageSize < 1024 || maxMessageSize > Integer.MAX_VALUE / 2) {
            throw CHECKS.invalid("transport.max-message-size", t.maxMessageSize, "must be between 1KB and 1GB");
        }
        if (t.maxInFlight < 1) {
            throw CHECKS.invalid("transport.max-in-flight", t.maxInFlight, "must be at least 1");
        }
        if (t.inboundWindow < 1) {
            throw CHECKS.invalid("transport.inbound-window", t.inboundWindow, "must be at least 1");
        }
        Integer inARow = t.maxUnreadableFramesInARow;
        if (inARow != null && inARow < 1) {
            throw CHECKS.invalid("transport.max-unreadable-frames-in-a-row", inARow, "must be at least 1");
        }
        if (t.invalidFramesWindow < 2 || t.invalidFramesWindow > GrpcTransportSettings.MAX_INVALID_FRAMES_WINDOW) {
            throw CHECKS.invalid("transport.invalid-frames-window", t.invalidFramesWindow, "must be between 2 and "
                    + GrpcTransportSettings.MAX_INVALID_FRAMES_WINDOW + " frames");
        }
        if (t.maxInvalidFrames < 1 || t.maxInvalidFrames >= t.invalidFramesWindow) {
            throw CHECKS.invalid("transport.max-invalid-frames", t.maxInvalidFrames, "must be at least 1 and less than "
                    + PREFIX + ".transport.invalid-frames-window (" + t.invalidFramesWindow + ")");
        }
        CHECKS.positive("transport.keep-alive-time", t.keepAliveTime);
        CHECKS.positive("transport.keep-alive-timeout", t.keepAliveTimeout);
        CHECKS.positive("transport.reconnect-backoff-min", t.reconnectBackoffMin);
        CHECKS.positive("transport.reconnect-backoff-max", t.reconnectBackoffMax);
        CHECKS.positive("transport.client-link-idle-timeout", t.clientLinkIdleTimeout);
        CHECKS.positive("transport.goodbye-timeout", t.goodbyeTimeout);
        if (t.reconnectBackoffMax.compareTo(t.reconnectBackoffMin) < 0) {
            throw CHECKS.invalid("transport.reconnect-backoff-max", t.reconnectBackoffMax,
                    "must not be shorter than transport.reconnect-backoff-min (" + t.reconnectBackoffMin + ")");
        }
        validateSsl(t);
    }

    private static void validateSsl(Transport t) {
        String bundle = t.ssl.bundle;
        if (bundle != null && bundle.isBlank()) {
            throw CHECKS.invalid("transport.ssl.bundle", "'" + bundle + "'", "must not be blank");
        }
        if (bundle != null && Boolean.TRUE.equals(t.plaintext)) {
            throw CHECKS.invalid("transport.plaintext", true, "silos cannot talk both in plaintext and over TLS with "
                    + "quark.cluster.transport.ssl.bundle=" + bundle + ": remove one of the two");
        }
        if (bundle == null && Boolean.FALSE.equals(t.plaintext)) {
            throw CHECKS.invalid("transport.plaintext", false, "TLS between silos needs an SSL bundle: set "
                    + "quark.cluster.transport.ssl.bundle to the name of a spring.ssl.bundle.*");
        }
        if (bundle == null && !t.ssl.verifyHostname) {
            throw CHECKS.invalid("transport.ssl.verify-hostname", false, "applies only with TLS: set "
                    + "quark.cluster.transport.ssl.bundle too");
        }
        if (bundle == null && t.ssl.clientAuth != null) {
            throw CHECKS.invalid("transport.ssl.client-auth", t.ssl.clientAuth, "applies only with TLS: set "
                    + "quark.cluster.transport.ssl.bundle too");
        }
    }

    public Mode getMode() {
        return this.mode;
    }

    public void setMode(Mode mode) {
        this.mode = mode;
    }

    public boolean isEnabled() {
        return this.enabled;
    }

    public void setEnabled(boolean enabled) {
        this.enabled = enabled;
    }

    public String getName() {
        return this.name;
    }

    public void setName(String name) {
        this.name = name;
    }

    public int getVirtualNodes() {
        return this.virtualNodes;
    }

    public void setVirtualNodes(int virtualNodes) {
        this.virtualNodes = virtualNodes;
    }

    public Duration getHeartbeatInterval() {
        return this.heartbeatInterval;
    }

    public void setHeartbeatInterval(Duration heartbeatInterval) {
        this.heartbeatInterval = heartbeatInterval;
    }

    public Duration getSiloTtl() {
        return this.siloTtl;
    }

    public void setSiloTtl(Duration siloTtl) {
        this.siloTtl = siloTtl;
    }

    public Duration getFencingMargin() {
        return this.fencingMargin;
    }

    public void setFencingMargin(Duration fencingMargin) {
        this.fencingMargin = fencingMargin;
    }

    public Duration getProbeInterval() {
        return this.probeInterval;
    }

    public void setProbeInterval(Duration probeInterval) {
        this.probeInterval = probeInterval;
    }

    public Duration getProbeTimeout() {
        return this.probeTimeout;
    }

    public void setProbeTimeout(Duration probeTimeout) {
        this.probeTimeout = probeTimeout;
    }

    public int getMissedProbes() {
        return this.missedProbes;
    }

    public void setMissedProbes(int missedProbes) {
        this.missedProbes = missedProbes;
    }

    public int getProbedPeers() {
        return this.probedPeers;
    }

    public void setProbedPeers(int probedPeers) {
        this.probedPeers = probedPeers;
    }

    public int getVotesToDeclareDead() {
        return this.votesToDeclareDead;
    }

    public void setVotesToDeclareDead(int votesToDeclareDead) {
        this.votesToDeclareDead = votesToDeclareDead;
    }

    public Duration getVoteExpiry() {
        return this.voteExpiry;
    }

    public void setVoteExpiry(Duration voteExpiry) {
        this.voteExpiry = voteExpiry;
    }

    public Duration getTableRefreshInterval() {
        return this.tableRefreshInterval;
    }

    public void setTableRefreshInterval(Duration tableRefreshInterval) {
        this.tableRefreshInterval = tableRefreshInterval;
    }

    public Duration getDeadSiloRetention() {
        return this.deadSiloRetention;
    }

    public void setDeadSiloRetention(Duration deadSiloRetention) {
        this.deadSiloRetention = deadSiloRetention;
    }

    public Duration getLeaveTimeout() {
        return this.leaveTimeout;
    }

    public void setLeaveTimeout(Duration leaveTimeout) {
        this.leaveTimeout = leaveTimeout;
    }

    public Duration getJoinTimeout() {
        return this.joinTimeout;
    }

    public void setJoinTimeout(Duration joinTimeout) {
        this.joinTimeout = joinTimeout;
    }

    public @Nullable Duration getReachabilityTimeout() {
        return this.reachabilityTimeout;
    }

    public void setReachabilityTimeout(@Nullable Duration reachabilityTimeout) {
        this.reachabilityTimeout = reachabilityTimeout;
    }

    /**
     * Returns how long a joining silo tries to reach the active silos: the reachability timeout when set,
     * otherwise 10 seconds or a third of the join timeout, whichever is shorter, but at least the probe timeout.
     * @return the timeout
     */
    public Duration effectiveReachabilityTimeout() {
        Duration reachability = this.reachabilityTimeout;
        if (reachability != null) {
            return reachability;
        }
        Duration third = this.joinTimeout.dividedBy(3);
        Duration derived = (third.compareTo(DEFAULT_REACHABILITY_TIMEOUT) < 0) ? third : DEFAULT_REACHABILITY_TIMEOUT;
        return (derived.compareTo(this.probeTimeout) < 0) ? this.probeTimeout : derived;
    }

    public boolean isRejoinAutomatically() {
        return this.rejoinAutomatically;
    }

    public void setRejoinAutomatically(boolean rejoinAutomatically) {
        this.rejoinAutomatically = rejoinAutomatically;
    }

    public Silo getSilo() {
        return this.silo;
    }

    public Membership getMembership() {
        return this.membership;
    }

    public Transport getTransport() {
        return this.transport;
    }

    /**
     * This silo.
     */
    public static class Silo {

        /**
         * Id of this silo, unique in the cluster. Generated ("silo-" and a random UUID) when not set.
         */
        private @Nullable String id;

        /**
         * Host name or address peers dial to reach this silo. Defaults to the transport's.
         */
        private @Nullable String advertisedAddress;

        /**
         * Port peers dial to reach this silo, 1 to 65535. Defaults to the transport's.
         */
        private @Nullable Integer advertisedPort;

        public @Nullable String getId() {
            return this.id;
        }

        public void setId(@Nullable String id) {
            this.id = id;
        }

        public @Nullable String getAdvertisedAddress() {
            return this.advertisedAddress;
        }

        public void setAdvertisedAddress(@Nullable String advertisedAddress) {
            this.advertisedAddress = advertisedAddress;
        }

        public @Nullable Integer getAdvertisedPort() {
            return this.advertisedPort;
        }

        public void setAdvertisedPort(@Nullable Integer advertisedPort) {
            this.advertisedPort = advertisedPort;
        }
    }

    /**
     * The membership table.
     */
    public static class Membership {

        /**
         * Where the membership table is kept: memory, redis or postgres. Defaults to quark.backend. In memory,
         * the table is shared by the application contexts of one JVM that use the same cluster name (tests,
         * demos).
         */
        private @Nullable QuarkBackend backend;

        public @Nullable QuarkBackend getBackend() {
            return this.backend;
        }

        public void setBackend(@Nullable QuarkBackend backend) {
            this.backend = backend;
        }
    }

    /**
     * How silos talk to each other.
     */
    public static class Transport {

        /**
         * Which transport carries envelopes between silos: in-jvm connects the application contexts of one JVM
         * (tests, demos); grpc connects processes, served by Spring Boot's gRPC server (spring.grpc.server.*).
         * A Transport bean of the application's replaces either.
         */
        private TransportType type = TransportType.IN_JVM;

        /**
         * Whether to use the in-JVM transport when type is in-jvm. A Transport bean of the application's
         * replaces it.
         */
        private boolean inJvm = true;

        /**
         * Packages (with their sub-packages) whose exceptions are rebuilt as themselves when a call fails on
         * another silo; others arrive as a RemoteActorException. Quark's and the JDK's are always rebuilt.
         */
        private List<String> allowedExceptionPackages = new ArrayList<>();

        /**
         * Format of call payloads between silos: cbor (binary, Jackson's CBOR module) or json. The
         * application's Jackson modules apply to either.
         */
        private PayloadFormat payloadFormat = PayloadFormat.CBOR;

        /**
         * Largest envelope a silo sends or accepts, at least 1KB. Larger ones fail at the sender; a receiver
         * refuses them with a reason the sender reads.
         */
        private DataSize maxMessageSize = DataSize.ofMegabytes(4);

        /**
         * Most envelopes in flight to one peer per lane (waiting to be written, or requests waiting for their
         * answer), at least 1; more fail at once with a PeerOverloadedException.
         */
        private int maxInFlight = 10_000;

        /**
         * How many envelopes a receiving stream asks for ahead of those handled (gRPC flow control), at least
         * 1.
         */
        private int inboundWindow = 64;

        /**
         * How many frames in a row that are unreadable or not envelopes (no Quark silo sends them) a receiving
         * stream refuses before it ends the stream, at least 1. Defaults to the inbound window, at least 16.
         */
        private @Nullable Integer maxUnreadableFramesInARow;

        /**
         * How many invalid frames (no Quark silo sends them: unreadable, not an envelope, a malformed envelope such
         * as one of no known kind or with a blank silo id, an envelope on the wrong lane or claiming another source
         * silo) a receiving stream refuses among its last invalid-frames-window frames before it ends the stream,
         * however many valid envelopes come between them. At least 1 and less than invalid-frames-window.
         * Envelopes refused for their size, for too much metadata, names too long or a blank metadata key, or for
         * being meant for another silo do not count.
         */
        private int maxInvalidFrames = 100;

        /**
         * How many of a receiving stream's last frames max-invalid-frames counts over, between 2 and 100000.
         */
        private int invalidFramesWindow = 1000;

        /**
         * Idle time of a connection between silos before a gRPC keep-alive ping.
         */
        private Duration keepAliveTime = Duration.ofSeconds(30);

        /**
         * How long a keep-alive ping may go unanswered before the connection is closed.
         */
        private Duration keepAliveTimeout = Duration.ofSeconds(10);

        /**
         * Wait before reopening a broken stream to a peer; doubles with each failure in a row.
         */
        private Duration reconnectBackoffMin = Duration.ofMillis(100);

        /**
         * Longest wait between attempts to reopen a broken stream to a peer.
         */
        private Duration reconnectBackoffMax = Duration.ofSeconds(5);

        /**
         * How long a silo that stops gracefully waits, after saying goodbye to its peers, for them to stop sending
         * to it and for its last answers to be written, in all; and how long a silo told goodbye waits for the
         * answers to the calls it had sent to the closing silo before it fails them as in doubt. A peer from before
         * the goodbye never stops sending: the closing silo waits this long for it. Also how long a link moving to a
         * new connection after a TLS reload waits for the peer to end its old stream before it cancels it.
         */
        private Duration goodbyeTimeout = Duration.ofSeconds(2);

        /**
         * How long a silo hears nothing from a cluster client (no call, no probe) before it closes its links to
         * the client's address: silos answer clients at their addresses, and the links to clients that went away
         * would stay otherwise. A client that calls again later gets new links with its next answer. Checked
         * every quarter of this time.
         */
        private Duration clientLinkIdleTimeout = Duration.ofMinutes(5);

        /**
         * Whether the application's gRPC server, which serves the silo's transport, calls the silo's Link streams
         * back on the thread that read their frames (Netty's event loop) instead of on the server's executor: one
         * hand-off less per envelope received, and links that keep moving while the application's calls keep the
         * executor busy. The application's global server interceptors then run there too for Link frames: set
         * false when one of them blocks or writes a log line per message.
         */
        private boolean linkCallbacksOnEventLoop = true;

        /**
         * Whether silos talk over gRPC without TLS. Without an SSL bundle it must be true when the gRPC server
         * listens on, or the silo advertises, an address other than loopback; plaintext is allowed by default on
         * loopback only. Must not be true with an SSL bundle.
         */
        private @Nullable Boolean plaintext;

        /**
         * TLS between silos.
         */
        private final Ssl ssl = new Ssl();

        public Ssl getSsl() {
            return this.ssl;
        }

        public TransportType getType() {
            return this.type;
        }

        public void setType(TransportType type) {
            this.type = type;
        }

        public boolean isInJvm() {
            return this.inJvm;
        }

        public void setInJvm(boolean inJvm) {
            this.inJvm = inJvm;
        }

        public List<String> getAllowedExceptionPackages() {
            return this.allowedExceptionPackages;
        }

        public void setAllowedExceptionPackages(List<String> allowedExceptionPackages) {
            this.allowedExceptionPackages = allowedExceptionPackages;
        }

        public PayloadFormat getPayloadFormat() {
            return this.payloadFormat;
        }

        public void setPayloadFormat(PayloadFormat payloadFormat) {
            this.payloadFormat = payloadFormat;
        }

        public DataSize getMaxMessageSize() {
            return this.maxMessageSize;
        }

        public void setMaxMessageSize(DataSize maxMessageSize) {
            this.maxMessageSize = maxMessageSize;
        }

        public int getMaxInFlight() {
            return this.maxInFlight;
        }

        public void setMaxInFlight(int maxInFlight) {
            this.maxInFlight = maxInFlight;
        }

        public int getInboundWindow() {
            return this.inboundWindow;
        }

        public void setInboundWindow(int inboundWindow) {
            this.inboundWindow = inboundWindow;
        }

        public @Nullable Integer getMaxUnreadableFramesInARow() {
            return this.maxUnreadableFramesInARow;
        }

        public void setMaxUnreadableFramesInARow(@Nullable Integer maxUnreadableFramesInARow) {
            this.maxUnreadableFramesInARow = maxUnreadableFramesInARow;
        }

        public int getMaxInvalidFrames() {
            return this.maxInvalidFrames;
        }

        public void setMaxInvalidFrames(int maxInvalidFrames) {
            this.maxInvalidFrames = maxInvalidFrames;
        }

        public int getInvalidFramesWindow() {
            return this.invalidFramesWindow;
        }

        public void setInvalidFramesWindow(int invalidFramesWindow) {
            this.invalidFramesWindow = invalidFramesWindow;
        }

        public Duration getKeepAliveTime() {
            return this.keepAliveTime;
        }

        public void setKeepAliveTime(Duration keepAliveTime) {
            this.keepAliveTime = keepAliveTime;
        }

        public Duration getKeepAliveTimeout() {
            return this.keepAliveTimeout;
        }

        public void setKeepAliveTimeout(Duration keepAliveTimeout) {
            this.keepAliveTimeout = keepAliveTimeout;
        }

        public Duration getReconnectBackoffMin() {
            return this.reconnectBackoffMin;
        }

        public void setReconnectBackoffMin(Duration reconnectBackoffMin) {
            this.reconnectBackoffMin = reconnectBackoffMin;
        }

        public Duration getGoodbyeTimeout() {
            return this.goodbyeTimeout;
        }

        public void setGoodbyeTimeout(Duration goodbyeTimeout) {
            this.goodbyeTimeout = goodbyeTimeout;
        }

        public Duration getReconnectBackoffMax() {
            return this.reconnectBackoffMax;
        }

        public void setReconnectBackoffMax(Duration reconnectBackoffMax) {
            this.reconnectBackoffMax = reconnectBackoffMax;
        }

        public Duration getClientLinkIdleTimeout() {
            return this.clientLinkIdleTimeout;
        }

        public void setClientLinkIdleTimeout(Duration clientLinkIdleTimeout) {
            this.clientLinkIdleTimeout = clientLinkIdleTimeout;
        }

        public boolean isLinkCallbacksOnEventLoop() {
            return this.linkCallbacksOnEventLoop;
        }

        public void setLinkCallbacksOnEventLoop(boolean linkCallbacksOnEventLoop) {
            this.linkCallbacksOnEventLoop = linkCallbacksOnEventLoop;
        }

        public @Nullable Boolean getPlaintext() {
            return this.plaintext;
        }

        public void setPlaintext(@Nullable Boolean plaintext) {
            this.plaintext = plaintext;
        }
    }

    /**
     * TLS between silos, from a Spring SSL bundle.
     */
    public static class Ssl {

        /**
         * Name of the SSL bundle (spring.ssl.bundle.*) whose key silos present, as gRPC servers and as clients of
         * their peers, and whose trust store holds the authorities of the peers' certificates. A peer's
         * certificate must name the address it advertises, unless verify-hostname is false. When the bundle is
         * reloaded, new connections use the new material, and the silo moves its open links to its peers to new
         * connections and asks its peers to move theirs to it.
         */
        private @Nullable String bundle;

        /**
         * Whether a silo checks that a peer's certificate names the address the peer advertises (as HTTPS checks
         * a server's), both when it connects to the peer and when the peer connects to it with a client certificate
         * (the address the peer's messages come from). Set false for certificates issued to a service name rather
         * than to each silo's address: the peer's certificate chain must still lead to an authority of the bundle's
         * trust store.
         */
        private boolean verifyHostname = true;

        /**
         * Whether a silo's gRPC server asks its peers for a certificate: require (mutual TLS), optional or none.
         * Defaults to require when the bundle has a trust store, none otherwise.
         */
        private @Nullable ClientAuth clientAuth;

        public @Nullable String getBundle() {
            return this.bundle;
        }

        public void setBundle(@Nullable String bundle) {
            this.bundle = bundle;
        }

        public @Nullable ClientAuth getClientAuth() {
            return this.clientAuth;
        }

        public boolean isVerifyHostname() {
            return this.verifyHostname;
        }

        public void setVerifyHostname(boolean verifyHostname) {
            this.verifyHostname = verifyHostname;
        }

        public void setClientAuth(@Nullable ClientAuth clientAuth) {
            this.clientAuth = clientAuth;
        }
    }

    /**
     * Whether a silo's gRPC server asks its peers for a certificate.
     */
    public enum ClientAuth {

        /** No certificate is asked for. */
        NONE,

        /** A certificate is asked for; a peer without one is let in. */
        OPTIONAL,

        /** A certificate of a trusted authority is required (mutual TLS). */
        REQUIRE
    }

    /**
     * What an application is in its cluster.
     */
    public enum Mode {

        /** A member: hosts actors, is placed on the ring, takes part in failure detection. */
        SILO,

        /**
         * Not a member: hosts no actors, reads the membership table and calls the silos' actors; never written
         * to the table, never on the ring.
         */
        CLIENT
    }

    /**
     * The transports between silos.
     */
    public enum TransportType {

        /** Silos in one JVM, for tests and demos. */
        IN_JVM,

        /** Silos in separate processes, over gRPC. */
        GRPC
    }

    /**
     * Formats of call payloads between silos.
     */
    public enum PayloadFormat {

        /** Binary, through Jackson's CBOR module. */
        CBOR,

        /** Text, through the application's JSON mapper. */
        JSON
    }
}
