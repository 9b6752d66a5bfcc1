package dev.quark.autoconfigure.backend;

import java.util.List;

import javax.sql.DataSource;

import dev.quark.state.jdbc.JdbcStateStore;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcClientAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.sql.init.dependency.DependsOnDatabaseInitialization;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One runner applies the changelog of every area, against a real PostgreSQL, before the beans that use the
 * tables. Each test works in a schema of its own.
 */
class QuarkChangelogRunnerIntegrationTests {

    private static final String REMINDERS_CHANGELOG = "db/changelog/quark-test/reminders.xml";

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
                JdbcClientAutoConfiguration.class, QuarkBackendAutoConfiguration.class));

    private ApplicationContextRunner contextRunner(PostgresTestSchema schema) {
        return this.contextRunner.withUserConfiguration(TwoAreas.class)
            .withPropertyValues("spring.datasource.url=" + schema.jdbcUrl(), "spring.datasource.hikari.maximum-pool-size=2");
    }

    @Test
    void theChangelogsOfTwoAreasAreAppliedByAreaWhateverTheOrderOfTheirBeans() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(QuarkChangelogRunnerIntegrationTests.class)) {
            contextRunner(schema).run((context) -> {
                assertThat(context).hasNotFailed().hasSingleBean(QuarkChangelogRunner.class);
                assertThat(changesetsInOrderOfExecution(context.getBean(JdbcClient.class)))
                    .containsExactly("quark_test_reminder-1", "quark_actor_state-1");
            });
        }
    }

    @Test
    void beansThatDependOnDatabaseInitializationAreCreatedAfterTheTablesExist() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(QuarkChangelogRunnerIntegrationTests.class)) {
            contextRunner(schema).withUserConfiguration(ReminderCount.class).run((context) -> {
                assertThat(context).hasNotFailed();
                assertThat(context.getBean("reminders", Long.class)).isZero();
                assertThat(context.getBeanFactory().getBeanDefinition("reminders").getDependsOn())
                    .contains("quarkChangelogRunner");
            });
        }
    }

    @Test
    void theTablePrefixReachesEveryChangelogAndTheChangesetsRunOnce() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(QuarkChangelogRunnerIntegrationTests.class)) {
            ApplicationContextRunner runner = contextRunner(schema).withPropertyValues("quark.postgres.table-prefix=bank_");
            runner.run((context) -> assertThat(context).hasNotFailed());
            runner.run((context) -> {
                JdbcClient jdbc = context.getBean(JdbcClient.class);
                assertThat(changesetsInOrderOfExecution(jdbc)).containsExactly("bank_test_reminder-1", "bank_actor_state-1");
                assertThat(jdbc.sql("select count(*) from bank_test_reminder").query(Long.class).single()).isZero();
            });
        }
    }

    @Test
    void withSchemaInitializationOffNothingIsApplied() {
        try (PostgresTestSchema schema = PostgresTestServer.get().createSchema(QuarkChangelogRunnerIntegrationTests.class)) {
            contextRunner(schema).withPropertyValues("quark.postgres.initialize-schema=false").run((context) -> {
                assertThat(context).hasNotFailed().doesNotHaveBean(QuarkChangelogRunner.class);
                assertThat(context.getBean(JdbcClient.class)
                    .sql("select count(*) from information_schema.tables where table_schema = current_schema()")
                    .query(Long.class)
                    .single()).isZero();
            });
        }
    }

    @Test
    void withoutChangelogsTheRunnerNeedsNoDatabase() {
        new ApplicationContextRunner().withConfiguration(AutoConfigurations.of(QuarkBackendAutoConfiguration.class))
            .run((context) -> assertThat(context).hasNotFailed()
                .hasSingleBean(QuarkChangelogRunner.class)
                .doesNotHaveBean(DataSource.class));
    }

    @Test
    void aChangelogNeedsAnAreaAndALocation() {
        org.assertj.core.api.Assertions.assertThatIllegalArgumentException()
            .isThrownBy(() -> new QuarkChangelog(" ", REMINDERS_CHANGELOG))
            .withMessage("A changelog needs an area and a location, was ' ', '" + REMINDERS_CHANGELOG + "'");
    }

    private static List<String> changesetsInOrderOfExecution(JdbcClient jdbc) {
        return jdbc.sql("select id from databasechangelog order by orderexecuted").query(String.class).list();
    }

    @Configuration(proxyBeanMethods = false)
    static class TwoAreas {

        @Bean
        QuarkChangelog stateChangelog() {
            return new QuarkChangelog("state", JdbcStateStore.CHANGELOG);
        }

        @Bean
        QuarkChangelog remindersChangelog() {
            return new QuarkChangelog("reminders", REMINDERS_CHANGELOG);
        }
    }

    @Configuration(proxyBeanMethods = false)
    static class ReminderCount {

        @Bean
        @DependsOnDatabaseInitialization
        Long reminders(DataSource dataSource) {
            return JdbcClient.create(dataSource).sql("select count(*) from quark_test_reminder").query(Long.class).single();
        }
    }
}
