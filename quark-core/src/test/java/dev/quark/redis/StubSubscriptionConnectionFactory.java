package dev.quark.redis;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import io.lettuce.core.ClientOptions;
import org.jspecify.annotations.Nullable;

import org.springframework.data.redis.RedisConnectionFailureException;
import org.springframework.data.redis.RedisSystemException;
import org.springframework.data.redis.connection.DefaultMessage;
import org.springframework.data.redis.connection.MessageListener;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.Subscription;
import org.springframework.data.redis.connection.SubscriptionListener;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

/**
 * A connection factory whose subscription connections are stubs, so that tests decide what Redis answers: a
 * {@code SUBSCRIBE} is confirmed at once, later ({@link #withhold}, then {@link #confirm}) or fails
 * ({@link #failSubscribes}), and making a connection can fail ({@link #failConnections}). It is a
 * {@link LettuceConnectionFactory} (never started) so that a {@code RedisMessageListenerContainer} treats it as the
 * asynchronous driver it is in production; only {@link #getConnection()} is used.
 */
final class StubSubscriptionConnectionFactory extends LettuceConnectionFactory {

    private final List<StubConnection> connections = new CopyOnWriteArrayList<>();

    StubSubscriptionConnectionFactory() {
    }

    /** A factory whose client configuration has these options (only read, never used to connect). */
    StubSubscriptionConnectionFactory(ClientOptions clientOptions) {
        super(new RedisStandaloneConfiguration(), LettuceClientConfiguration.builder().clientOptions(clientOptions)
            .build());
    }

    /** When each attempt to connect was made, in nanoseconds. */
    private final List<Long> connectAttempts = new CopyOnWriteArrayList<>();

    private final AtomicInteger connectionsToFail = new AtomicInteger();

    private final Set<String> withheld = ConcurrentHashMap.newKeySet();

    private volatile boolean withholdingAll;

    private final Map<String, AtomicInteger> subscribesToFail = new ConcurrentHashMap<>();

    /** Every SUBSCRIBE sent, channel by channel, failed ones included. */
    private final List<String> subscribes = new CopyOnWriteArrayList<>();

    @Override
    public RedisConnection getConnection() {
        this.connectAttempts.add(System.nanoTime());
        if (this.connectionsToFail.getAndUpdate((left) -> Math.max(0, left - 1)) > 0) {
            throw new RedisConnectionFailureException("stub: Redis refused the connection");
        }
        StubConnection connection = new StubConnection();
        this.connections.add(connection);
        return (RedisConnection) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { RedisConnection.class }, (proxy, method, args) -> switch (method.getName()) {
                    case "subscribe" -> {
                        connection.subscribe((MessageListener) args[0], (byte[][]) args[1]);
                        yield null;
                    }
                    case "isSubscribed" -> connection.subscription != null && !connection.closed;
                    case "getSubscription" -> connection.subscription;
                    case "close" -> {
                        connection.closed = true;
                        yield null;
                    }
                    case "isClosed" -> connection.closed;
                    case "toString" -> "StubConnection";
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> zero(method.getReturnType());
                });
    }

    private static @Nullable Object zero(Class<?> type) {
        if (type == boolean.class) {
            return false;
        }
        if (type == long.class) {
            return 0L;
        }
        if (type == int.class) {
            return 0;
        }
        return null;
    }

    /** The next {@code count} attempts to connect fail. */
    void failConnections(int count) {
        this.connectionsToFail.set(count);
    }

    /** The next {@code count} SUBSCRIBEs of the channel fail. */
    void failSubscribes(String channel, int count) {
        this.subscribesToFail.put(channel, new AtomicInteger(count));
    }

    /** SUBSCRIBEs of the channel are not confirmed until {@link #confirm}. */
    void withhold(String channel) {
        this.withheld.add(channel);
    }

    /** No SUBSCRIBE is confirmed until {@link #confirmAll}. */
    void withholdAll() {
        this.withholdingAll = true;
    }

    /** Confirms every channel asked for on every open connection (late), and the next ones at once. */
    void confirmAll() {
        this.withholdingAll = false;
        for (StubConnection connection : this.connections) {
            if (!connection.closed) {
                connection.asked.stream().filter((channel) -> !connection.confirmed.contains(channel))
                    .forEach(connection::confirm);
            }
        }
    }

    /** Returns the channels asked for so far. */
    List<String> subscribedChannels() {
        return this.subscribes.stream().distinct().toList();
    }

    /** Confirms the channel on every open connection that asked for it (late). */
    void confirm(String channel) {
        this.withheld.remove(channel);
        for (StubConnection connection : this.connections) {
            if (!connection.closed && connection.asked.contains(channel)) {
                connection.confirm(channel);
            }
        }
    }

    /** Delivers a message on every open connection subscribed to the channel. */
    void publish(String channel, String message) {
        for (StubConnection connection : this.connections) {
            if (!connection.closed && connection.confirmed.contains(channel) && connection.listener != null) {
                connection.listener.onMessage(new DefaultMessage(bytes(channel), bytes(message)), null);
            }
        }
    }

    List<Long> connectAttempts() {
        return List.copyOf(this.connectAttempts);
    }

    int subscribes(String channel) {
        return (int) this.subscribes.stream().filter(channel::equals).count();
    }

    int connections() {
        return this.connections.size();
    }

    int openConnections() {
        return (int) this.connections.stream().filter((connection) -> !connection.closed).count();
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** One stubbed subscription connection. */
    private final class StubConnection {

        volatile boolean closed;

        volatile @Nullable MessageListener listener;

        volatile @Nullable Subscription subscription;

        final Set<String> asked = ConcurrentHashMap.newKeySet();

        final Set<String> confirmed = ConcurrentHashMap.newKeySet();

        void subscribe(MessageListener listener, byte[][] channels) {
            this.listener = listener;
            this.subscription = (Subscription) Proxy.newProxyInstance(getClass().getClassLoader(),
                    new Class<?>[] { Subscription.class }, (proxy, method, args) -> switch (method.getName()) {
                        case "subscribe" -> {
                            sendSubscribe((byte[][]) args[0]);
                            yield null;
                        }
                        case "close" -> {
                            this.closed = true;
                            yield null;
                        }
                        case "isAlive" -> !this.closed;
                        case "getListener" -> this.listener;
                        case "getChannels" -> toBytes(this.confirmed);
                        case "getPatterns" -> List.of();
                        case "toString" -> "StubSubscription";
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        default -> zero(method.getReturnType());
                    });
            sendSubscribe(channels);
        }

        private List<byte[]> toBytes(Set<String> channels) {
            List<byte[]> all = new ArrayList<>();
            channels.forEach((channel) -> all.add(bytes(channel)));
            return all;
        }

        private void sendSubscribe(byte[][] channels) {
            for (byte[] raw : channels) {
                String channel = new String(raw, StandardCharsets.UTF_8);
                StubSubscriptionConnectionFactory.this.subscribes.add(channel);
                AtomicInteger failures = StubSubscriptionConnectionFactory.this.subscribesToFail.get(channel);
                if (failures != null && failures.getAndUpdate((left) -> Math.max(0, left - 1)) > 0) {
                    throw new RedisSystemException("stub: SUBSCRIBE " + channel + " failed",
                            new IllegalStateException("stub"));
                }
            }
            for (byte[] raw : channels) {
                String channel = new String(raw, StandardCharsets.UTF_8);
                this.asked.add(channel);
                if (!StubSubscriptionConnectionFactory.this.withholdingAll
                        && !StubSubscriptionConnectionFactory.this.withheld.contains(channel)) {
                    confirm(channel);
                }
            }
        }

        void confirm(String channel) {
            this.confirmed.add(channel);
            MessageListener current = this.listener;
            if (current instanceof SubscriptionListener subscriptionListener) {
                subscriptionListener.onChannelSubscribed(bytes(channel), this.confirmed.size());
            }
        }
    }
}
