package dev.quark.testkit.cluster;

import java.util.List;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.cluster.membership.jdbc.JdbcMembershipProvider;
import dev.quark.state.StateStore;
import dev.quark.state.jdbc.JdbcStateStore;
import dev.quark.jdbc.TablePrefix;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import org.springframework.jdbc.core.simple.JdbcClient;

/**
 * The churn scenarios of {@link ClusterChurnTests} with the silos' membership in PostgreSQL tables (the test
 * server, {@code 127.0.0.1:5432} database {@code test} on our machines, in a schema of this class's own): joins
 * and leaves are written there and reach the other silos through {@code LISTEN}/{@code NOTIFY}, the failure
 * detectors' heartbeats and votes go there too, and the ledgers' totals are kept there ({@link JdbcStateStore}), so
 * that every save under churn goes through its version check on a real server. The calls between silos stay on the
 * in-JVM transport. At
 * {@link ClusterChurnTests#SERVER_LOAD}: 30 callers, 300 ledgers, 1,000 calls between two membership changes.
 * Each test's rows have a cluster name of their own and are deleted after the test; the schema is dropped at the
 * class's end.
 */
class JdbcClusterChurnTests extends ClusterChurnTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    JdbcClusterChurnTests() {
        super(SERVER_LOAD);
    }

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcClusterChurnTests.class);
        dataSource = new HikariDataSource();
        dataSource.setJdbcUrl(schema.jdbcUrl());
        dataSource.setMaximumPoolSize(20);
        JdbcMembershipProvider.migration(PREFIX).apply(dataSource);
        JdbcStateStore.migration(PREFIX).apply(dataSource);
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

    @Override
    StateStore sharedStateStore() {
        return new JdbcStateStore(dataSource, PREFIX);
    }

    @Override
    void configure(TestCluster.Builder builder) {
        builder.membership(table());
    }

    private JdbcMembershipProvider table() {
        return new JdbcMembershipProvider(dataSource, PREFIX, this.clusterName);
    }

    /** Deletes the cluster's rows: its silos', its version's, and the ledgers' totals (the schema is this class's). */
    @Override
    void cleanUp() {
        JdbcMembershipProvider table = table();
        JdbcClient jdbc = JdbcClient.create(dataSource);
        for (String name : List.of(table.siloTable(), table.versionTable())) {
            jdbc.sql("delete from " + name + " where cluster_name = ?").param(this.clusterName).update();
        }
        jdbc.sql("delete from " + new JdbcStateStore(dataSource, PREFIX).table()).update();
    }
}
