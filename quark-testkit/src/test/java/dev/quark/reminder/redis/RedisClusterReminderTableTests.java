package dev.quark.reminder.redis;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.quark.actor.ReminderSchedule;
import dev.quark.reminder.ReminderEntry;
import dev.quark.reminder.ReminderKey;
import dev.quark.reminder.ReminderTick;
import dev.quark.reminder.ReminderUpdate;
import dev.quark.testkit.server.RedisClusterTestServer;
import dev.quark.testkit.server.RedisTestArea;
import io.lettuce.core.resource.ClientResources;
import io.lettuce.core.resource.DefaultClientResources;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.springframework.data.redis.connection.lettuce.LettuceConnectionFactory;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The reminder table's contract and its Redis tests on a Redis Cluster of three masters: a bucket's keys share the
 * bucket's hash tag, so each script finds its keys in one slot, while the buckets spread over the masters.
 */
class RedisClusterReminderTableTests extends RedisReminderTableTests {

    @BeforeAll
    static void connect() {
        use(RedisTestArea.onCluster(RedisClusterReminderTableTests.class));
    }

    /**
     * Not run on a cluster: a cluster connection holds one connection per master, opened as the topology asks, so
     * counting new connections says nothing there; the pipelining it checks is the standalone's.
     */
    @Override
    void writesAndReadsOfManyBucketsOpenNoConnectionOfTheirOwn() {
    }

    /** Not run on a cluster, for the same reason. */
    @Override
    void countsOfDueRemindersOfManyBucketsOpenNoConnectionOfTheirOwn() {
    }

    /** Not run on a cluster: there each bucket's writes go in a call of their own, as buckets lie in different slots. */
    @Override
    void aBatchOfNextTicksOverManyBucketsGoesToRedisInOneCallPerSixtyFourBuckets() {
    }

    /**
     * A Redis that shards by slot behind one endpoint refuses a script over several slots ({@code CROSSSLOT}); one
     * master of the cluster reached without the cluster protocol does the same for the buckets it serves.
     */
    @Test
    void aRedisThatRefusesCallsOverSeveralSlotsGetsOneBucketPerCall() {
        RedisClusterTestServer cluster = RedisClusterTestServer.get();
        ClientResources resources = DefaultClientResources.create();
        LettuceConnectionFactory single = standaloneFactory(resources, cluster.master(cluster.nodes().getFirst()));
        try {
            RedisReminderTable table = new RedisReminderTable(single, prefix + "proxied:");
            Instant due = Instant.parse("2026-01-01T00:00:01Z");
            Map<Integer, ReminderKey> served = new LinkedHashMap<>();
            while (served.size() < 10) {
                ReminderKey key = new ReminderKey(newActor(TABLE_ACTOR_TYPE), "beat");
                if (served.containsKey(key.bucket())) {
                    continue;
                }
                try {
                    table.save(new ReminderEntry(key, 7, ReminderSchedule.every(Duration.ofSeconds(1)).startingAt(due),
                            new byte[0], ReminderTick.first(due, 1)));
                    served.put(key.bucket(), key);
                }
                catch (RuntimeException movedToAnotherMaster) {
                    // Not a bucket of this master.
                }
            }
            List<ReminderUpdate> updates = served.values().stream()
                .map((key) -> ReminderUpdate.advance(key, 7, ReminderTick.first(due.plusSeconds(1), 2)))
                .toList();

            assertThat(table.apply(updates)).isEqualTo(10);
            assertThat(table.apply(updates)).as("the next batch, one bucket per call at once").isEqualTo(10);

            for (ReminderKey key : served.values()) {
                assertThat(table.find(key).orElseThrow().tick().number()).isEqualTo(2);
            }
        }
        finally {
            single.destroy();
            resources.shutdown();
        }
    }
}
