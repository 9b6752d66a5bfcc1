package dev.quark.reminder.redis;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import dev.quark.actor.ReminderSchedule;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.runtime.ActorAddress;
import dev.quark.testkit.reminder.ReminderTableContractTests;
import dev.quark.testkit.server.RedisTestConnections;
import dev.quark.testkit.server.RedisTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;

import static org.assertj.core.api.Assertions.assertThat;

class RedisReminderTableTests extends ReminderTableContractTests {

    private static RedisTestServer server;

    private static String prefix;

    private static LettuceConnectionFactory connectionFactory;

    private static RedisReminderTable table;

    @BeforeAll
    static void connect() {
        server = RedisTestServer.get();
        prefix = server.uniqueKeyPrefix(RedisReminderTableTests.class);
        connectionFactory = RedisTestConnections.connect(server);
        table = new RedisReminderTable(connectionFactory, prefix);
    }

    @AfterAll
    static void disconnect() {
        if (connectionFactory != null) {
            connectionFactory.destroy();
        }
        if (server != null && prefix != null) {
            server.deleteKeys(prefix);
        }
    }

    @Override
    protected ReminderTable table() {
        return table;
    }

    @Test
    void eachBucketKeepsFourStructuresUnderItsHashTag() {
        ActorAddress actor = newActor(TABLE_ACTOR_TYPE);
        ReminderKey key = new ReminderKey(actor, "fee");
        int bucket = key.bucket();
        Instant due = Instant.parse("2026-01-01T00:00:01.250Z");
        ReminderEntry entry = new ReminderEntry(key, 42, ReminderSchedule.every(Duration.ofMillis(500)).startingAt(due),
                new byte[] { 1, 2 }, ReminderTick.first(due, 1));
        table.save(entry);
        StringRedisTemplate redis = new StringRedisTemplate(connectionFactory);
        String member = TABLE_ACTOR_TYPE + "\u0000" + actor.id() + "\u0000fee";
        assertThat(RedisReminderTable.member(key)).isEqualTo(member);
        assertThat(table.redisKey(bucket, "due")).isEqualTo(prefix + "reminders:{" + bucket + "}:due");
        assertThat(redis.opsForZSet().score(prefix + "reminders:{" + bucket + "}:due", member))
            .isEqualTo((double) due.toEpochMilli());
        assertThat(redis.opsForHash().get(prefix + "reminders:{" + bucket + "}:tick", member))
            .isEqualTo("42:" + due.toEpochMilli() + ":1:1:" + due.toEpochMilli());
        assertThat(redis.opsForHash().get(prefix + "reminders:{" + bucket + "}:def", member))
            .isEqualTo("{\"due\":" + due.toEpochMilli() + ",\"period\":500,\"payload\":\"AQI=\"}");
        assertThat(redis.opsForZSet().score(prefix + "reminders:{" + bucket + "}:keys", member)).isZero();
        table.apply(List.of(ReminderUpdate.remove(key, 42)));
        assertThat(redis.keys(prefix + "reminders:{" + bucket + "}:*")).isEmpty();
    }
}
