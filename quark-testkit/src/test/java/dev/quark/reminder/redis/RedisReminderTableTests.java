package dev.quark.reminder.redis;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

import dev.quark.actor.ReminderSchedule;
import dev.quark.reminder.ReminderBucketSet;
import dev.quark.reminder.ReminderBuckets;
import dev.quark.reminder.ReminderChangesTrimmedException;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderTable;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.runtime.ActorAddress;
import dev.quark.testkit.ManualClock;
import dev.quark.testkit.reminder.ReminderTableContractTests;
import dev.quark.testkit.server.RedisTestArea;
import dev.quark.testkit.server.RedisTestServer;
import io.lettuce.core.AbstractRedisClient;
import io.lettuce.core.event.command.CommandListener;
import io.lettuce.core.event.command.CommandStartedEvent;
import io.lettuce.core.event.connection.ConnectedEvent;
import io.lettuce.core.protocol.CommandType;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.data.redis.connection.RedisStandaloneConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceClientConfiguration;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;
import org.springframework.data.redis.core.StringRedisTemplate;
import org.springframework.data.redis.core.script.RedisScript;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

class RedisReminderTableTests extends ReminderTableContractTests {

    static String prefix;

    private static LettuceConnectionFactory connectionFactory;

    private static RedisReminderTable table;

    @AutoClose
    private static RedisTestArea area;

    private static final ManualClock changeClock = new ManualClock();

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onServer(RedisReminderTableTests.class));
    }

    /**
     * Runs the tests in a room on a Redis; a subclass that hides {@link #connect()} runs them on another Redis.
     * @param room the factory and the key prefix, closed after the tests
     */
    static void use(RedisTestArea room) {
        area = room;
        prefix = room.prefix();
        connectionFactory = room.connectionFactory();
        table = new RedisReminderTable(connectionFactory, prefix, RedisReminderTable.DEFAULT_REPLY_TIMEOUT, changeClock);
    }

    @Override
    protected ReminderTable table() {
        return table;
    }

    @Override
    protected ManualClock changeClock() {
        return changeClock;
    }

    @Test
    void theChangeEntriesOfOneShotRemindersRemovedByTheirLastTickAreTrimmedFromBothSortedSets() {
        ActorAddress actor = newActor(TABLE_ACTOR_TYPE);
        int bucket = ReminderBuckets.of(actor);
        List<ReminderEntry> oneShots = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Instant at = Instant.parse("2026-01-01T00:00:01Z").plusSeconds(i);
            oneShots.add(new ReminderEntry(new ReminderKey(actor, "once-" + i), 100 + i, ReminderSchedule.onceAt(at),
                    new byte[0], ReminderTick.first(at, 1)));
        }
        oneShots.forEach(table::save);
        table.apply(oneShots.stream().map((entry) -> ReminderUpdate.remove(entry.key(), entry.registration())).toList());
        StringRedisTemplate redis = new StringRedisTemplate(connectionFactory);
        List<String> members = oneShots.stream().map((entry) -> RedisReminderTable.member(entry.key())).toList();
        assertThat(members).allSatisfy((member) -> assertThat(
                redis.opsForZSet().score(table.redisKey(bucket, "changed"), member)).isNotNull());
        changeClock.advance(ReminderTable.CHANGE_RETENTION.plusSeconds(1));
        Instant later = changeClock.instant().plusSeconds(60);
        ReminderEntry young = new ReminderEntry(new ReminderKey(actor, "young"), 200, ReminderSchedule.onceAt(later),
                new byte[0], ReminderTick.first(later, 1));
        for (int i = 0; i < 20 && members.stream().anyMatch((member) -> redis.opsForZSet()
            .score(table.redisKey(bucket, "changes"), member) != null); i++) {
            // Each registration trims a bounded number: other tests of the class may have left older entries here.
            table.save(young);
        }
        assertThat(members).allSatisfy((member) -> {
            assertThat(redis.opsForZSet().score(table.redisKey(bucket, "changes"), member)).isNull();
            assertThat(redis.opsForZSet().score(table.redisKey(bucket, "changed"), member)).isNull();
        });
        assertThat(Long.parseLong(redis.opsForValue().get(table.redisKey(bucket, "trimmed"))))
            .isGreaterThanOrEqualTo(3);
    }

    /** The registration script of the first version of change tracking (reverted, then re-landed as it is now). */
    private static final String FIRST_TRACKING_SAVE = """
            redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
            redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
            redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
            redis.call('ZADD', KEYS[4], 0, ARGV[1])
            redis.call('ZADD', KEYS[6], redis.call('INCR', KEYS[5]), ARGV[1])
            return 1
            """;

    /** Its removal script: it pruned the oldest change entries beyond the bucket's reminders and ARGV[2] more. */
    private static final String FIRST_TRACKING_DELETE = """
            redis.call('ZREM', KEYS[1], ARGV[1])
            redis.call('HDEL', KEYS[3], ARGV[1])
            redis.call('ZREM', KEYS[4], ARGV[1])
            local removed = redis.call('HDEL', KEYS[2], ARGV[1])
            if removed == 1 then
                redis.call('ZADD', KEYS[6], redis.call('INCR', KEYS[5]), ARGV[1])
                local keep = redis.call('ZCARD', KEYS[1]) + tonumber(ARGV[2])
                local held = redis.call('ZCARD', KEYS[6])
                if held > keep then
                    redis.call('ZREMRANGEBYRANK', KEYS[6], 0, held - keep - 1)
                end
            end
            return removed
            """;

    @Test
    void aReaderIsToldToReadWholeABucketThatANodeOfTheFirstChangeTrackingChangedDuringARollingUpgrade() {
        RedisReminderTable upgraded = new RedisReminderTable(connectionFactory, prefix + "upgrade:",
                RedisReminderTable.DEFAULT_REPLY_TIMEOUT, changeClock);
        StringRedisTemplate redis = new StringRedisTemplate(connectionFactory);
        ActorAddress actor = newActor(TABLE_ACTOR_TYPE);
        int bucket = ReminderBuckets.of(actor);
        ReminderBucketSet buckets = ReminderBucketSet.of(bucket);
        List<String> keys = List.of(upgraded.redisKey(bucket, "due"), upgraded.redisKey(bucket, "def"),
                upgraded.redisKey(bucket, "tick"), upgraded.redisKey(bucket, "keys"), upgraded.redisKey(bucket, "version"),
                upgraded.redisKey(bucket, "changes"));
        Instant at = Instant.parse("2026-01-01T00:10:00Z");
        ReminderEntry live = new ReminderEntry(new ReminderKey(actor, "live"), 1, ReminderSchedule.onceAt(at),
                new byte[0], ReminderTick.first(at, 1));
        ReminderEntry removed = new ReminderEntry(new ReminderKey(actor, "removed"), 2, ReminderSchedule.onceAt(at),
                new byte[0], ReminderTick.first(at, 1));
        long[] before = upgraded.versions(buckets);
        upgraded.save(live);
        upgraded.save(removed);

        // An old node removes one, and prunes the entries beyond the bucket's one reminder (1,000 more in production,
        // none here): the live reminder's entry goes, and nothing says so.
        assertThat(redis.execute(RedisScript.of(FIRST_TRACKING_DELETE, Long.class), keys,
                RedisReminderTable.member(removed.key()), "0")).isEqualTo(1);
        assertThat(redis.opsForZSet().score(upgraded.redisKey(bucket, "changes"), RedisReminderTable.member(live.key())))
            .as("pruned").isNull();
        assertThatThrownBy(() -> upgraded.changes(buckets, before, 100))
            .as("a reader that has not read the live reminder's change reads the bucket whole")
            .isInstanceOf(ReminderChangesTrimmedException.class);
        long[] afterTheOldNode = upgraded.versions(buckets);
        ReminderEntry later = new ReminderEntry(new ReminderKey(actor, "later"), 3, ReminderSchedule.onceAt(at),
                new byte[0], ReminderTick.first(at, 1));
        upgraded.save(later);
        assertThatThrownBy(() -> upgraded.changes(buckets, before, 100)).as("still after a change recorded here")
            .isInstanceOf(ReminderChangesTrimmedException.class);
        assertThat(upgraded.changes(buckets, afterTheOldNode, 100)).extracting((change) -> change.key().name())
            .containsExactly("later");

        // An old node registers one: the version moves, with no entry dated for the trimming.
        long[] beforeTheOldSave = upgraded.versions(buckets);
        String member = RedisReminderTable.member(live.key());
        assertThat(redis.execute(RedisScript.of(FIRST_TRACKING_SAVE, Long.class), keys, member,
                (String) redis.opsForHash().get(upgraded.redisKey(bucket, "def"), member),
                (String) redis.opsForHash().get(upgraded.redisKey(bucket, "tick"), member),
                Long.toString(at.toEpochMilli()))).isEqualTo(1);
        assertThatThrownBy(() -> upgraded.changes(buckets, beforeTheOldSave, 100))
            .isInstanceOf(ReminderChangesTrimmedException.class);
        assertThat(upgraded.changes(buckets, upgraded.versions(buckets), 100)).as("a reader that read it whole reads on")
            .isEmpty();
    }

    @Test
    void eachBucketKeepsItsStructuresUnderItsHashTag() {
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
        String version = redis.opsForValue().get(prefix + "reminders:{" + bucket + "}:version");
        assertThat(version).isNotNull();
        assertThat(redis.opsForZSet().score(prefix + "reminders:{" + bucket + "}:changes", member))
            .isEqualTo(Double.parseDouble(version));
        assertThat(redis.opsForZSet().score(prefix + "reminders:{" + bucket + "}:changed", member))
            .as("dated by the table's clock").isEqualTo((double) changeClock.millis());
        table.apply(List.of(ReminderUpdate.remove(key, 42)));
        // The bucket's fence belongs to the bucket, not to a reminder: another test of the class may have stamped
        // this bucket (1,024 buckets, random actors), and its fence stays; so do its change version and change
        // entries, which silos that have not read them yet still will (a removal after the last tick is no change).
        assertThat(redis.keys(prefix + "reminders:{" + bucket + "}:*")).as("what the removal of the bucket's only reminder leaves")
            .filteredOn((left) -> !List.of(table.redisKey(bucket, "fence"), table.redisKey(bucket, "version"),
                    table.redisKey(bucket, "changes"), table.redisKey(bucket, "changed"), table.redisKey(bucket, "trimmed"),
                    table.redisKey(bucket, "logged"))
                .contains(left))
            .isEmpty();
    }

    @Test
    void writesAndReadsOfManyBucketsOpenNoConnectionOfTheirOwn() {
        ClientResources resources = DefaultClientResources.create();
        AtomicInteger connected = new AtomicInteger();
        var counting = resources.eventBus().get().filter(ConnectedEvent.class::isInstance)
            .subscribe((event) -> connected.incrementAndGet());
        LettuceConnectionFactory counted = standaloneFactory(resources);
        try {
            RedisReminderTable countedTable = new RedisReminderTable(counted, prefix + "connections:");
            Instant due = Instant.parse("2026-01-01T00:00:01Z");
            List<ReminderUpdate> updates = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                ReminderKey key = new ReminderKey(newActor(TABLE_ACTOR_TYPE), "beat");
                countedTable.save(new ReminderEntry(key, 7, ReminderSchedule.every(Duration.ofSeconds(1)).startingAt(due),
                        new byte[0], ReminderTick.first(due, 1)));
                updates.add(ReminderUpdate.advance(key, 7, ReminderTick.first(due.plusSeconds(1), 2)));
            }
            assertThat(countedTable.due(ReminderBucketSet.all(), due.plusSeconds(1), 1000).entries()).hasSize(40);
            await().atMost(Duration.ofSeconds(5)).until(() -> connected.get() >= 1);
            int before = connected.get();

            for (int round = 0; round < 5; round++) {
                assertThat(countedTable.apply(updates)).isEqualTo(40);
                assertThat(countedTable.due(ReminderBucketSet.all(), due.plusSeconds(3), 1000).entries()).hasSize(40);
            }

            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> connected.get() == before);
        }
        finally {
            counted.destroy();
            counting.dispose();
            resources.shutdown();
        }
    }

    @Test
    void countsOfDueRemindersOfManyBucketsOpenNoConnectionOfTheirOwn() {
        ClientResources resources = DefaultClientResources.create();
        AtomicInteger connected = new AtomicInteger();
        var counting = resources.eventBus().get().filter(ConnectedEvent.class::isInstance)
            .subscribe((event) -> connected.incrementAndGet());
        LettuceConnectionFactory counted = standaloneFactory(resources);
        try {
            RedisReminderTable countedTable = new RedisReminderTable(counted, prefix + "counts:");
            Instant due = Instant.parse("2026-01-01T00:00:01Z");
            for (int i = 0; i < 40; i++) {
                ReminderKey key = new ReminderKey(newActor(TABLE_ACTOR_TYPE), "beat");
                Instant first = due.plusSeconds(i % 2);
                countedTable.save(new ReminderEntry(key, 7, ReminderSchedule.every(Duration.ofSeconds(1))
                    .startingAt(first), new byte[0], ReminderTick.first(first, 1)));
            }
            await().atMost(Duration.ofSeconds(5)).until(() -> connected.get() >= 1);
            int before = connected.get();

            for (int round = 0; round < 5; round++) {
                assertThat(countedTable.countDue(ReminderBucketSet.all(), due.plusSeconds(1)))
                    .as("the due before the bound, not at it").isEqualTo(20);
                assertThat(countedTable.countDue(ReminderBucketSet.all(), due.plusSeconds(2))).isEqualTo(40);
            }

            await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2))
                .until(() -> connected.get() == before);
        }
        finally {
            counted.destroy();
            counting.dispose();
            resources.shutdown();
        }
    }

    @Test
    void aBatchOfNextTicksOverManyBucketsGoesToRedisInOneCallPerSixtyFourBuckets() {
        ClientResources resources = DefaultClientResources.create();
        LettuceConnectionFactory counted = standaloneFactory(resources);
        AtomicInteger calls = new AtomicInteger();
        ((AbstractRedisClient) counted.getRequiredNativeClient()).addListener(new CommandListener() {

            @Override
            public void commandStarted(CommandStartedEvent event) {
                if (event.getCommand().getType() == CommandType.EVALSHA) {
                    calls.incrementAndGet();
                }
            }
        });
        try {
            RedisReminderTable countedTable = new RedisReminderTable(counted, prefix + "calls:");
            Instant due = Instant.parse("2026-01-01T00:00:01Z");
            Set<Integer> buckets = new HashSet<>();
            List<ReminderUpdate> updates = new ArrayList<>();
            while (buckets.size() < 200) {
                ReminderKey key = new ReminderKey(newActor(TABLE_ACTOR_TYPE), "beat");
                if (buckets.add(key.bucket())) {
                    countedTable.save(new ReminderEntry(key, 7, ReminderSchedule.every(Duration.ofSeconds(1))
                        .startingAt(due), new byte[0], ReminderTick.first(due, 1)));
                    updates.add(ReminderUpdate.advance(key, 7, ReminderTick.first(due.plusSeconds(1), 2)));
                }
            }
            int before = calls.get();

            assertThat(countedTable.apply(updates)).isEqualTo(200);

            assertThat(calls.get() - before).as("calls of the script for 200 buckets").isEqualTo(4);
            assertThat(countedTable.due(ReminderBucketSet.all(), due.plusSeconds(2), 1000).entries())
                .allSatisfy((entry) -> assertThat(entry.tick().number()).isEqualTo(2))
                .hasSize(200);
        }
        finally {
            counted.destroy();
            resources.shutdown();
        }
    }

    private static LettuceConnectionFactory standaloneFactory(ClientResources resources) {
        return standaloneFactory(resources, RedisTestServer.get());
    }

    static LettuceConnectionFactory standaloneFactory(ClientResources resources, RedisTestServer server) {
        RedisStandaloneConfiguration configuration = new RedisStandaloneConfiguration(server.host(), server.port());
        if (server.password() != null) {
            configuration.setPassword(server.password());
        }
        LettuceConnectionFactory factory = new LettuceConnectionFactory(configuration,
                LettuceClientConfiguration.builder().clientResources(resources).commandTimeout(Duration.ofSeconds(10)).build());
        factory.afterPropertiesSet();
        factory.start();
        return factory;
    }
}
