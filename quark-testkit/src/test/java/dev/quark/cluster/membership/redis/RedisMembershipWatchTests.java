package dev.quark.cluster.membership.redis;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import dev.quark.redis.RedisChannelSubscriptions;
import dev.quark.testkit.server.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Closing a {@link RedisMembershipWatch}: prompt, bounded, and silent towards other threads, also while hints
 * arrive, while a listener call hangs, and from a listener call itself.
 */
class RedisMembershipWatchTests {

    private static final Duration PROMPT = Duration.ofSeconds(1);

    private static RedisTestServer server;

    private static LettuceConnectionFactory connectionFactory;

    private static StringRedisTemplate redis;

    private static final RedisChannelSubscriptions subscriptions = new RedisChannelSubscriptions();

    private static final AtomicLong channels = new AtomicLong();

    private final List<Throwable> uncaught = new CopyOnWriteArrayList<>();

    private Thread.UncaughtExceptionHandler previousHandler;

    private String channel;

    @BeforeAll
    static void connect() {
        server = RedisTestServer.get();
        RedisStandaloneConfiguration configuration = new RedisStandaloneConfiguration(server.host(), server.port());
        if (server.password() != null) {
            configuration.setPassword(server.password());
        }
        connectionFactory = new LettuceConnectionFactory(configuration,
                LettuceClientConfiguration.builder().commandTimeout(Duration.ofSeconds(10)).build());
        connectionFactory.afterPropertiesSet();
        connectionFactory.start();
        redis = new StringRedisTemplate(connectionFactory);
    }

    @AfterAll
    static void disconnect() {
        subscriptions.close();
        if (connectionFactory != null) {
            connectionFactory.destroy();
        }
    }

    @BeforeEach
    void catchUncaughtExceptions() {
        this.channel = server.uniqueKeyPrefix(RedisMembershipWatchTests.class) + "channel-" + channels.incrementAndGet();
        this.previousHandler = Thread.getDefaultUncaughtExceptionHandler();
        Thread.setDefaultUncaughtExceptionHandler((thread, ex) -> this.uncaught.add(ex));
    }

    @AfterEach
    void restoreHandler() {
        Thread.setDefaultUncaughtExceptionHandler(this.previousHandler);
    }

    @Test
    void aCloseWhileHintsArriveIsPromptAndThrowsNowhere() throws InterruptedException {
        for (int round = 0; round < 10; round++) {
            AtomicInteger hints = new AtomicInteger();
            RedisMembershipWatch watch = RedisMembershipWatch.start(subscriptions, connectionFactory, this.channel,
                    hints::incrementAndGet);
            AtomicBoolean publishing = new AtomicBoolean(true);
            Thread publisher = Thread.ofVirtual().start(() -> {
                while (publishing.get()) {
                    redis.convertAndSend(this.channel, "hint");
                }
            });
            try {
                await("hints arriving").atMost(Duration.ofSeconds(10)).until(() -> hints.get() > 20);
                assertThat(timeToClose(watch)).as("close %d while hints arrive", round).isLessThan(PROMPT);
            }
            finally {
                publishing.set(false);
                publisher.join();
            }
        }
        await("no exception on another thread").dontCatchUncaughtExceptions()
            .during(Duration.ofMillis(300))
            .atMost(Duration.ofSeconds(2))
            .until(this.uncaught::isEmpty);
    }

    @Test
    void aCloseWaitsBoundedlyForAListenerCallThatDoesNotReturn() throws InterruptedException {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RedisMembershipWatch watch = RedisMembershipWatch.start(subscriptions, connectionFactory, this.channel, () -> {
            entered.countDown();
            try {
                release.await();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            redis.convertAndSend(this.channel, "hint");
            assertThat(entered.await(10, TimeUnit.SECONDS)).as("the listener is called").isTrue();
            Duration took = timeToClose(watch);
            assertThat(took).as("the close waits for the hanging call")
                .isGreaterThanOrEqualTo(RedisMembershipWatch.LISTENER_JOIN_TIMEOUT)
                .isLessThan(RedisMembershipWatch.LISTENER_JOIN_TIMEOUT.plus(PROMPT));
        }
        finally {
            release.countDown();
        }
        assertThat(this.uncaught).isEmpty();
    }

    /**
     * A second close, while the first waits for a listener call that does not return, returns only when the first
     * ended: not before the first's wait of {@link RedisMembershipWatch#LISTENER_JOIN_TIMEOUT} for the call is over.
     */
    @Test
    void aSecondConcurrentCloseReturnsWhenTheFirstEnded() throws Exception {
        CountDownLatch entered = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        RedisMembershipWatch watch = RedisMembershipWatch.start(subscriptions, connectionFactory, this.channel, () -> {
            entered.countDown();
            try {
                release.await();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
        });
        try {
            redis.convertAndSend(this.channel, "hint");
            assertThat(entered.await(10, TimeUnit.SECONDS)).as("the listener is called").isTrue();
            long firstStarted = System.nanoTime();
            Thread first = Thread.ofVirtual().start(watch::close);
            await("the first close runs").atMost(Duration.ofSeconds(10)).until(watch::closing);
            watch.close();
            Duration secondReturnedAfter = Duration.ofNanos(System.nanoTime() - firstStarted);
            assertThat(first.join(Duration.ofSeconds(10))).as("the first close ended").isTrue();
            assertThat(secondReturnedAfter).as("the second close returned after the first's wait for the hanging call")
                .isGreaterThanOrEqualTo(RedisMembershipWatch.LISTENER_JOIN_TIMEOUT);
        }
        finally {
            release.countDown();
        }
        assertThat(this.uncaught).isEmpty();
    }

    @Test
    void aListenerCallThatClosesItsWatchDoesNotWaitForItself() throws InterruptedException {
        AtomicReference<RedisMembershipWatch> watch = new AtomicReference<>();
        AtomicReference<Duration> took = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        watch.set(RedisMembershipWatch.start(subscriptions, connectionFactory, this.channel, () -> {
            try {
                started.await();
            }
            catch (InterruptedException ex) {
                Thread.currentThread().interrupt();
            }
            took.compareAndSet(null, timeToClose(watch.get()));
        }));
        started.countDown();
        redis.convertAndSend(this.channel, "hint");
        await("the listener closed its watch").atMost(Duration.ofSeconds(10)).until(() -> took.get() != null);
        assertThat(took.get()).isLessThan(RedisMembershipWatch.LISTENER_JOIN_TIMEOUT);
        assertThat(this.uncaught).isEmpty();
    }

    @Test
    void aFailingListenerCallIsLoggedNotThrownAtAnotherThread() {
        AtomicInteger calls = new AtomicInteger();
        RedisMembershipWatch watch = RedisMembershipWatch.start(subscriptions, connectionFactory, this.channel, () -> {
            calls.incrementAndGet();
            throw new IllegalStateException("listener failure");
        });
        try {
            redis.convertAndSend(this.channel, "hint");
            redis.convertAndSend(this.channel, "hint");
            await("both hints told").atMost(Duration.ofSeconds(10)).until(() -> calls.get() == 2);
        }
        finally {
            watch.close();
        }
        assertThat(this.uncaught).isEmpty();
    }

    private static Duration timeToClose(RedisMembershipWatch watch) {
        long start = System.nanoTime();
        watch.close();
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
