package dev.quark.messaging.runtime;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.zaxxer.hikari.HikariDataSource;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import tools.jackson.databind.json.JsonMapper;

import dev.quark.jdbc.TablePrefix;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.messaging.Destinations;
import dev.quark.messaging.OutboxMessage;
import dev.quark.messaging.store.MessageStatus;
import dev.quark.messaging.store.jdbc.JdbcOutboxStore;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Two dispatchers on PostgreSQL, with leases and fencing in the database, running rounds at the same time on their
 * own threads: every committed message is delivered once, in key order.
 */
@Timeout(120)
class JdbcOutboxDispatcherTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcOutboxDispatcherTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(12);
        JdbcLeaseStore.migration(PREFIX).apply(dataSource);
        JdbcOutboxStore.migration(PREFIX).apply(dataSource);
    }

    @AfterAll
    static void disconnect() {
        if (dataSource != null) {
            dataSource.close();
        }
        if (schema != null) {
            schema.close();
        }
    }

    @Test
    void twoDispatchersRunningAtOnceDeliverEveryMessageOnceInKeyOrder() throws Exception {
        JdbcOutboxStore store = new JdbcOutboxStore(dataSource, PREFIX);
        JdbcLeaseStore leases = new JdbcLeaseStore(dataSource, PREFIX, Clock.systemUTC());
        RecordingPublisher toA = new RecordingPublisher("orders");
        RecordingPublisher toB = new RecordingPublisher("orders");
        Partitioner partitioner = new Partitioner(8);
        DefaultOutbox outbox = new DefaultOutbox(store, new Destinations(List.of(toA)),
                new MessageCodec(JsonMapper.shared()), partitioner, Clock.systemUTC());
        List<OutboxDispatcher> dispatchers = new ArrayList<>();
        for (String owner : List.of("pg-node-a", "pg-node-b")) {
            dispatchers.add(OutboxDispatcher
                .builder(store, leases, new Destinations(List.of(owner.endsWith("a") ? toA : toB)))
                .partitioner(partitioner)
                .owner(owner)
                .leaseDuration(Duration.ofSeconds(30))
                .build());
        }
        try {
            for (int round = 0; round < 2; round++) {
                dispatchers.forEach(OutboxDispatcher::runOnce);
            }
            assertThat(dispatchers.get(0).partitions()).hasSize(4);
            assertThat(dispatchers.get(1).partitions()).hasSize(4);
            for (int i = 0; i < 300; i++) {
                outbox.enqueue("orders", "key-" + (i % 30), "m" + i);
            }
            List<CompletableFuture<Void>> loops = new ArrayList<>();
            for (OutboxDispatcher dispatcher : dispatchers) {
                loops.add(CompletableFuture.runAsync(() -> {
                    for (int round = 0; round < 200 && store.count(MessageStatus.PENDING) > 0; round++) {
                        dispatcher.runOnce();
                    }
                }));
            }
            CompletableFuture.allOf(loops.toArray(CompletableFuture[]::new)).get();
            assertThat(store.count(MessageStatus.PENDING)).isZero();
            assertThat(dispatchers.get(0).partitions()).doesNotContainAnyElementsOf(dispatchers.get(1).partitions());
        }
        finally {
            dispatchers.forEach(OutboxDispatcher::close);
        }
        List<OutboxMessage> all = new ArrayList<>(toA.received());
        all.addAll(toB.received());
        assertThat(all).hasSize(300).extracting(OutboxMessage::id).doesNotHaveDuplicates();
        assertThat(toA.received()).isNotEmpty();
        assertThat(toB.received()).isNotEmpty();
        assertInKeyOrder(toA.received());
        assertInKeyOrder(toB.received());
    }

    private static void assertInKeyOrder(List<OutboxMessage> received) {
        Map<String, List<Integer>> byKey = new HashMap<>();
        for (OutboxMessage message : received) {
            byKey.computeIfAbsent(message.key(), (key) -> new ArrayList<>())
                .add(Integer.parseInt(message.payload().replaceAll("[^0-9]", "")));
        }
        byKey.forEach((key, numbers) -> assertThat(numbers).as(key).isSorted());
    }
}
