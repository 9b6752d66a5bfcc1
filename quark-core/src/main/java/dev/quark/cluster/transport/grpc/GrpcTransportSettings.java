package dev.quark.cluster.transport.grpc;

import java.time.Duration;
import java.util.Objects;

import org.jspecify.annotations.Nullable;

/**
 * How a {@link GrpcTransport} behaves: the cluster it belongs to (checked in every handshake), its limits,
 * keep-alive and reconnection timings. Immutable; made by {@link #builder(String)}.
 *
 * @param clusterName the cluster's name; a peer of another cluster is refused
 * @param maxMessageSize the largest envelope, in bytes of its protobuf frame, a silo sends or accepts
 * @param maxInFlight the most envelopes in flight to one peer: waiting to be written, or requests waiting for
 * their answer
 * @param inboundWindow how many envelopes a receiving stream asks for ahead of those it has handled (gRPC flow
 * control: the sender waits when they are not handled)
 * @param keepAliveTime how long a connection may be idle before a keep-alive ping
 * @param keepAliveTimeout how long a keep-alive ping may go unanswered before the connection is closed
 * @param reconnectBackoffMin the wait before the first reconnection of a broken stream
 * @param reconnectBackoffMax the longest wait between reconnections; the wait doubles up to it
 * @param maxUnreadableFramesInARow how many frames in a row a receiving stream takes that are unreadable or not
 * envelopes (no Quark silo sends them) before it ends the stream; by default the inbound window, at least 16
 * @param maxInvalidFrames how many invalid frames a receiving stream takes among its last
 * {@code invalidFramesWindow} frames before it ends the stream, however many valid envelopes come between them:
 * frames no Quark silo sends (unreadable, not an envelope, a malformed envelope: of no known kind, with a blank
 * silo id or source host, a source port or forward count out of range; an envelope on the wrong lane or claiming
 * another source silo than the handshake named); envelopes refused for their size, for exceeding the bounds on
 * metadata entries and name lengths or for a blank metadata key (a sender checks those bounds, one of the same
 * protocol version from before that check does not) or for being meant for another silo are not invalid (silos
 * with other limits, applications' metadata sent by older silos, or a stale view of the cluster, send those)
 * @param invalidFramesWindow how many of a stream's last frames {@code maxInvalidFrames} counts over
 * @param goodbyeTimeout how long a silo that closes after saying goodbye ({@link GrpcTransport#sayGoodbye}) waits
 * for its peers to stop writing to it and for its last answers to be written, in all; and how long a silo told
 * goodbye waits for the answers to the requests it had written to the closing silo before it reports them in doubt;
 * also how long a link moving to a new connection ({@link GrpcTransport} after a TLS material update) waits for the
 * peer to end its old stream before it cancels it
 */
public record GrpcTransportSettings(String clusterName, int maxMessageSize, int maxInFlight, int inboundWindow,
        Duration keepAliveTime, Duration keepAliveTimeout, Duration reconnectBackoffMin,
        Duration reconnectBackoffMax, int maxUnreadableFramesInARow, int maxInvalidFrames,
        int invalidFramesWindow, Duration goodbyeTimeout) {

    /** The most frames {@link #invalidFramesWindow()} may span: a stream keeps one bit per frame of it. */
    public static final int MAX_INVALID_FRAMES_WINDOW = 100_000;

    /**
     * Validates the components.
     * @param clusterName the cluster's name
     * @param maxMessageSize the largest envelope
     * @param maxInFlight the most envelopes in flight per peer
     * @param inboundWindow the envelopes asked for ahead
     * @param keepAliveTime the idle time before a ping
     * @param keepAliveTimeout the wait for a ping's answer
     * @param reconnectBackoffMin the first reconnection wait
     * @param reconnectBackoffMax the longest reconnection wait
     * @param maxUnreadableFramesInARow the unreadable frames in a row that end a stream
     * @param maxInvalidFrames the invalid frames among the last {@code invalidFramesWindow} that end a stream
     * @param invalidFramesWindow the frames {@code maxInvalidFrames} counts over
     * @param goodbyeTimeout the wait of a silo closing after a goodbye, and of its peers for its last answers
     * @throws IllegalArgumentException naming the setting out of range
     */
    public GrpcTransportSettings {
        Objects.requireNonNull(clusterName, "clusterName must not be null");
        if (clusterName.isBlank()) {
            throw new IllegalArgumentException("Cluster name must not be blank");
        }
        if (maxMessageSize < 1024) {
            throw new IllegalArgumentException("Max message size must be at least 1024 bytes, was " + maxMessageSize);
        }
        if (maxInFlight < 1) {
            throw new IllegalArgumentException("Max in-flight must be at least 1, was " + maxInFlight);
        }
        if (inboundWindow < 1) {
            throw new IllegalArgumentException("Inbound window must be at least 1, was " + inboundWindow);
        }
        positive("Keep-alive time", keepAliveTime);
        positive("Keep-alive timeout", keepAliveTimeout);
        positive("Reconnect back-off min", reconnectBackoffMin);
        positive("Reconnect back-off max", reconnectBackoffMax);
        if (reconnectBackoffMax.compareTo(reconnectBackoffMin) < 0) {
            throw new IllegalArgumentException("Reconnect back-off max (" + reconnectBackoffMax
                    + ") must not be shorter than its min (" + reconnectBackoffMin + ")");
        }
        if (maxUnreadableFramesInARow < 1) {
            throw new IllegalArgumentException("Max unreadable frames in a row must be at least 1, was "
                    + maxUnreadableFramesInARow);
        }
        if (invalidFramesWindow < 2 || invalidFramesWindow > MAX_INVALID_FRAMES_WINDOW) {
            throw new IllegalArgumentException("Invalid frames window must be between 2 and "
                    + MAX_INVALID_FRAMES_WINDOW + " frames, was " + invalidFramesWindow);
        }
        if (maxInvalidFrames < 1 || maxInvalidFrames >= invalidFramesWindow) {
            throw new IllegalArgumentException("Max invalid frames must be at least 1 and less than the invalid "
                    + "frames window (" + invalidFramesWindow + "), was " + maxInvalidFrames);
        }
        positive("Goodbye timeout", goodbyeTimeout);
    }

    /**
     * Starts settings with the defaults: 4 MiB messages, 10,000 in flight per peer, a window of 64, keep-alive
     * every 30 s with a 10 s timeout, reconnection after 100 ms doubling up to 5 s, a stream ended after more than
     * the window (at least 16) unreadable frames in a row or more than 100 invalid frames among its last 1,000, a
     * goodbye timeout of 2 s.
     * @param clusterName the cluster's name
     * @return a builder
     */
    public static Builder builder(String clusterName) {
        return new Builder(clusterName);
    }

    /**
     * Returns how many unreadable frames in a row a stream takes by default: its window, since a peer may have a
     * window of frames on the way before it reads its first refusal, and at least 16, for small windows.
     * @param inboundWindow the inbound window
     * @return the default
     */
    public static int defaultMaxUnreadableFramesInARow(int inboundWindow) {
        return Math.max(inboundWindow, 16);
    }

    private static void positive(String what, Duration value) {
        Objects.requireNonNull(value, what + " must not be null");
        if (value.isZero() || value.isNegative()) {
            throw new IllegalArgumentException(what + " must be positive, was " + value);
        }
    }

    /**
     * Builds {@link GrpcTransportSettings}.
     */
    public static final class Builder {

        private final String clusterName;

        private int maxMessageSize = 4 * 1024 * 1024;

        private int maxInFlight = 10_000;

        private int inboundWindow = 64;

        private Duration keepAliveTime = Duration.ofSeconds(30);

        private Duration keepAliveTimeout = Duration.ofSeconds(10);

        private Duration reconnectBackoffMin = Duration.ofMillis(100);

        private Duration reconnectBackoffMax = Duration.ofSeconds(5);

        private @Nullable Integer maxUnreadableFramesInARow;

        private int maxInvalidFrames = 100;

        private int invalidFramesWindow = 1000;

        private Duration goodbyeTimeout = Duration.ofSeconds(2);

        private Builder(String clusterName) {
            this.clusterName = clusterName;
        }

        /**
         * Sets the largest envelope.
         * @param bytes in bytes of its protobuf frame
         * @return this builder
         */
        public Builder maxMessageSize(int bytes) {
            this.maxMessageSize = bytes;
            return this;
        }

        /**
         * Sets the most envelopes in flight to one peer.
         * @param envelopes the limit
         * @return this builder
         */
        public Builder maxInFlight(int envelopes) {
            this.maxInFlight = envelopes;
            return this;
        }

        /**
         * Sets how many envelopes a receiving stream asks for ahead.
         * @param envelopes the window
         * @return this builder
         */
        public Builder inboundWindow(int envelopes) {
            this.inboundWindow = envelopes;
            return this;
        }

        /**
         * Sets the keep-alive timings.
         * @param time idle time before a ping
         * @param timeout wait for the ping's answer
         * @return this builder
         */
        public Builder keepAlive(Duration time, Duration timeout) {
            this.keepAliveTime = time;
            this.keepAliveTimeout = timeout;
            return this;
        }

        /**
         * Sets the reconnection back-off.
         * @param min the first wait
         * @param max the longest wait
         * @return this builder
         */
        public Builder reconnectBackoff(Duration min, Duration max) {
            this.reconnectBackoffMin = min;
            this.reconnectBackoffMax = max;
            return this;
        }

        /**
         * Sets how many frames in a row that are unreadable or not envelopes end a receiving stream.
         * @param frames the most tolerated in a row, {@code null} for the default: the inbound window, at least 16
         * @return this builder
         */
        public Builder maxUnreadableFramesInARow(@Nullable Integer frames) {
            this.maxUnreadableFramesInARow = frames;
            return this;
        }

        /**
         * Sets how many invalid frames among a stream's last {@code window} frames end it.
         * @param frames the most tolerated in the window
         * @param window how many of the stream's last frames they are counted over
         * @return this builder
         */
        public Builder maxInvalidFrames(int frames, int window) {
            this.maxInvalidFrames = frames;
            this.invalidFramesWindow = window;
            return this;
        }

        /**
         * Sets how long a silo closing after a goodbye waits for its peers to stop writing to it and for its last
         * answers to be written, and how long a peer told goodbye waits for those answers.
         * @param timeout the wait
         * @return this builder
         */
        public Builder goodbyeTimeout(Duration timeout) {
            this.goodbyeTimeout = timeout;
            return this;
        }

        /**
         * Builds the settings.
         * @return the settings
         * @throws IllegalArgumentException naming a setting out of range
         */
        public GrpcTransportSettings build() {
            return new GrpcTransportSettings(this.clusterName, this.maxMessageSize, this.maxInFlight,
                    this.inboundWindow, this.keepAliveTime, this.keepAliveTimeout, this.reconnectBackoffMin,
                    this.reconnectBackoffMax, (this.maxUnreadableFramesInARow != null) ? this.maxUnreadableFramesInARow
                            : defaultMaxUnreadableFramesInARow(this.inboundWindow),
                    this.maxInvalidFrames, this.invalidFramesWindow, this.goodbyeTimeout);
        }
    }
}
