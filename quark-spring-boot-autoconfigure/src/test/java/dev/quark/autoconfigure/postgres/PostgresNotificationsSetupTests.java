package dev.quark.autoconfigure.postgres;

import javax.sql.DataSource;

import com.zaxxer.hikari.HikariDataSource;
import dev.quark.jdbc.PostgresNotificationSender;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

import org.springframework.beans.factory.support.DefaultListableBeanFactory;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;
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
        assertThat(output.getOut()).containsOnlyOnce("Hikari pool of at most 3 connections")
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
        assertThat(output.getOut()).doesNotContain("Hikari pool");
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
