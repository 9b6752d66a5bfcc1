package dev.quark.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.lease.jdbc.JdbcLeaseStore;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.RepeatedTest;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Instances of an application started together on an empty schema each apply Quark's changelogs at once: Liquibase
 * first creates its own tables, and those creations raced (a duplicate key in {@code pg_type}) before the
 * migration took an advisory lock.
 */
class LiquibaseMigrationConcurrencyTests {

    private static final int INSTANCES = 4;

    @RepeatedTest(3)
    void instancesMigratingAnEmptySchemaTogetherAllSucceedAndEachChangesetRunsOnce() throws Exception {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(LiquibaseMigrationConcurrencyTests.class);
                HikariDataSource dataSource = new HikariDataSource()) {
            dataSource.setJdbcUrl(schema.jdbcUrl());
            dataSource.setMaximumPoolSize(INSTANCES);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> migrations = new ArrayList<>();
            try (ExecutorService instances = Executors.newVirtualThreadPerTaskExecutor()) {
                for (int i = 0; i < INSTANCES; i++) {
                    migrations.add(instances.submit(() -> {
                        start.await();
                        JdbcLeaseStore.migration(new TablePrefix(TablePrefix.DEFAULT)).apply(dataSource);
                        return null;
                    }));
                }
                start.countDown();
                for (Future<?> migration : migrations) {
                    migration.get(60, TimeUnit.SECONDS);
                }
            }
            JdbcClient jdbc = JdbcClient.create(dataSource);
            assertThat(jdbc.sql("select count(*) - count(distinct id) from databasechangelog").query(Long.class).single())
                .as("changesets recorded twice").isZero();
            List<Connection> pooled = new ArrayList<>();
            try {
                for (int i = 0; i < INSTANCES; i++) {
                    pooled.add(dataSource.getConnection());
                }
                for (Connection connection : pooled) {
                    try (Statement statement = connection.createStatement();
                            ResultSet held = statement.executeQuery("select count(*) from pg_locks where locktype = "
                                    + "'advisory' and pid = pg_backend_pid() and classid = 1903518066 "
                                    + "and objid = 1798171761")) {
                        held.next();
                        assertThat(held.getLong(1)).as("Quark's migration lock left held by a pooled connection")
                            .isZero();
                    }
                }
            }
            finally {
                for (Connection connection : pooled) {
                    connection.close();
                }
            }
        }
    }
}
