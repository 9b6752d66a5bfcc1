package dev.quark.reminder.redis;

import java.lang.reflect.Proxy;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.runtime.ActorAddress;
import io.lettuce.core.RedisFuture;
import io.lettuce.core.cluster.api.async.RedisClusterAsyncCommands;
import io.lettuce.core.protocol.AsyncCommand;
import io.lettuce.core.protocol.Command;
import io.lettuce.core.protocol.CommandType;
import org.junit.jupiter.api.Test;

import org.springframework.dao.QueryTimeoutException;
import org.springframework.data.redis.connection.RedisConnection;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.data.redis.connection.ReturnType;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

/**
 * The batched script calls of {@link RedisReminderTable} wait for Redis's replies within a bound of their own, even
 * when Lettuce's command timeout is turned off: a Redis that never answers fails the call instead of hanging it.
 */
class RedisReminderTableReplyTimeoutTests {

    private final List<RedisFuture<Object>> sent = new CopyOnWriteArrayList<>();

    @Test
    void callsWhoseRepliesDoNotComeFailWithinTheReplyTimeoutNamingTheBucket() {
        RedisConnection connection = connectionAnswering(1);
        CompletableFuture<?> run = CompletableFuture.supplyAsync(() -> RedisReminderTable.LettuceScripts.run(connection,
                "0123456789abcdef0123456789abcdef01234567", ReturnType.INTEGER, 3,
                (i) -> new byte[][] { ("quark:reminders:{" + (517 + i) + "}:due").getBytes(StandardCharsets.UTF_8) },
                (i) -> new byte[][] { "1".getBytes(StandardCharsets.UTF_8) }, Duration.ofMillis(300)));

        assertThat(run).failsWithin(Duration.ofSeconds(20))
            .withThrowableThat()
            .havingCause()
            .isInstanceOf(QueryTimeoutException.class)
            .withMessageContaining("quark:reminders:{518}:due")
            .withMessageContaining("PT0.3S")
            .withMessageContaining("call 2 of 3");
        assertThat(this.sent.subList(1, 3)).as("the unanswered calls are cancelled").allMatch(RedisFuture::isCancelled);
    }

    @Test
    void theReplyTimeoutMustBePositive() {
        LettuceConnectionFactory factory = new LettuceConnectionFactory();
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new RedisReminderTable(factory, "quark:", Duration.ZERO))
            .withMessageContaining("PT0S")
            .withMessageContaining("must be positive");
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new RedisReminderTable(factory, "quark:", Duration.ofSeconds(-1)))
            .withMessageContaining("PT-1S");
    }

    @Test
    void aScriptLoadWhoseReplyDoesNotComeFailsWithinTheReplyTimeout() {
        RedisConnection connection = connectionAnswering(0);
        RedisConnectionFactory factory = (RedisConnectionFactory) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { RedisConnectionFactory.class }, (proxy, method, arguments) -> {
                    if (method.getName().equals("getConnection")) {
                        return connection;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
        RedisReminderTable table = new RedisReminderTable(factory, "quark:", Duration.ofMillis(300));
        ReminderKey key = new ReminderKey(new ActorAddress("beeper", "beeper-1"), "beep");
        CompletableFuture<?> apply = CompletableFuture.supplyAsync(() -> table.apply(List.of(ReminderUpdate.advance(key, 1,
                ReminderTick.first(Instant.parse("2026-01-15T10:00:00Z"), 1)))));

        assertThat(apply).failsWithin(Duration.ofSeconds(20))
            .withThrowableThat()
            .havingCause()
            .isInstanceOf(QueryTimeoutException.class)
            .withMessageContaining("SCRIPT LOAD")
            .withMessageContaining("PT0.3S");
        assertThat(this.sent).as("the unanswered load is cancelled").singleElement().matches(RedisFuture::isCancelled);
    }

    @Test
    void aReplyTimeoutTooLongForTheNanoClockWaitsAsLongAsItHolds() {
        RedisConnection connection = connectionAnswering(2);
        assertThat(RedisReminderTable.LettuceScripts.run(connection, "0123456789abcdef0123456789abcdef01234567",
                ReturnType.INTEGER, 2,
                (i) -> new byte[][] { ("quark:reminders:{" + i + "}:due").getBytes(StandardCharsets.UTF_8) },
                (i) -> new byte[][] { "1".getBytes(StandardCharsets.UTF_8) }, Duration.ofSeconds(Long.MAX_VALUE)))
            .containsExactly(1L, 1L);
        assertThat(new RedisReminderTable(new LettuceConnectionFactory(), "quark:", Duration.ofSeconds(Long.MAX_VALUE)))
            .isNotNull();
    }

    /** A connection whose Lettuce commands are sent but answered only for the first {@code answered} calls. */
    @SuppressWarnings("unchecked")
    private RedisConnection connectionAnswering(int answered) {
        RedisClusterAsyncCommands<byte[], byte[]> commands = (RedisClusterAsyncCommands<byte[], byte[]>) Proxy
            .newProxyInstance(getClass().getClassLoader(), new Class<?>[] { RedisClusterAsyncCommands.class },
                    (proxy, method, arguments) -> {
                        if (method.getName().equals("scriptLoad")) {
                            AsyncCommand<byte[], byte[], Object> reply = new AsyncCommand<>(
                                    new Command<byte[], byte[], Object>(CommandType.SCRIPT, null));
                            this.sent.add(reply);
                            return reply;
                        }
                        if (!method.getName().equals("evalsha")) {
                            throw new UnsupportedOperationException(method.getName());
                        }
                        AsyncCommand<byte[], byte[], Object> reply = new AsyncCommand<>(
                                new Command<byte[], byte[], Object>(CommandType.EVALSHA, null));
                        if (this.sent.size() < answered) {
                            reply.complete(1L);
                        }
                        this.sent.add(reply);
                        return reply;
                    });
        return (RedisConnection) Proxy.newProxyInstance(getClass().getClassLoader(),
                new Class<?>[] { RedisConnection.class }, (proxy, method, arguments) -> {
                    if (method.getName().equals("getNativeConnection")) {
                        return commands;
                    }
                    if (method.getName().equals("close")) {
                        return null;
                    }
                    if (method.getName().equals("isPipelined") || method.getName().equals("isQueueing")) {
                        return false;
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }
}
