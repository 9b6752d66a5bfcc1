package dev.quark.cluster.membership.jdbc;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.jdbc.PostgresNotificationListeners;
import dev.quark.jdbc.TablePrefix;
import dev.quark.testkit.cluster.MembershipProviderContractTests;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The membership contract on PostgreSQL with the watches on the shared listening connection of the data source (the
 * {@link JdbcMembershipProvider} built with {@link PostgresNotificationListeners}, as the Spring wiring builds it):
 * every provider of the class shares one registry, so the watches of all clusters share one connection, as the
 * areas of a node do. The table prefix is this run's own, and so is the channel derived from it (channels are
 * database-wide, and other JVMs' tests notify on the same database).
 */
class JdbcSharedListenerMembershipProviderTests extends MembershipProviderContractTests {

    private static final TablePrefix PREFIX = new TablePrefix("qs" + Long.toHexString(System.nanoTime()) + "_");

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcClient jdbc;

    private static PostgresNotificationListeners listeners;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcSharedListenerMembershipProviderTests.class);
        dataSource = JdbcMembershipProviderTests.dataSource(schema.jdbcUrl());
        JdbcMembershipProvider.migration(PREFIX).apply(dataSource);
        jdbc = JdbcClient.create(dataSource);
        listeners = new PostgresNotificationListeners("membership-contract");
    }

    @AfterAll
    static void disconnect() {
        if (listeners != null) {
            listeners.close();
        }
        if (dataSource != null) {
            dataSource.close();
        }
        if (schema != null) {
            schema.close();
        }
    }

    @Override
    protected MembershipProvider provider(String clusterName) {
        return new JdbcMembershipProvider(dataSource, PREFIX, clusterName, listeners);
    }

    @Override
    protected void wipe(String clusterName) {
        jdbc.sql("delete from " + PREFIX.table("membership_silo") + " where cluster_name = ?").param(clusterName)
            .update();
        jdbc.sql("delete from " + PREFIX.table("membership_version") + " where cluster_name = ?").param(clusterName)
            .update();
    }

    @Test
    void theWatchesOfEveryClusterShareOneListeningConnection() {
        String channel = ((JdbcMembershipProvider) table()).channel();
        MembershipProvider.Watch first = table().watch(() -> { });
        MembershipProvider.Watch other = provider(newClusterName()).watch(() -> { });
        try {
            assertThat(listeners.listeners()).as("one listener, so one connection, while both watch")
                .singleElement()
                .satisfies((listener) -> {
                    assertThat(listener.isRunning()).isTrue();
                    assertThat(listener.connectionPid()).isPresent();
                    assertThat(listener.channels()).containsExactly(channel);
                });
        }
        finally {
            first.close();
            other.close();
        }
        assertThat(listeners.listeners()).singleElement()
            .satisfies((listener) -> assertThat(listener.channels()).as("un-listened with the last watch").isEmpty());
    }
}
