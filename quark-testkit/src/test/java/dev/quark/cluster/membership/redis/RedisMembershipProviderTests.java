package dev.quark.cluster.membership.redis;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.membership.Suspicion;
import dev.quark.redis.RedisChannelSubscriptions;
import dev.quark.testkit.cluster.MembershipProviderContractTests;
import dev.quark.testkit.server.RedisTestArea;
import dev.quark.testkit.server.RedisTestServer;
import dev.quark.testkit.server.TcpProxy;
import io.lettuce.core.api.async.RedisAsyncCommands;
import io.lettuce.core.cluster.SlotHash;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

class RedisMembershipProviderTests extends MembershipProviderContractTests {

    private static final Duration SILO_TTL = Duration.ofSeconds(30);

    private static RedisTestServer server;

    private static String prefix;

    private static LettuceConnectionFactory connectionFactory;

    private static StringRedisTemplate redis;

    /** The subscriptions of this class's watches, as a Spring context's bean; closed after all its tests. */
    private static RedisChannelSubscriptions subscriptions;

    @AutoClose
    private static RedisTestArea area;

    @BeforeAll
    static void connect() {
        server = RedisTestServer.get();
        use(RedisTestArea.onServer(RedisMembershipProviderTests.class));
    }

    /**
     * Runs the tests in a room on a Redis; a subclass that hides {@link #connect()} runs them on another Redis.
     * @param room the factory and the key prefix, closed after the tests
     */
    static void use(RedisTestArea room) {
        area = room;
        prefix = room.prefix();
        connectionFactory = room.connectionFactory();
        redis = new StringRedisTemplate(connectionFactory);
        subscriptions = new RedisChannelSubscriptions();
    }

    static LettuceConnectionFactory connectionFactory(String host, int port) {
        return connectionFactory(host, port, null);
    }

    /** A factory whose connections carry the given client name, so that CLIENT LIST tells them apart. */
    static LettuceConnectionFactory connectionFactory(String host, int port, @Nullable String clientName) {
        RedisStandaloneConfiguration configuration = new RedisStandaloneConfiguration(host, port);
        if (server.password() != null) {
            configuration.setPassword(server.password());
        }
        LettuceClientConfiguration.LettuceClientConfigurationBuilder client = LettuceClientConfiguration.builder()
            .commandTimeout(Duration.ofSeconds(10));
        if (clientName != null) {
            client.clientName(clientName);
        }
        LettuceConnectionFactory factory = new LettuceConnectionFactory(configuration, client.build());
        factory.afterPropertiesSet();
        factory.start();
        return factory;
    }

    @AfterAll
    static void disconnect() {
        if (subscriptions != null) {
            subscriptions.close();
        }
    }

    @Override
    protected MembershipProvider provider(String clusterName) {
        return provider(connectionFactory, clusterName);
    }

    private static RedisMembershipProvider provider(LettuceConnectionFactory factory, String clusterName) {
        return new RedisMembershipProvider(factory, prefix, clusterName, SILO_TTL, subscriptions);
    }

    /**
     * Deletes the cluster's hash and liveness keys, as a flush or a restart without persistence loses them.
     */
    @Override
    protected void wipe(String clusterName) {
        RedisMembershipProvider table = (RedisMembershipProvider) provider(clusterName);
        redis.delete(table.tableKey());
        redis.delete(redis.keys(table.livenessKey("*")));
    }

    private RedisMembershipProvider redisTable() {
        return (RedisMembershipProvider) table();
    }

    @Test
    void theTableIsOneHashUnderTheDocumentedKey() {
        SiloEntry entry = new SiloEntry("silo-a", new SiloAddress("10.0.0.5", 7100), START, SiloStatus.ACTIVE,
                START.plusSeconds(1), 3, Set.of("Bank", "Account"),
                List.of(new Suspicion("silo-b", START.plusSeconds(2))));
        table().write(entry, 0);
        String key = prefix + "membership:{" + clusterName() + "}";
        assertThat(redisTable().tableKey()).isEqualTo(key);
        assertThat(redisTable().channel()).isEqualTo(key);
        assertThat(redisTable().livenessKey("silo-a")).isEqualTo(key + ":alive:silo-a");
        Map<Object, Object> hash = redis.opsForHash().entries(key);
        assertThat(hash).containsOnly(Map.entry("version", "1"), Map.entry("incarnation", table().read().incarnation()),
                Map.entry("silo:silo-a", "{\"format\":1,\"siloId\":\"silo-a\",\"address\":{\"host\":\"10.0.0.5\","
                        + "\"port\":7100},\"startTime\":\"2025-06-10T08:00:00.123Z\",\"status\":\"ACTIVE\","
                        + "\"epoch\":\"3\",\"actorTypes\":[\"Account\",\"Bank\"],\"suspicions\":[{\"suspectingSiloId\":"
                        + "\"silo-b\",\"at\":\"2025-06-10T08:00:02.123Z\"}]}"),
                Map.entry("heartbeat:silo-a", Long.toString(START.plusSeconds(1).toEpochMilli())));
        assertThat(RedisMembershipProvider.entryJson(entry)).isEqualTo(hash.get("silo:silo-a"));
    }

    @Test
    void everyKeyOfAClusterIsInOneRedisClusterSlot() {
        int slot = SlotHash.getSlot(redisTable().tableKey());
        for (String siloId : List.of("silo-a", "{silo-b}", "}", "{", "x}{y")) {
            assertThat(SlotHash.getSlot(redisTable().livenessKey(siloId))).as(siloId).isEqualTo(slot);
        }
        RedisMembershipProvider bracedPrefix = new RedisMembershipProvider(connectionFactory, "{quark}:", "c", SILO_TTL);
        assertThat(SlotHash.getSlot(bracedPrefix.livenessKey("a"))).isEqualTo(SlotHash.getSlot(bracedPrefix.tableKey()));
        RedisMembershipProvider openBrace = new RedisMembershipProvider(connectionFactory, "a{", "c", SILO_TTL);
        assertThat(SlotHash.getSlot(openBrace.livenessKey("}"))).isEqualTo(SlotHash.getSlot(openBrace.tableKey()));
    }

    @Test
    void namesThatWouldBreakTheSlotRuleAreRefused() {
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new RedisMembershipProvider(connectionFactory, prefix, "a{b}", SILO_TTL))
            .withMessageContaining("'a{b}'");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new RedisMembershipProvider(connectionFactory, prefix, " ", SILO_TTL));
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new RedisMembershipProvider(connectionFactory, "x{}", "c", SILO_TTL))
            .withMessageContaining("'x{}'");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new RedisMembershipProvider(connectionFactory, prefix, "c", Duration.ZERO))
            .withMessageContaining("PT0S");
    }

    @Test
    void aHeartbeatSetsTheLivenessKeyWithTheSiloTtl() {
        table().write(entry("silo-a", 7, SiloStatus.ACTIVE), 0);
        String alive = redisTable().livenessKey("silo-a");
        assertThat(redis.hasKey(alive)).as("a write of another silo's entry does not make it alive").isFalse();
        assertThat(table().heartbeat("silo-a", 7, START.plusSeconds(5))).isTrue();
        assertThat(redis.opsForValue().get(alive)).isEqualTo("7");
        assertThat(redis.getExpire(alive, TimeUnit.MILLISECONDS)).isBetween(1L, SILO_TTL.toMillis());
        redis.expire(alive, Duration.ofSeconds(2));
        assertThat(table().heartbeat("silo-a", 7, START.plusSeconds(6))).isTrue();
        assertThat(redis.getExpire(alive, TimeUnit.MILLISECONDS)).as("refreshed")
            .isGreaterThan(Duration.ofSeconds(2).toMillis());
        assertThat(table().heartbeat("silo-a", 8, START.plusSeconds(7))).isFalse();
        assertThat(redis.opsForValue().get(alive)).isEqualTo("7");
    }

    @Test
    void aDeadSiloOrARemovedOneLosesItsLivenessKey() {
        SiloEntry a = entry("silo-a", 1, SiloStatus.ACTIVE);
        SiloEntry b = entry("silo-b", 1, SiloStatus.ACTIVE);
        table().write(a, 0);
        table().write(b, 1);
        table().heartbeat("silo-a", 1, START.plusSeconds(5));
        table().heartbeat("silo-b", 1, START.plusSeconds(5));
        table().write(a.withStatus(SiloStatus.DEAD), 2);
        assertThat(redis.hasKey(redisTable().livenessKey("silo-a"))).isFalse();
        table().remove("silo-b", 3);
        assertThat(redis.hasKey(redisTable().livenessKey("silo-b"))).isFalse();
        assertThat(redis.opsForHash().keys(redisTable().tableKey())).containsOnly("version", "incarnation",
                "silo:silo-a", "heartbeat:silo-a");
    }

    @Test
    void theWriteScriptRefusesAStaleVersionAndTouchesNothing() {
        table().write(entry("silo-a", 1, SiloStatus.ACTIVE), 0);
        Map<Object, Object> before = redis.opsForHash().entries(redisTable().tableKey());
        List<?> reply = redis.execute(RedisMembershipProvider.WRITE,
                List.of(redisTable().tableKey(), redisTable().livenessKey("silo-b")), "0", "silo-b", "{}", "0", "1",
                "ACTIVE", redisTable().channel(), "another-incarnation");
        assertThat(reply).isEqualTo(List.of(0L, 1L));
        reply = redis.execute(RedisMembershipProvider.REMOVE,
                List.of(redisTable().tableKey(), redisTable().livenessKey("silo-a")), "2", "silo-a", redisTable().channel(),
                "another-incarnation");
        assertThat(reply).isEqualTo(List.of(0L, 1L));
        assertThat(redis.opsForHash().entries(redisTable().tableKey())).isEqualTo(before);
    }

    @Test
    void aHashThatIsNotAMembershipTableIsReported() {
        redis.opsForHash().put(redisTable().tableKey(), "silo:x", "{}");
        assertThatIllegalStateException().isThrownBy(() -> table().read())
            .withMessageContaining(redisTable().tableKey())
            .withMessageContaining("'version'");
        redis.opsForHash().put(redisTable().tableKey(), "version", "1");
        assertThatIllegalStateException().isThrownBy(() -> table().read()).withMessageContaining("'heartbeat:x'");
        redis.opsForHash().put(redisTable().tableKey(), "heartbeat:x", "0");
        assertThatIllegalStateException().isThrownBy(() -> table().read())
            .withMessageContaining("'silo:x'")
            .withMessageContaining("format");
        redis.opsForHash().put(redisTable().tableKey(), "silo:x", "{\"format\":2}");
        assertThatIllegalStateException().isThrownBy(() -> table().read()).withMessageContaining("unknown format 2");
    }

    @Test
    void aWatchHoldsOneSubscriptionUntilClosed() throws Exception {
        Hints hints = watch(table());
        assertThat(subscribers(redisTable().channel())).isEqualTo(1);
        hints.watch().close();
        await()
            .atMost(Duration.ofSeconds(10))
            .until(() -> subscribers(redisTable().channel()) == 0);
    }

    @Test
    void aWatchSubscribesAgainAfterALostConnectionAndHints() throws InterruptedException {
        try (TcpProxy proxy = TcpProxy.start(server.host(), server.port())) {
            LettuceConnectionFactory proxied = connectionFactory(proxy.host(), proxy.port());
            try {
                Hints hints = watch(provider(proxied, clusterName()));
                proxy.cut();
                proxy.restore();
                assertThat(hints.await()).as("told after subscribing again").isTrue();
                hints.forget();
                assertThat(table().write(entry("silo-a", 1, SiloStatus.JOINING), 0)).isTrue();
                assertThat(hints.await()).as("told of a write after subscribing again").isTrue();
                hints.watch().close();
            }
            finally {
                proxied.destroy();
            }
        }
    }

    /**
     * A silo's membership agent and a cluster client in one application watch one cluster on one connection factory:
     * one subscription connection for both (and for a watch of another cluster), each told of every write; closing
     * one leaves the other told; the last one closes the connection. The connections are counted in Redis's CLIENT
     * LIST, by the factory's client name.
     */
    @Test
    void theWatchesOfOneConnectionFactoryShareOneSubscriptionConnection() throws Exception {
        String clientName = "quark-test-subs-" + Long.toHexString(System.nanoTime());
        LettuceConnectionFactory named = connectionFactory(server.host(), server.port(), clientName);
        try {
            RedisMembershipProvider silo = provider(named, clusterName());
            RedisMembershipProvider client = provider(named, clusterName());
            RedisMembershipProvider otherCluster = provider(named, newClusterName());
            Hints siloHints = watch(silo);
            Hints clientHints = watch(client);
            Hints otherHints = watch(otherCluster);
            assertThat(subscribers(silo.channel())).as("one subscription of the cluster's channel").isEqualTo(1);
            assertThat(subscribingClients(clientName)).as("one connection for all three").isEqualTo(1);
            assertThat(silo.write(entry("silo-a", 1, SiloStatus.JOINING), 0)).isTrue();
            assertThat(siloHints.await()).isTrue();
            assertThat(clientHints.await()).isTrue();
            siloHints.watch().close();
            assertThat(subscribers(silo.channel())).as("the client's watch keeps it").isEqualTo(1);
            assertThat(silo.write(entry("silo-a", 1, SiloStatus.ACTIVE), 1)).isTrue();
            assertThat(clientHints.await()).as("the client is still told").isTrue();
            assertThat(otherCluster.write(entry("silo-b", 1, SiloStatus.JOINING), 0)).isTrue();
            assertThat(otherHints.await()).isTrue();
            clientHints.watch().close();
            await("the cluster's channel un-subscribed").atMost(Duration.ofSeconds(10))
                .until(() -> subscribers(silo.channel()) == 0);
            assertThat(subscribers(otherCluster.channel())).isEqualTo(1);
            assertThat(subscribingClients(clientName)).isEqualTo(1);
            otherHints.watch().close();
            await("no connection once every watch closed").atMost(Duration.ofSeconds(10))
                .until(() -> subscribingClients(clientName) == 0);
        }
        finally {
            named.destroy();
        }
    }

    @Test
    void everyWatchOfASharedSubscriptionIsToldAfterALostConnection() throws Exception {
        String clientName = "quark-test-subs-" + Long.toHexString(System.nanoTime());
        try (TcpProxy proxy = TcpProxy.start(server.host(), server.port())) {
            LettuceConnectionFactory proxied = connectionFactory(proxy.host(), proxy.port(), clientName);
            try {
                Hints silo = watch(provider(proxied, clusterName()));
                Hints client = watch(provider(proxied, clusterName()));
                assertThat(subscribers(redisTable().channel())).as("one subscription for both").isEqualTo(1);
                assertThat(subscribingClients(clientName)).as("one connection for both").isEqualTo(1);
                proxy.cut();
                proxy.restore();
                assertThat(silo.await()).as("the silo told after subscribing again").isTrue();
                assertThat(client.await()).as("the client told after subscribing again").isTrue();
                assertThat(subscribers(redisTable().channel())).as("still one subscription for both").isEqualTo(1);
                silo.forget();
                client.forget();
                assertThat(table().write(entry("silo-a", 1, SiloStatus.JOINING), 0)).isTrue();
                assertThat(silo.await()).isTrue();
                assertThat(client.await()).isTrue();
            }
            finally {
                closeWatches();
                proxied.destroy();
            }
        }
    }

    /**
     * A subscription connection that stopped answering (half-open) delays the watches of its factory only: a watch on
     * another factory starts at once, and the stuck one does not fail: it carries on, not listening yet, after
     * {@link RedisMembershipWatch#SUBSCRIBE_WAIT} (a silo's join does not depend on the pub/sub answer).
     */
    @Test
    void aHalfOpenSubscriptionConnectionDelaysOnlyItsOwnFactory() throws Exception {
        try (TcpProxy proxy = TcpProxy.start(server.host(), server.port())) {
            LettuceConnectionFactory proxied = connectionFactory(proxy.host(), proxy.port());
            ExecutorService starting = Executors.newSingleThreadExecutor();
            try {
                watch(provider(proxied, clusterName()));
                proxy.stall();
                RedisMembershipProvider stuck = provider(proxied, newClusterName());
                long began = System.nanoTime();
                Future<MembershipProvider.Watch> stuckStart = starting.submit(() -> stuck.watch(() -> { }));
                await("the stuck watch is subscribing").atMost(Duration.ofSeconds(10))
                    .until(() -> Duration.ofNanos(System.nanoTime() - began).toMillis() > 500 || stuckStart.isDone());
                RedisMembershipProvider other = provider(connectionFactory, newClusterName());
                long otherBegan = System.nanoTime();
                Hints hints = watch(other);
                assertThat(Duration.ofNanos(System.nanoTime() - otherBegan)).as("the other factory's watch started")
                    .isLessThan(Duration.ofSeconds(5));
                long closing = System.nanoTime();
                hints.watch().close();
                assertThat(Duration.ofNanos(System.nanoTime() - closing)).as("and closed")
                    .isLessThan(Duration.ofSeconds(3));
                MembershipProvider.Watch stuckWatch = stuckStart.get(RedisMembershipWatch.SUBSCRIBE_WAIT.toSeconds() + 10,
                        TimeUnit.SECONDS);
                assertThat(Duration.ofNanos(System.nanoTime() - began))
                    .isLessThan(RedisMembershipWatch.SUBSCRIBE_WAIT.plusSeconds(5));
                assertThat(((RedisMembershipWatch) stuckWatch).isConfirmed()).as("not listening yet").isFalse();
                stuckWatch.close();
            }
            finally {
                starting.shutdownNow();
                closeWatches();
                proxied.destroy();
            }
        }
    }

    @Test
    void closedSubscriptionsRefuseNewWatches() {
        RedisChannelSubscriptions closing = new RedisChannelSubscriptions();
        closing.close();
        RedisMembershipProvider provider = new RedisMembershipProvider(connectionFactory, prefix, clusterName(),
                SILO_TTL, closing);
        assertThatIllegalStateException().isThrownBy(() -> provider.watch(() -> { }))
            .withMessageContaining("closed")
            .withMessageContaining(provider.channel());
    }

    /** Counts the connections named so that subscribe to at least one channel. */
    private static long subscribingClients(String clientName) {
        try (RedisConnection connection = connectionFactory.getConnection()) {
            return connection.serverCommands()
                .getClientList()
                .stream()
                .filter((client) -> clientName.equals(client.getName()))
                .filter((client) -> {
                    String subscribed = client.get("sub");
                    return subscribed != null && Long.parseLong(subscribed) > 0;
                })
                .count();
        }
    }

    @SuppressWarnings("unchecked")
    private static long subscribers(String channel) throws Exception {
        try (RedisConnection connection = connectionFactory.getConnection()) {
            RedisAsyncCommands<byte[], byte[]> commands = (RedisAsyncCommands<byte[], byte[]>) connection
                .getNativeConnection();
            return commands.pubsubNumsub(channel.getBytes(StandardCharsets.UTF_8))
                .get(10, TimeUnit.SECONDS)
                .values()
                .iterator()
                .next();
        }
    }

    @Test
    void anEmptyTableAfterEveryoneLeftKeepsItsVersionAndIncarnation() {
        table().write(entry("silo-a", 1, SiloStatus.ACTIVE), 0);
        String incarnation = table().read().incarnation();
        table().remove("silo-a", 1);
        assertThat(table().read()).isEqualTo(new MembershipSnapshot(incarnation, 2, Map.of()));
    }

    @Test
    void aTableWrittenBeforeIncarnationsExistedGetsOneWithItsNextWrite() {
        table().write(entry("silo-a", 1, SiloStatus.ACTIVE), 0);
        redis.opsForHash().delete(redisTable().tableKey(), "incarnation");
        assertThat(table().read().incarnation()).isEqualTo(MembershipSnapshot.NO_INCARNATION);
        assertThat(table().write(entry("silo-a", 1, SiloStatus.SHUTTING_DOWN), 1)).isTrue();
        assertThat(table().read().incarnation()).isNotBlank();
        assertThat(table().read().version()).isEqualTo(2);
    }
}
