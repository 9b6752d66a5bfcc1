package dev.quark.autoconfigure.postgres;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariConfigMXBean;
import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.PostgresNotificationSender;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.jdbc.DataSourceUnwrapper;
import org.springframework.boot.jdbc.metadata.DataSourcePoolMetadata;
import org.springframework.boot.jdbc.metadata.DataSourcePoolMetadataProvider;
import org.springframework.boot.jdbc.metadata.HikariDataSourcePoolMetadata;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
import org.springframework.jdbc.datasource.DelegatingDataSource;
import org.springframework.jdbc.datasource.SimpleDriverDataSource;

import static org.assertj.core.api.Assertions.assertThat;

@ExtendWith(OutputCaptureExtension.class)
class PostgresNotificationsSetupTests {

    private static HikariDataSource pool(int size) {
        HikariDataSource pool = new HikariDataSource();
        pool.setJdbcUrl("jdbc:postgresql://127.0.0.1:1/none");
        pool.setMaximumPoolSize(size);
        return pool;
    }

    @Test
    void aSmallHikariPoolGetsOneWarningNamingItsSizeAndHowToTurnNotificationsOff(CapturedOutput output) {
        try (HikariDataSource pool = pool(3)) {
            PostgresNotificationsSetup.warnIfSmallPool(pool);
        }
        assertThat(output.getOut()).containsOnlyOnce("connection pool (Hikari) of at most 3 connections")
            .contains("quark.jobs.postgres.notify-enabled=false")
            .contains("quark.durabletasks.postgres.notify-enabled=false")
            .contains("whichever of the cluster membership");
    }

    @Test
    void aLargerPoolOrAnotherDataSourceGetsNone(CapturedOutput output) {
        try (HikariDataSource pool = pool(5)) {
            PostgresNotificationsSetup.warnIfSmallPool(pool);
        }
        DataSource other = new SimpleDriverDataSource();
        PostgresNotificationsSetup.warnIfSmallPool(other);
        assertThat(output.getOut()).doesNotContain("connection pool");
    }

    /**
     * Any pool Spring Boot's pool metadata providers know gets the warning: here an application's own pool, told by a
     * provider bean of its own, and a Hikari pool behind a wrapper, told by the provider Spring Boot defines for Hikari.
     */
    @Test
    void aSmallPoolOfAnyKindThatAPoolMetadataProviderKnowsGetsTheWarning(CapturedOutput output) {
        DataSource ownPool = new SimpleDriverDataSource();
        DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
        beans.registerSingleton("ownPool", (DataSourcePoolMetadataProvider) (dataSource) -> (dataSource == ownPool)
                ? new OwnPoolMetadata(2) : null);
        beans.registerSingleton("hikari", (DataSourcePoolMetadataProvider) (dataSource) -> {
            HikariDataSource hikari = DataSourceUnwrapper.unwrap(dataSource, HikariConfigMXBean.class,
                    HikariDataSource.class);
            return (hikari != null) ? new HikariDataSourcePoolMetadata(hikari) : null;
        });
        PostgresNotificationsSetup.warnIfSmallPool(ownPool, beans);
        assertThat(output.getOut()).containsOnlyOnce("connection pool (OwnPoolMetadata) of at most 2 connections");
        try (HikariDataSource pool = pool(4)) {
            PostgresNotificationsSetup.warnIfSmallPool(new DelegatingDataSource(pool), beans);
        }
        assertThat(output.getOut()).containsOnlyOnce("connection pool (Hikari) of at most 4 connections");
        try (HikariDataSource pool = pool(5)) {
            PostgresNotificationsSetup.warnIfSmallPool(new DelegatingDataSource(pool), beans);
        }
        PostgresNotificationsSetup.warnIfSmallPool(new SimpleDriverDataSource(), beans);
        assertThat(output.getOut()).doesNotContain("at most 5").containsOnlyOnce("at most 4")
            .containsOnlyOnce("at most 2");
    }

    /** Metadata of an application's own pool. */
    private record OwnPoolMetadata(int max) implements DataSourcePoolMetadata {

        @Override
        public Float getUsage() {
            return 0f;
        }

        @Override
        public Integer getActive() {
            return 0;
        }

        @Override
        public Integer getMax() {
            return this.max;
        }

        @Override
        public Integer getMin() {
            return 0;
        }

        @Override
        public String getValidationQuery() {
            return "select 1";
        }

        @Override
        public Boolean getDefaultAutoCommit() {
            return true;
        }
    }

    @Test
    void severalSendersAndNoPrimaryOneWarnInsteadOfSilentlyNotNotifying(CapturedOutput output) {
        DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
        DataSource dataSource = new SimpleDriverDataSource();
        beans.registerSingleton("a", new PostgresNotificationSender(dataSource, "a"));
        beans.registerSingleton("b", new PostgresNotificationSender(dataSource, "b"));
        assertThat(PostgresNotificationsSetup.sender(beans.getBeanProvider(PostgresNotificationSender.class),
                "quark.jobs.postgres.notify-enabled"))
            .isNull();
        assertThat(output.getOut()).contains("2 PostgresNotificationSender beans and none is primary")
            .contains("quark.jobs.postgres.notify-enabled=false");
    }

    @Test
    void aSingleSenderIsTaken(CapturedOutput output) {
        DefaultListableBeanFactory beans = new DefaultListableBeanFactory();
        PostgresNotificationSender sender = new PostgresNotificationSender(new SimpleDriverDataSource(), "a");
        beans.registerSingleton("a", sender);
        assertThat(PostgresNotificationsSetup.sender(beans.getBeanProvider(PostgresNotificationSender.class),
                "quark.jobs.postgres.notify-enabled"))
            .isSameAs(sender);
        assertThat(output.getOut()).doesNotContain("PostgresNotificationSender beans");
    }
}
