package dev.quark.cluster.membership;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

import dev.quark.runtime.InvalidSettingException;

/**
 * How one silo takes part in membership: who it is, and the timings of its heartbeats, probes, votes and
 * self-fencing. Immutable and validated on construction: a bad value is an {@link InvalidSettingException}
 * naming the setting and the value. Build one with {@link #builder(String, SiloAddress)}; every timing has a
 * default (see the builder's setters and docs/clustering.md).
 * <p>
 * The defaults follow Orleans' scheme with shorter probes: every silo probes 3 peers each second; 3 missed
 * probes in a row and a failed indirect probe make it vote, and 2 votes (1 in a cluster of two) declare a
 * silo dead — a killed silo is evicted within 3 to 6 seconds, while a pause of up to 2 seconds never misses
 * enough probes (a silo whose rounds stop for longer than its {@link #pauseLimit() pause limit}, 2.5 seconds,
 * stops serving until it has renewed its entry). Heartbeats (every 10 seconds, dead after 30) are the backstop
 * for silos nobody can vote on, and bound how long a silo cut off from the membership table keeps serving (25
 * seconds).
 *
 * @param clusterName the cluster, for logs; the membership table of one cluster is one provider
 * @param siloId this silo's id, unique in the cluster
 * @param address where peers reach this silo
 * @param actorTypes the actor type names this silo hosts
 * @param virtualNodes the points per silo on the hash ring
 * @param heartbeatInterval how often the silo renews its entry
 * @param siloTtl how old a silo's last heartbeat may get before any silo may declare it dead
 * @param fencingMargin how long before the TTL a silo that could not renew stops serving, for clock skew and
 * slow writes
 * @param probeInterval how often the silo probes each of its peers
 * @param probeTimeout how long a direct probe may take; an indirect probe gets twice as long
 * @param missedProbes how many probes in a row a peer must miss before it is probed indirectly and then
 * suspected
 * @param probedPeers how many peers each silo probes
 * @param votesToDeclareDead how many silos must suspect a silo to declare it dead, in larger clusters
 * @param voteExpiry how long a vote counts
 * @param tableRefreshInterval how often the table is read even without a change notification
 * @param deadSiloRetention how long the entry of a dead silo stays in the table before it is removed
 * @param leaveTimeout how long a graceful leave waits for the hand-over of the silo's actors
 * @param rejoinAutomatically whether a silo that learns it was declared dead rejoins with a new epoch
 * @param reachabilityTimeout how long a joining silo keeps probing the fresh active silos until each answered:
 * a peer that still refuses it then fails the join; when a majority answered it joins with a warning; otherwise
 * it waits for the silent peers' entries to expire (see {@link JoinReachability})
 * @param transportSecurity whether this silo's links use TLS, published in its entry; a joining silo fails at
 * once when a majority of the active silos publish another ({@link TransportSecurity#UNKNOWN}: not published, never
 * compared)
 */
public record MembershipSettings(String clusterName, String siloId, SiloAddress address, Set<String> actorTypes,
        int virtualNodes, Duration heartbeatInterval, Duration siloTtl, Duration fencingMargin,
        Duration probeInterval, Duration probeTimeout, int missedProbes, int probedPeers, int votesToDeclareDead,
        Duration voteExpiry, Duration tableRefreshInterval, Duration deadSiloRetention, Duration leaveTimeout,
        boolean rejoinAutomatically, Duration reachabilityTimeout, TransportSecurity transportSecurity) {

    /** The cluster name unless another is set. */
    public static final String DEFAULT_CLUSTER_NAME = "quark";

    private static final int MAX_NAME_LENGTH = 128;

    private static final int MAX_VIRTUAL_NODES = 10_000;

    /**
     * Validates every setting.
     * @throws InvalidSettingException naming the first setting with a bad value
     */
    public MembershipSettings {
        name("clusterName", clusterName);
        name("siloId", siloId);
        Objects.requireNonNull(address, "address must not be null");
        Objects.requireNonNull(actorTypes, "actorTypes must not be null");
        for (String type : actorTypes) {
            if (type == null || type.isBlank()) {
                throw new InvalidSettingException("actorTypes", actorTypes, "must not hold blank names");
            }
        }
        actorTypes = Set.copyOf(actorTypes);
        if (virtualNodes < 1 || virtualNodes > MAX_VIRTUAL_NODES) {
            throw new InvalidSettingException("virtualNodes", virtualNodes,
                    "must be between 1 and " + MAX_VIRTUAL_NODES);
        }
        positive("heartbeatInterval", heartbeatInterval);
        positive("siloTtl", siloTtl);
        Objects.requireNonNull(fencingMargin, "fencingMargin must not be null");
        if (fencingMargin.isNegative() || fencingMargin.isZero()) {
            throw new InvalidSettingException("fencingMargin", fencingMargin, "must be positive: it must cover the "
                    + "clock skew between silos and the time a heartbeat write takes");
        }
        positive("probeInterval", probeInterval);
        positive("probeTimeout", probeTimeout);
        atLeastOne("missedProbes", missedProbes);
        atLeastOne("probedPeers", probedPeers);
        atLeastOne("votesToDeclareDead", votesToDeclareDead);
        positive("voteExpiry", voteExpiry);
        positive("tableRefreshInterval", tableRefreshInterval);
        positive("deadSiloRetention", deadSiloRetention);
        positive("leaveTimeout", leaveTimeout);
        positive("reachabilityTimeout", reachabilityTimeout);
        Objects.requireNonNull(transportSecurity, "transportSecurity must not be null");
        if (reachabilityTimeout.compareTo(probeTimeout) < 0) {
            throw new InvalidSettingException("reachabilityTimeout", reachabilityTimeout, "must be at least "
                    + "probeTimeout (" + probeTimeout + "), or a joining silo could not wait for one probe");
        }
        if (siloTtl.compareTo(heartbeatInterval.plus(fencingMargin)) <= 0) {
            throw new InvalidSettingException("siloTtl", siloTtl, "must be longer than heartbeatInterval ("
                    + heartbeatInterval + ") + fencingMargin (" + fencingMargin
                    + "), or a silo would stop serving before its next heartbeat");
        }
        Duration pauseLimit = pauseLimit(probeInterval, probeTimeout, missedProbes);
        if (pauseLimit.compareTo(probeInterval) <= 0) {
            throw new InvalidSettingException("missedProbes", missedProbes, "is too low for probeInterval ("
                    + probeInterval + ") and probeTimeout (" + probeTimeout + "): others may vote a silo dead "
                    + pauseLimit + " after its last probe round ((missedProbes − 1) × probeInterval + "
                    + "probeTimeout / 2), which is not longer than the probe interval, so it would stop serving "
                    + "between two of its own rounds");
        }
        Duration suspicionTime = probeInterval.multipliedBy(missedProbes);
        if (voteExpiry.compareTo(suspicionTime) <= 0) {
            throw new InvalidSettingException("voteExpiry", voteExpiry, "must be longer than probeInterval ("
                    + probeInterval + ") × missedProbes (" + missedProbes
                    + "), or votes would expire before other silos can add theirs");
        }
    }

    /**
     * Starts settings with every default.
     * @param siloId this silo's id, unique in the cluster
     * @param address where peers reach this silo
     * @return a builder
     */
    public static Builder builder(String siloId, SiloAddress address) {
        return new Builder(siloId, address);
    }

    /**
     * Returns how long a silo may go without renewing its entry before it stops serving: the TTL minus the
     * fencing margin.
     * @return the time
     */
    public Duration fenceAfter() {
        return this.siloTtl.minus(this.fencingMargin);
    }

    /**
     * Returns the longest a joining silo's check of its peers lasts before it decides: the reachability timeout,
     * or the wait for the entries of silent peers to expire (the silo TTL and a probe interval), whichever is
     * longer, plus the probe timeout of the round that decides. Whatever bounds a join from outside (a start-up
     * timeout) must be longer, or the first silo of a fast full restart fails instead of joining.
     * @return {@code max(reachabilityTimeout, siloTtl + probeInterval) + probeTimeout}
     */
    public Duration longestJoinCheck() {
        Duration expiry = this.siloTtl.plus(this.probeInterval);
        Duration longer = (expiry.compareTo(this.reachabilityTimeout) > 0) ? expiry : this.reachabilityTimeout;
        return longer.plus(this.probeTimeout);
    }

    /**
     * Returns how long this silo's own rounds may fail to run (a stop-the-world pause, a frozen VM) before it
     * stops serving until it has renewed: the shortest time after its last round in which others may have voted
     * it dead.
     * <p>
     * The derivation. A silo whose last round ran at {@code p} was running then, so it answered the probes that
     * reached it until {@code p}. The first probe it misses therefore reaches it after {@code p}: it was sent at
     * {@code p − L} at the earliest, {@code L} being the time a probe takes to reach it. A peer probes every
     * {@code probeInterval} and needs {@code missedProbes} misses in a row, so the last of them leaves at
     * {@code p − L + (missedProbes − 1) × probeInterval} and counts as missed {@code probeTimeout} later. The
     * indirect probe that follows may fail at once (the intermediary cannot reach the silo either), and then the
     * peer votes. The earliest vote thus lands at
     * {@code p + (missedProbes − 1) × probeInterval + probeTimeout − L}. A probe that is answered in time travels
     * both ways within {@code probeTimeout}; taking {@code L ≤ probeTimeout / 2} as the margin gives the limit
     * below. With the defaults, 2.5 seconds.
     * @return {@code (missedProbes − 1) × probeInterval + probeTimeout / 2}
     */
    public Duration pauseLimit() {
        return pauseLimit(this.probeInterval, this.probeTimeout, this.missedProbes);
    }

    private static Duration pauseLimit(Duration probeInterval, Duration probeTimeout, int missedProbes) {
        return probeInterval.multipliedBy(missedProbes - 1L).plus(probeTimeout.dividedBy(2));
    }

    /**
     * Returns how long an indirect probe may take: two hops.
     * @return twice the probe timeout
     */
    public Duration indirectProbeTimeout() {
        return this.probeTimeout.multipliedBy(2);
    }

    /**
     * Returns how many fresh votes of active silos declare a silo dead, given how many silos are active. The
     * number shrinks in small clusters, as in Orleans: at most half the active silos (rounded up) — one in a
     * cluster of two, two in a cluster of three.
     * @param activeSilos the active silos whose heartbeat has not expired, the suspect included
     * @return the votes needed, at least 1
     */
    public int votesNeeded(int activeSilos) {
        return Math.max(1, Math.min(this.votesToDeclareDead, (activeSilos + 1) / 2));
    }

    private static void name(String setting, String value) {
        Objects.requireNonNull(value, setting + " must not be null");
        if (value.isBlank()) {
            throw new InvalidSettingException(setting, "'" + value + "'", "must not be blank");
        }
        if (value.length() > MAX_NAME_LENGTH) {
            throw new InvalidSettingException(setting, "'" + value + "'",
                    "must be at most " + MAX_NAME_LENGTH + " characters long");
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isWhitespace(c) || Character.isISOControl(c)) {
                throw new InvalidSettingException(setting, "'" + value + "'",
                        "must not contain white space or control characters");
            }
        }
    }

    private static void positive(String setting, Duration value) {
        Objects.requireNonNull(value, setting + " must not be null");
        if (value.isNegative() || value.isZero()) {
            throw new InvalidSettingException(setting, value, "must be positive");
        }
    }

    private static void atLeastOne(String setting, int value) {
        if (value < 1) {
            throw new InvalidSettingException(setting, value, "must be at least 1");
        }
    }

    /**
     * Builds {@link MembershipSettings}; {@link #build()} validates.
     */
    public static final class Builder {

        private final String siloId;

        private final SiloAddress address;

        private String clusterName = DEFAULT_CLUSTER_NAME;

        private Set<String> actorTypes = Set.of();

        private int virtualNodes = 150;

        private Duration heartbeatInterval = Duration.ofSeconds(10);

        private Duration siloTtl = Duration.ofSeconds(30);

        private Duration fencingMargin = Duration.ofSeconds(5);

        private Duration probeInterval = Duration.ofSeconds(1);

        private Duration probeTimeout = Duration.ofSeconds(1);

        private int missedProbes = 3;

        private int probedPeers = 3;

        private int votesToDeclareDead = 2;

        private Duration voteExpiry = Duration.ofSeconds(20);

        private Duration tableRefreshInterval = Duration.ofSeconds(5);

        private Duration deadSiloRetention = Duration.ofHours(1);

        private Duration leaveTimeout = Duration.ofSeconds(30);

        private boolean rejoinAutomatically = true;

        private Duration reachabilityTimeout = Duration.ofSeconds(10);

        private TransportSecurity transportSecurity = TransportSecurity.UNKNOWN;

        private Builder(String siloId, SiloAddress address) {
            this.siloId = siloId;
            this.address = address;
        }

        /**
         * Sets the cluster's name, for logs. Default: {@value MembershipSettings#DEFAULT_CLUSTER_NAME}.
         * @param clusterName not blank, no white space
         * @return this builder
         */
        public Builder clusterName(String clusterName) {
            this.clusterName = clusterName;
            return this;
        }

        /**
         * Sets the actor type names this silo hosts. Default: none (a client-only silo).
         * @param actorTypes the names
         * @return this builder
         */
        public Builder actorTypes(Set<String> actorTypes) {
            this.actorTypes = actorTypes;
            return this;
        }

        /**
         * Sets the points per silo on the hash ring. Default: 150.
         * @param virtualNodes 1 to 10,000
         * @return this builder
         */
        public Builder virtualNodes(int virtualNodes) {
            this.virtualNodes = virtualNodes;
            return this;
        }

        /**
         * Sets how often the silo renews its entry. Default: 10 seconds.
         * @param heartbeatInterval a positive duration, shorter than the TTL minus the fencing margin
         * @return this builder
         */
        public Builder heartbeatInterval(Duration heartbeatInterval) {
            this.heartbeatInterval = heartbeatInterval;
            return this;
        }

        /**
         * Sets how old a silo's last heartbeat may get before any silo may declare it dead. Default: 30
         * seconds.
         * @param siloTtl longer than the heartbeat interval plus the fencing margin
         * @return this builder
         */
        public Builder siloTtl(Duration siloTtl) {
            this.siloTtl = siloTtl;
            return this;
        }

        /**
         * Sets how long before its TTL a silo that could not renew its entry stops serving, to absorb clock
         * skew between silos and slow writes. Default: 5 seconds.
         * @param fencingMargin a positive duration, longer than the clock skew between silos plus the time a
         * heartbeat write takes
         * @return this builder
         */
        public Builder fencingMargin(Duration fencingMargin) {
            this.fencingMargin = fencingMargin;
            return this;
        }

        /**
         * Sets how often the silo probes each of its peers. Default: 1 second.
         * @param probeInterval a positive duration
         * @return this builder
         */
        public Builder probeInterval(Duration probeInterval) {
            this.probeInterval = probeInterval;
            return this;
        }

        /**
         * Sets how long a direct probe may take before it counts as missed. Default: 1 second.
         * @param probeTimeout a positive duration
         * @return this builder
         */
        public Builder probeTimeout(Duration probeTimeout) {
            this.probeTimeout = probeTimeout;
            return this;
        }

        /**
         * Sets how many probes in a row a peer must miss before it is probed through another silo and, if that
         * fails too, suspected. Default: 3.
         * @param missedProbes at least 1, and enough that {@code (missedProbes − 1) × probeInterval +
         * probeTimeout / 2} is longer than the probe interval (see {@link MembershipSettings#pauseLimit()})
         * @return this builder
         */
        public Builder missedProbes(int missedProbes) {
            this.missedProbes = missedProbes;
            return this;
        }

        /**
         * Sets how many peers each silo probes; each silo is then probed by as many. Default: 3.
         * @param probedPeers at least 1
         * @return this builder
         */
        public Builder probedPeers(int probedPeers) {
            this.probedPeers = probedPeers;
            return this;
        }

        /**
         * Sets how many silos must suspect a silo to declare it dead; fewer suffice in clusters of two or
         * three (see {@link MembershipSettings#votesNeeded(int)}). Default: 2.
         * @param votesToDeclareDead at least 1
         * @return this builder
         */
        public Builder votesToDeclareDead(int votesToDeclareDead) {
            this.votesToDeclareDead = votesToDeclareDead;
            return this;
        }

        /**
         * Sets how long a vote counts. Default: 20 seconds.
         * @param voteExpiry longer than the probe interval times the missed probes
         * @return this builder
         */
        public Builder voteExpiry(Duration voteExpiry) {
            this.voteExpiry = voteExpiry;
            return this;
        }

        /**
         * Sets how often the table is read even when the provider sent no change notification. Default: 5
         * seconds.
         * @param tableRefreshInterval a positive duration
         * @return this builder
         */
        public Builder tableRefreshInterval(Duration tableRefreshInterval) {
            this.tableRefreshInterval = tableRefreshInterval;
            return this;
        }

        /**
         * Sets how long the entry of a dead silo stays in the table, counted from its last heartbeat. Default:
         * 1 hour.
         * @param deadSiloRetention a positive duration
         * @return this builder
         */
        public Builder deadSiloRetention(Duration deadSiloRetention) {
            this.deadSiloRetention = deadSiloRetention;
            return this;
        }

        /**
         * Sets how long a graceful leave waits for the silo's actors to be handed over before it leaves
         * anyway. Default: 30 seconds.
         * @param leaveTimeout a positive duration
         * @return this builder
         */
        public Builder leaveTimeout(Duration leaveTimeout) {
            this.leaveTimeout = leaveTimeout;
            return this;
        }

        /**
         * Sets whether a silo that learns it was declared dead rejoins with a new epoch; otherwise it stays
         * out of the cluster. Default: {@code true}.
         * @param rejoinAutomatically whether to rejoin
         * @return this builder
         */
        public Builder rejoinAutomatically(boolean rejoinAutomatically) {
            this.rejoinAutomatically = rejoinAutomatically;
            return this;
        }

        /**
         * Sets how long a joining silo keeps probing the active silos with a fresh heartbeat until each
         * answered. A peer that still refuses it then (a TLS certificate it does not trust, another cluster name
         * or protocol version) fails the join: the silo writes its joining entry as dead, and the failure names
         * the silos it could not reach and why. When a majority answered, it joins with a warning naming the
         * silent ones; otherwise it waits for the silent peers' entries to expire, at most the silo TTL and a
         * probe interval, and fails when they do not. Default: 10 seconds.
         * @param reachabilityTimeout a duration of at least the probe timeout
         * @return this builder
         */
        public Builder reachabilityTimeout(Duration reachabilityTimeout) {
            this.reachabilityTimeout = reachabilityTimeout;
            return this;
        }

        /**
         * Sets whether this silo's links to other silos use TLS, published in its membership entry: a joining
         * silo whose setting differs from that of a majority of the active silos fails at once, naming them,
         * instead of waiting for probes one side never answers. Default: {@link TransportSecurity#UNKNOWN}, not
         * published (transports that do not say, such as the test kit's in-JVM one).
         * @param transportSecurity the setting
         * @return this builder
         */
        public Builder transportSecurity(TransportSecurity transportSecurity) {
            this.transportSecurity = transportSecurity;
            return this;
        }

        /**
         * Builds the settings.
         * @return the validated settings
         * @throws InvalidSettingException naming the first setting with a bad value
         */
        public MembershipSettings build() {
            return new MembershipSettings(this.clusterName, this.siloId, this.address, this.actorTypes,
                    this.virtualNodes, this.heartbeatInterval, this.siloTtl, this.fencingMargin, this.probeInterval,
                    this.probeTimeout, this.missedProbes, this.probedPeers, this.votesToDeclareDead,
                    this.voteExpiry, this.tableRefreshInterval, this.deadSiloRetention, this.leaveTimeout,
                    this.rejoinAutomatically, this.reachabilityTimeout, this.transportSecurity);
        }
    }
}
