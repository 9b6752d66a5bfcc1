package dev.quark.cluster.membership.jdbc;

import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.cluster.membership.MembershipProvider;
import dev.quark.cluster.membership.MembershipSnapshot;
import dev.quark.cluster.membership.SiloAddress;
import dev.quark.cluster.membership.SiloEntry;
import dev.quark.cluster.membership.SiloStatus;
import dev.quark.cluster.membership.Suspicion;
import dev.quark.jdbc.PostgresNotificationListener;
import dev.quark.jdbc.PostgresNotificationListeners;
import dev.quark.jdbc.TablePrefix;
import dev.quark.testkit.cluster.MembershipProviderContractTests;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import dev.quark.testkit.server.TcpProxy;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.postgresql.ds.PGSimpleDataSource;

import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;
import static org.assertj.core.api.Assertions.assertThatIllegalStateException;
import static org.awaitility.Awaitility.await;

class JdbcMembershipProviderTests extends MembershipProviderContractTests {

    private static final TablePrefix PREFIX = new TablePrefix(TablePrefix.DEFAULT);

    private static PostgresTestSchema schema;

    private static HikariDataSource dataSource;

    private static JdbcClient jdbc;

    @BeforeAll
    static void connect() {
        schema = PostgresTestServer.get().createSchema(JdbcMembershipProviderTests.class);
        dataSource = dataSource(schema.jdbcUrl());
        JdbcMembershipProvider.migration(PREFIX).apply(dataSource);
        jdbc = JdbcClient.create(dataSource);
    }

    static HikariDataSource dataSource(String url) {
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl(url);
        pool.setMaximumPoolSize(20);
        return pool;
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
    protected MembershipProvider provider(String clusterName) {
        return new JdbcMembershipProvider(dataSource, PREFIX, clusterName);
    }

    /**
     * Deletes the cluster's rows, as a database restored without them, or an operator, would.
     */
    @Override
    protected void wipe(String clusterName) {
        jdbc.sql("delete from quark_membership_silo where cluster_name = ?").param(clusterName).update();
        jdbc.sql("delete from quark_membership_version where cluster_name = ?").param(clusterName).update();
    }

    private JdbcMembershipProvider jdbcTable() {
        return (JdbcMembershipProvider) table();
    }

    @Test
    void theChangelogCreatesTheDocumentedTables() {
        assertThat(jdbcTable().versionTable()).isEqualTo("quark_membership_version");
        assertThat(jdbcTable().siloTable()).isEqualTo("quark_membership_silo");
        assertThat(jdbcTable().channel()).isEqualTo("quark_membership");
        assertThat(columns("quark_membership_version")).containsExactly("cluster_name text NO", "version bigint NO",
                "updated_at timestamp with time zone NO", "incarnation text YES");
        assertThat(primaryKey("quark_membership_version")).containsExactly("cluster_name");
        assertThat(columns("quark_membership_silo")).containsExactly("cluster_name text NO", "silo_id text NO",
                "host text NO", "port integer NO", "start_time timestamp with time zone NO",
                "status character varying NO", "last_heartbeat timestamp with time zone NO", "epoch bigint NO",
                "actor_types jsonb NO", "suspicions jsonb NO", "transport_security character varying YES");
        assertThat(primaryKey("quark_membership_silo")).containsExactly("cluster_name", "silo_id");
    }

    private static List<String> columns(String table) {
        return jdbc.sql("select column_name || ' ' || data_type || ' ' || is_nullable from information_schema.columns "
                + "where table_schema = current_schema() and table_name = ? order by ordinal_position")
            .param(table)
            .query(String.class)
            .list();
    }

    private static List<String> primaryKey(String table) {
        return jdbc.sql("select a.attname from pg_index i join pg_attribute a on a.attrelid = i.indrelid "
                + "and a.attnum = any(i.indkey) where i.indrelid = ?::regclass and i.indisprimary order by a.attname")
            .param(table)
            .query(String.class)
            .list();
    }

    @Test
    void aClusterIsAVersionRowAndOneRowPerSilo() {
        SiloEntry entry = new SiloEntry("silo-a", new SiloAddress("10.0.0.5", 7100), START, SiloStatus.ACTIVE,
                START.plusSeconds(1), 3, Set.of("Bank", "Account"),
                List.of(new Suspicion("silo-b", START.plusSeconds(2))));
        table().write(entry, 0);
        table().write(entry.withStatus(SiloStatus.SHUTTING_DOWN), 1);
        assertThat(jdbc.sql("select version from quark_membership_version where cluster_name = ?")
            .param(clusterName())
            .query(Long.class)
            .single()).isEqualTo(2);
        Map<String, Object> row = jdbc.sql("select silo_id, host, port, status, epoch, actor_types::text as actor_types, "
                + "suspicions::text as suspicions, start_time = ? as start_matches "
                + "from quark_membership_silo where cluster_name = ?")
            .params(java.time.OffsetDateTime.parse("2025-06-10T08:00:00.123Z"), clusterName())
            .query()
            .singleRow();
        assertThat(row).containsEntry("silo_id", "silo-a")
            .containsEntry("host", "10.0.0.5")
            .containsEntry("port", 7100)
            .containsEntry("status", "SHUTTING_DOWN")
            .containsEntry("epoch", 3L)
            .containsEntry("actor_types", "[\"Account\", \"Bank\"]")
            .containsEntry("suspicions", "[{\"at\": \"2025-06-10T08:00:02.123Z\", \"suspectingSiloId\": \"silo-b\"}]")
            .containsEntry("start_matches", true);
    }

    @Test
    void aRefusedWriteLeavesNoVersionRowBehind() {
        assertThat(table().write(entry("silo-a", 1, SiloStatus.JOINING), 3)).isFalse();
        assertThat(jdbc.sql("select count(*) from quark_membership_version where cluster_name = ?")
            .param(clusterName())
            .query(Long.class)
            .single()).isZero();
    }

    @Test
    void aRowThatIsNotAnEntryIsReported() {
        table().write(entry("silo-a", 1, SiloStatus.JOINING), 0);
        jdbc.sql("update quark_membership_silo set status = 'LOST' where cluster_name = ?").param(clusterName()).update();
        assertThatIllegalStateException().isThrownBy(() -> table().read())
            .withMessageContaining("'silo-a'")
            .withMessageContaining(clusterName())
            .withMessageContaining("LOST");
    }

    @Test
    void clusterNamesAreValidated() {
        assertThatIllegalArgumentException().isThrownBy(() -> new JdbcMembershipProvider(dataSource, PREFIX, " "));
        assertThatIllegalArgumentException()
            .isThrownBy(() -> new JdbcMembershipProvider(dataSource, PREFIX, "x".repeat(256)))
            .withMessageContaining("255");
    }

    @Test
    void applyingTheChangelogAgainChangesNothing() {
        SiloEntry entry = entry("silo-a", 1, SiloStatus.ACTIVE);
        table().write(entry, 0);
        JdbcMembershipProvider.migration(PREFIX).apply(dataSource);
        assertTable(table().read(), 1, Map.of("silo-a", entry));
        assertThat(jdbc.sql("select id from databasechangelog where filename = 'db/changelog/quark/membership.xml' "
                + "and id like 'quark_%' order by id")
            .query(String.class)
            .list()).containsExactly("quark_membership_silo-1", "quark_membership_silo-2",
                    "quark_membership_version-1", "quark_membership_version-2");
    }

    @Test
    void aVersionRowWrittenBeforeIncarnationsExistedGetsOneWithItsNextWrite() {
        table().write(entry("silo-a", 1, SiloStatus.ACTIVE), 0);
        jdbc.sql("update quark_membership_version set incarnation = null where cluster_name = ?")
            .param(clusterName())
            .update();
        assertThat(table().read().incarnation()).isEqualTo(MembershipSnapshot.NO_INCARNATION);
        assertThat(table().write(entry("silo-a", 1, SiloStatus.SHUTTING_DOWN), 1)).isTrue();
        String incarnation = table().read().incarnation();
        assertThat(incarnation).isNotBlank();
        assertThat(table().write(entry("silo-a", 1, SiloStatus.DEAD), 2)).isTrue();
        assertThat(table().read().incarnation()).isEqualTo(incarnation);
    }

    @Test
    void anotherTablePrefixGetsItsOwnTablesAndChannel() throws InterruptedException {
        TablePrefix other = new TablePrefix("other_");
        JdbcMembershipProvider.migration(other).apply(dataSource);
        JdbcMembershipProvider otherTable = new JdbcMembershipProvider(dataSource, other, clusterName());
        assertThat(otherTable.siloTable()).isEqualTo("other_membership_silo");
        Hints hints = watch(otherTable);
        assertThat(otherTable.write(entry("silo-a", 1, SiloStatus.ACTIVE), 0)).isTrue();
        assertThat(hints.await()).isTrue();
        assertThat(table().read()).isEqualTo(MembershipSnapshot.EMPTY);
    }

    @Test
    void aWatchHoldsOneConnectionUntilClosed() {
        int before = dataSource.getHikariPoolMXBean().getActiveConnections();
        Hints hints = watch(table());
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before + 1);
        assertThat(((PostgresMembershipWatch) hints.watch()).isRunning()).isTrue();
        hints.watch().close();
        assertThat(((PostgresMembershipWatch) hints.watch()).isRunning()).isFalse();
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before);
        assertThat(jdbc.sql("select count(*) from pg_listening_channels()").query(Long.class).single())
            .as("the connection went back to the pool without listening").isZero();
    }

    @Test
    void aWatchListensAgainAfterALostConnectionAndHints() throws InterruptedException {
        try (TcpProxy proxy = proxyToServer(); HikariDataSource proxied = dataSource(proxiedUrl(proxy))) {
            Hints hints = watch(new JdbcMembershipProvider(proxied, PREFIX, clusterName()));
            proxy.cut();
            proxy.restore();
            assertThat(hints.await()).as("told after listening again").isTrue();
            hints.forget();
            assertThat(table().write(entry("silo-a", 1, SiloStatus.JOINING), 0)).isTrue();
            assertThat(hints.await()).as("told of a write after listening again").isTrue();
            hints.watch().close();
            await().atMost(Duration.ofSeconds(10))
                .until(() -> proxied.getHikariPoolMXBean().getActiveConnections() == 0);
        }
    }

    /**
     * A connection that goes half-open (no reset reaches the client) looks like a quiet one to a thread that
     * only waits for notifications: the watch makes the server answer now and then, and a connection that does
     * not answer within the network timeout is replaced.
     */
    @Test
    void aWatchListensAgainWhenItsConnectionGoesHalfOpen() throws InterruptedException {
        try (TcpProxy proxy = proxyToServer(); HikariDataSource proxied = dataSource(proxiedUrl(proxy))) {
            Semaphore hints = new Semaphore(0);
            PostgresMembershipWatch watch = PostgresMembershipWatch.start(proxied, jdbcTable().channel(), clusterName(),
                    hints::release, Duration.ofMillis(500), Duration.ofSeconds(1));
            try {
                proxy.stall();
                assertThat(hints.tryAcquire(10, TimeUnit.SECONDS)).as("told after listening again").isTrue();
                hints.drainPermits();
                assertThat(table().write(entry("silo-a", 1, SiloStatus.JOINING), 0)).isTrue();
                assertThat(hints.tryAcquire(10, TimeUnit.SECONDS)).as("told of a write after listening again").isTrue();
            }
            finally {
                watch.close();
            }
            assertThat(watch.isRunning()).isFalse();
        }
    }

    @Test
    void aWatchFailsAtStartWhenItCannotListen() {
        PGSimpleDataSource nobody = new PGSimpleDataSource();
        nobody.setUrl("jdbc:postgresql://127.0.0.1:1/test?connectTimeout=5");
        JdbcMembershipProvider unreachable = new JdbcMembershipProvider(nobody, PREFIX, clusterName());
        assertThatIllegalStateException().isThrownBy(() -> unreachable.watch(() -> { }))
            .withMessageContaining("Could not listen to the membership channel " + unreachable.channel())
            .withCauseInstanceOf(SQLException.class);
    }

    /**
     * Watches of two clusters on one shared listener: one connection for both, on one channel with a callback each;
     * closing one leaves the other hinted, and the last one un-listens the channel.
     */
    @Test
    void watchesOnTheSharedListenerHoldOneConnectionAndClosingOneLeavesTheOtherHinted() throws InterruptedException {
        int before = dataSource.getHikariPoolMXBean().getActiveConnections();
        try (PostgresNotificationListeners listeners = new PostgresNotificationListeners("test")) {
            JdbcMembershipProvider mine = new JdbcMembershipProvider(dataSource, PREFIX, clusterName(), listeners);
            JdbcMembershipProvider other = new JdbcMembershipProvider(dataSource, PREFIX, clusterName() + "-other",
                    listeners);
            Semaphore mineHints = new Semaphore(0);
            Semaphore otherHints = new Semaphore(0);
            MembershipProvider.Watch mineWatch = mine.watch(mineHints::release);
            MembershipProvider.Watch otherWatch = other.watch(otherHints::release);
            assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before + 1);
            assertThat(((PostgresMembershipWatch) mineWatch).isRunning()).isTrue();
            PostgresNotificationListener shared = listeners.listeners().get(0);
            assertThat(shared.channels()).containsExactly(mine.channel());
            assertThat(mine.write(entry("silo-a", 1, SiloStatus.JOINING), 0)).isTrue();
            assertThat(mineHints.tryAcquire(10, TimeUnit.SECONDS)).as("told of its cluster's write").isTrue();
            mineWatch.close();
            assertThat(((PostgresMembershipWatch) mineWatch).isRunning()).isFalse();
            assertThat(shared.channels()).as("the other watch listens on").containsExactly(mine.channel());
            assertThat(other.write(entry("silo-b", 1, SiloStatus.JOINING), 0)).isTrue();
            assertThat(otherHints.tryAcquire(10, TimeUnit.SECONDS)).as("the other watch is still told").isTrue();
            otherWatch.close();
            assertThat(shared.channels()).isEmpty();
            assertThat(shared.isRunning()).as("the shared connection stays for other areas").isTrue();
        }
        assertThat(dataSource.getHikariPoolMXBean().getActiveConnections()).isEqualTo(before);
    }

    @Test
    void aWatchOnASharedListenerThatCannotListenFailsAndLeavesNoChannel() {
        PGSimpleDataSource nobody = new PGSimpleDataSource();
        nobody.setUrl("jdbc:postgresql://127.0.0.1:1/test?connectTimeout=5");
        try (PostgresNotificationListeners listeners = new PostgresNotificationListeners("test")) {
            JdbcMembershipProvider unreachable = new JdbcMembershipProvider(nobody, PREFIX, clusterName(), listeners);
            unreachable.sharedListenWait(Duration.ofMillis(500));
            assertThatIllegalStateException().isThrownBy(() -> unreachable.watch(() -> { }))
                .withMessageContaining("Could not listen to the membership channel " + unreachable.channel())
                .withMessageContaining("within 500 ms");
            assertThat(listeners.listeners().get(0).channels()).isEmpty();
        }
    }

    /** The channel is named exactly, as {@code pg_notify} names it: a table prefix may have capitals. */
    @Test
    void aWatchListensOnItsChannelNamedExactlyAndForItsClusterOnly() throws InterruptedException {
        Semaphore hints = new Semaphore(0);
        String channel = "Quark_Caps_membership";
        PostgresMembershipWatch watch = PostgresMembershipWatch.start(dataSource, channel, clusterName(),
                hints::release);
        try {
            // One at a time: notifications of one poll reach the watch together, so a watch that folded the
            // channel's case or ignored the cluster would pass if they were sent together.
            jdbc.sql("select pg_notify(?, ?)").params(channel.toLowerCase(Locale.ROOT), clusterName()).query((row) -> { });
            assertThat(hints.tryAcquire(QUIET_PERIOD.toMillis(), TimeUnit.MILLISECONDS))
                .as("not told of its cluster's notification on the channel's lower-case name").isFalse();
            jdbc.sql("select pg_notify(?, ?)").params(channel, clusterName() + "-other").query((row) -> { });
            assertThat(hints.tryAcquire(QUIET_PERIOD.toMillis(), TimeUnit.MILLISECONDS))
                .as("not told of another cluster's notification").isFalse();
            jdbc.sql("select pg_notify(?, ?)").params(channel, clusterName()).query((row) -> { });
            assertThat(hints.tryAcquire(10, TimeUnit.SECONDS)).as("told of its cluster's notification").isTrue();
        }
        finally {
            watch.close();
        }
        assertThat(watch.isRunning()).isFalse();
    }

    private static TcpProxy proxyToServer() {
        Matcher url = serverUrl();
        return TcpProxy.start(url.group(1), (url.group(2) != null) ? Integer.parseInt(url.group(2)) : 5432);
    }

    private static String proxiedUrl(TcpProxy proxy) {
        return "jdbc:postgresql://" + proxy.host() + ":" + proxy.port() + "/" + serverUrl().group(3);
    }

    private static Matcher serverUrl() {
        Matcher url = Pattern.compile("jdbc:postgresql://([^:/]+)(?::(\\d+))?/(.*)").matcher(schema.jdbcUrl());
        assertThat(url.matches()).as(schema.jdbcUrl()).isTrue();
        return url;
    }
}
