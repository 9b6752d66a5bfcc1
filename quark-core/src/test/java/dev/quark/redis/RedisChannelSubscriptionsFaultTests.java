package dev.quark.redis;

import java.lang.reflect.Proxy;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import ch.qos.logback.classic.Level;
import dev.quark.LogCapture;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.redis.RedisMembershipProvider;
import dev.quark.redis.RedisChannelSubscriptions.ChannelListener;
import dev.quark.redis.RedisChannelSubscriptions.Subscription;
import io.lettuce.core.ClientOptions;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.RedisConnectionFailureException;
import org.springframework.data.redis.connection.RedisConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * How the shared subscription connection of a factory behaves when Redis answers late, fails a {@code SUBSCRIBE} or
 * refuses connections, against a stubbed subscription connection that the tests answer for Redis.
 */
class RedisChannelSubscriptionsFaultTests {

    /** The first back-off of the retries, a tenth of the production one so that retries cost little real time. */
    private static final Duration FIRST_RETRY = RedisChannelSubscriptions.FIRST_RETRY.dividedBy(10);

    private static final Duration MAX_RETRY = FIRST_RETRY.multipliedBy(8);

    private final StubSubscriptionConnectionFactory redis = new StubSubscriptionConnectionFactory();

    @AutoClose
    private final RedisChannelSubscriptions subscriptions = new RedisChannelSubscriptions("quark-test-subscriptions",
            FIRST_RETRY, MAX_RETRY);

    @Test
    void aConfirmationThatComesLateIsNotAFailureAndTheChannelListensOnceItComes() {
        this.redis.withhold("late");
        Recorder late = new Recorder();
        this.subscriptions.subscribe(this.redis, "late", late);
        await().atMost(Duration.ofSeconds(5)).until(() -> this.redis.subscribes("late") == 1);
        // Longer than the container's old registration wait (2 s), after which the subscription counted as failed.
        await("no failure while Redis has not answered").during(Duration.ofSeconds(3))
            .atMost(Duration.ofSeconds(5))
            .until(() -> late.failures.get() == 0 && late.confirmations.isEmpty());
        this.redis.confirm("late");
        await().atMost(Duration.ofSeconds(5)).until(() -> late.confirmations.equals(List.of(false)));
        this.redis.publish("late", "hello");
        await().atMost(Duration.ofSeconds(5)).until(() -> late.messages.equals(List.of("hello")));
        assertThat(this.redis.connections()).as("the connection was kept, not made again").isEqualTo(1);
        assertThat(this.redis.subscribes("late")).as("SUBSCRIBE sent once").isEqualTo(1);
    }

    @Test
    void aSubscribeThatFailsOnARunningConnectionIsTriedAgainUntilItSucceeds() {
        Recorder first = new Recorder();
        this.subscriptions.subscribe(this.redis, "first", first);
        await().atMost(Duration.ofSeconds(5)).until(() -> first.confirmations.equals(List.of(false)));
        this.redis.failSubscribes("second", 2);
        Recorder second = new Recorder();
        this.subscriptions.subscribe(this.redis, "second", second);
        await("tried again after each failure").atMost(Duration.ofSeconds(10))
            .until(() -> second.confirmations.equals(List.of(false)));
        assertThat(this.redis.subscribes("second")).isEqualTo(3);
        assertThat(second.failures.get()).as("each failure told").isEqualTo(2);
        this.redis.publish("second", "hello");
        await().atMost(Duration.ofSeconds(5)).until(() -> second.messages.equals(List.of("hello")));
        assertThat(this.redis.connections()).as("on the running connection").isEqualTo(1);
        assertThat(first.confirmations).as("the other channel kept its subscription").containsExactly(false);
    }

    @Test
    void aFailedSubscribeIsNotTriedAgainOnceItsChannelIsUnsubscribed() {
        // A back-off the test can close the channel within, after seeing the first failure, on a busy machine too.
        Duration backOff = Duration.ofMillis(500);
        try (RedisChannelSubscriptions subscriptions = new RedisChannelSubscriptions("quark-test-back-off", backOff,
                backOff.multipliedBy(8))) {
            Recorder first = new Recorder();
            subscriptions.subscribe(this.redis, "first", first);
            await().atMost(Duration.ofSeconds(5)).until(() -> first.confirmations.equals(List.of(false)));
            this.redis.failSubscribes("gone", 1_000);
            Recorder gone = new Recorder();
            Subscription subscription = subscriptions.subscribe(this.redis, "gone", gone);
            await().pollInterval(Duration.ofMillis(10)).atMost(Duration.ofSeconds(5))
                .until(() -> gone.failures.get() >= 1);
            subscription.close();
            int tried = this.redis.subscribes("gone");
            await("not tried after the back-off").during(backOff.multipliedBy(2)).atMost(Duration.ofSeconds(5))
                .until(() -> this.redis.subscribes("gone") == tried);
            assertThat(tried).isEqualTo(1);
        }
    }

    @Test
    void aSubscribeThatRedisNeverAnswersDoesNotHoldTheClose() {
        Recorder first = new Recorder();
        this.subscriptions.subscribe(this.redis, "first", first);
        await().atMost(Duration.ofSeconds(5)).until(() -> first.confirmations.equals(List.of(false)));
        this.redis.withhold("unanswered");
        this.subscriptions.subscribe(this.redis, "unanswered", new Recorder());
        await().atMost(Duration.ofSeconds(5)).until(() -> this.redis.subscribes("unanswered") == 1);
        long closing = System.nanoTime();
        this.subscriptions.close();
        assertThat(Duration.ofNanos(System.nanoTime() - closing)).as("closed without waiting for Redis")
            .isLessThan(Duration.ofSeconds(3));
        assertThat(this.redis.openConnections()).as("the connection closed").isZero();
    }

    @Test
    void aFactoryThatCannotConnectHasExactlyOneRetryLoop() {
        this.redis.failConnections(Integer.MAX_VALUE);
        Recorder a = new Recorder();
        Recorder b = new Recorder();
        Recorder c = new Recorder();
        this.subscriptions.subscribe(this.redis, "a", a);
        this.subscriptions.subscribe(this.redis, "b", b);
        this.subscriptions.subscribe(this.redis, "c", c);
        // Attempts at 0, 1 and 3 back-offs: waiting for the third shows whether any other loop tried in between.
        await().atMost(Duration.ofSeconds(8)).until(() -> this.redis.connectAttempts().size() >= 3);
        List<Long> attempts = this.redis.connectAttempts().subList(0, 3);
        for (int i = 1; i < attempts.size(); i++) {
            Duration gap = Duration.ofNanos(attempts.get(i) - attempts.get(i - 1));
            Duration backOff = FIRST_RETRY.multipliedBy(1L << (i - 1));
            assertThat(gap).as("gap before attempt %d of %s", i + 1, attempts)
                .isGreaterThan(backOff.multipliedBy(9).dividedBy(10));
        }
        assertThat(a.failures.get()).as("a failed connection told every channel").isGreaterThanOrEqualTo(2);
        this.redis.failConnections(0);
        await("connects at the next retry").atMost(Duration.ofSeconds(20))
            .until(() -> a.confirmations.size() == 1 && b.confirmations.size() == 1 && c.confirmations.size() == 1);
        assertThat(this.redis.connections()).isEqualTo(1);
    }

    @Test
    void aChannelSubscribedAgainAsItsLastSubscriptionClosesIsConfirmedToTheNewSubscription() {
        Recorder kept = new Recorder();
        this.subscriptions.subscribe(this.redis, "kept", kept);
        Recorder before = new Recorder();
        Subscription first = this.subscriptions.subscribe(this.redis, "again", before);
        await().atMost(Duration.ofSeconds(5))
            .until(() -> kept.confirmations.size() == 1 && before.confirmations.size() == 1);
        first.close();
        Recorder after = new Recorder();
        this.subscriptions.subscribe(this.redis, "again", after);
        await().atMost(Duration.ofSeconds(5)).until(() -> after.confirmations.equals(List.of(false)));
        this.redis.publish("again", "hello");
        await().atMost(Duration.ofSeconds(5)).until(() -> after.messages.equals(List.of("hello")));
        assertThat(before.messages).isEmpty();
    }

    @Test
    void aMembershipWatchWhoseSubscriptionIsConfirmedLateStartsAndIsToldOnceConfirmed() {
        this.redis.withholdAll();
        RedisMembershipProvider provider = new RedisMembershipProvider(this.redis, "quark-test:", "late-cluster",
                Duration.ofSeconds(10), this.subscriptions);
        AtomicInteger hints = new AtomicInteger();
        long starting = System.nanoTime();
        try (MembershipProvider.Watch watch = provider.watch(hints::incrementAndGet)) {
            assertThat(Duration.ofNanos(System.nanoTime() - starting)).as("a bounded wait")
                .isLessThan(Duration.ofSeconds(8));
            assertThat(hints.get()).isZero();
            this.redis.confirmAll();
            await("told once confirmed, since changes may have been missed").atMost(Duration.ofSeconds(5))
                .until(() -> hints.get() == 1);
            String channel = this.redis.subscribedChannels().get(0);
            this.redis.publish(channel, "changed");
            await("listening").atMost(Duration.ofSeconds(5)).until(() -> hints.get() == 2);
        }
    }

    @Test
    void aFactoryThatDoesNotReconnectIsWarnedOfOnceWithLettucesDefaultsNot() {
        try (LogCapture logged = LogCapture.of(RedisChannelSubscriptions.class)) {
            RedisConnectionFactory jedisLike = (RedisConnectionFactory) Proxy.newProxyInstance(
                    getClass().getClassLoader(), new Class<?>[] { RedisConnectionFactory.class },
                    (proxy, method, args) -> switch (method.getName()) {
                        case "getConnection" -> throw new RedisConnectionFailureException("stub: no Redis");
                        case "hashCode" -> System.identityHashCode(proxy);
                        case "equals" -> proxy == args[0];
                        case "toString" -> "JedisLikeFactory";
                        default -> null;
                    });
            this.subscriptions.subscribe(jedisLike, "one", new Recorder());
            this.subscriptions.subscribe(jedisLike, "two", new Recorder());
            this.subscriptions.subscribe(this.redis, "lettuce", new Recorder());
            StubSubscriptionConnectionFactory notReconnecting = new StubSubscriptionConnectionFactory(
                    ClientOptions.builder().autoReconnect(false).build());
            this.subscriptions.subscribe(notReconnecting, "off", new Recorder());
            List<String> warnings = logged.messages(Level.WARN).stream()
                .filter((message) -> message.contains("does not re-establish a lost subscription connection"))
                .toList();
            assertThat(warnings).hasSize(2);
            assertThat(warnings.get(0)).contains(jedisLike.getClass().getName()).contains("only polling remains")
                .contains("until the application restarts");
            assertThat(warnings.get(1)).contains(StubSubscriptionConnectionFactory.class.getName());
        }
    }

    /** Records what a channel's listener hears. */
    static final class Recorder implements ChannelListener {

        final List<String> messages = new CopyOnWriteArrayList<>();

        final List<Boolean> confirmations = new CopyOnWriteArrayList<>();

        final AtomicInteger failures = new AtomicInteger();

        @Override
        public void message(String payload) {
            this.messages.add(payload);
        }

        @Override
        public void subscribed(boolean again) {
            this.confirmations.add(again);
        }

        @Override
        public void subscribeFailed(RuntimeException failure) {
            this.failures.incrementAndGet();
        }
    }
}
