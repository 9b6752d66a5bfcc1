package dev.quark.autoconfigure.state;

import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import dev.quark.actor.ActorRefFactory;
import dev.quark.autoconfigure.actors.QuarkActorsAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkBackendAutoConfiguration;
import dev.quark.autoconfigure.backend.QuarkChangelogRunner;
import dev.quark.autoconfigure.fixtures.wallet.Wallet;
import dev.quark.autoconfigure.fixtures.wallet.WalletActor;
import dev.quark.autoconfigure.health.QuarkStateHealthContributorAutoConfiguration;
import dev.quark.state.StateStoreRegistry;
import dev.quark.state.jdbc.JdbcStateStore;
import dev.quark.testkit.server.PostgresTestSchema;
import dev.quark.testkit.server.PostgresTestServer;
import dev.quark.testkit.server.TcpProxy;
import liquibase.integration.spring.SpringLiquibase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import org.springframework.boot.autoconfigure.AutoConfigurationPackage;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.jackson.autoconfigure.JacksonAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcClientAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.JdbcTemplateAutoConfiguration;
import org.springframework.boot.jdbc.autoconfigure.health.DataSourceHealthContributorAutoConfiguration;
import org.springframework.boot.liquibase.autoconfigure.LiquibaseAutoConfiguration;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.ApplicationContext;
import org.springframework.context.annotation.Configuration;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The PostgreSQL state store as an application gets it: Spring Boot's DataSource, Quark's Liquibase changelog
 * next to the application's own migration, Quark's store and health, against a real PostgreSQL reached through
 * a proxy that the outage test cuts. Each test works in a schema of its own.
 */
class PostgresStateIntegrationTests {

    private static final Pattern HOST_AND_PORT = Pattern.compile("^jdbc:postgresql://([^/:?]+)(?::(\\d+))?/");

    private static PostgresTestServer server;

    private static TcpProxy proxy;

    @BeforeAll
    static void start() {
        server = PostgresTestServer.get();
        Matcher matcher = HOST_AND_PORT.matcher(server.jdbcUrl());
        assertThat(matcher.find()).as("host and port of %s", server.jdbcUrl()).isTrue();
        proxy = TcpProxy.start(matcher.group(1), (matcher.group(2) != null) ? Integer.parseInt(matcher.group(2)) : 5432);
    }

    @AfterAll
    static void stop() {
        if (proxy != null) {
            proxy.close();
        }
    }

    private ApplicationContextRunner contextRunner(PostgresTestSchema schema) {
        String url = HOST_AND_PORT.matcher(schema.jdbcUrl())
            .replaceFirst("jdbc:postgresql://" + proxy.host() + ":" + proxy.port() + "/");
        return new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(DataSourceAutoConfiguration.class, JdbcTemplateAutoConfiguration.class,
                    JdbcClientAutoConfiguration.class, DataSourceHealthContributorAutoConfiguration.class,
                    JacksonAutoConfiguration.class, QuarkActorsAutoConfiguration.class, QuarkBackendAutoConfiguration.class,
                    QuarkStateAutoConfiguration.class,
                    QuarkStateHealthContributorAutoConfiguration.class))
            .withUserConfiguration(WalletApplication.class)
            .withPropertyValues("quark.backend=postgres", "quark.persistence.stores.audit.backend=memory",
                    "spring.datasource.url=" + url, "spring.datasource.hikari.connection-timeout=1000",
                    "spring.datasource.hikari.validation-timeout=500", "spring.datasource.hikari.maximum-pool-size=4");
    }

    private ApplicationContextRunner withLiquibase(ApplicationContextRunner runner, String changelog) {
        return runner.withConfiguration(AutoConfigurations.of(LiquibaseAutoConfiguration.class))
            .withPropertyValues("spring.liquibase.change-log=classpath:db/changelog/" + changelog);
    }

    @Test
    void balancesSurviveARestartInTheTableQuarksChangelogCreates() {
        try (PostgresTestSchema schema = server.createSchema(PostgresStateIntegrationTests.class)) {
            contextRunner(schema).run((context) -> {
                assertThat(context).hasSingleBean(QuarkChangelogRunner.class).doesNotHaveBean(SpringLiquibase.class);
                assertThat(context.getBeanFactory().getBeanDefinition("jdbcTemplate").getDependsOn())
                    .as("beans that depend on database initialization wait for Quark's tables")
                    .contains("quarkChangelogRunner");
                assertThat(context.getBeanFactory().getBeanDefinition("quarkJdbcStateStore").getDependsOn())
                    .as("the store waits for its table")
                    .contains("quarkChangelogRunner");
                assertThat(context.getBean(StateStoreRegistry.class).store("default")).isInstanceOf(JdbcStateStore.class);
                assertThat(context.getBean(ActorRefFactory.class).get(Wallet.class, "restart").deposit(30)).isEqualTo(30);
            });
            contextRunner(schema).run((context) -> {
                Wallet wallet = context.getBean(ActorRefFactory.class).get(Wallet.class, "restart");
                assertThat(wallet.balanceOnActivate()).isEqualTo(30);
                assertThat(wallet.deposit(12)).isEqualTo(42);
                assertThat(jdbc(context).sql("select payload || ' v' || version from quark_actor_state "
                        + "where actor_type = 'wallet' and actor_id = 'restart' and state_name = 'wallet'")
                    .query(String.class)
                    .single()).isEqualTo("{\"balance\":42,\"lastChange\":\"deposit 12\"} v2");
                assertThat(changesets(context)).containsExactly("quark_actor_state-1");
                assertThat(HealthProbe.status(context, "quarkStateHealthContributor")).isEqualTo(Status.UP);
            });
        }
    }

    @Test
    void theApplicationsOwnLiquibaseMigrationStillRuns() {
        try (PostgresTestSchema schema = server.createSchema(PostgresStateIntegrationTests.class)) {
            withLiquibase(contextRunner(schema), "app-changelog.xml").run((context) -> {
                assertThat(context).hasSingleBean(SpringLiquibase.class).hasSingleBean(QuarkChangelogRunner.class);
                assertThat(changesets(context)).containsExactlyInAnyOrder("app-1", "quark_actor_state-1");
                assertThat(tables(context)).contains("app_things", "quark_actor_state");
                assertThat(context.getBean(ActorRefFactory.class).get(Wallet.class, "w").deposit(3)).isEqualTo(3);
            });
        }
    }

    @Test
    void withSchemaInitializationOffTheApplicationAppliesQuarksChangelogItself() {
        try (PostgresTestSchema schema = server.createSchema(PostgresStateIntegrationTests.class)) {
            ApplicationContextRunner runner = contextRunner(schema).withPropertyValues("quark.postgres.initialize-schema=false");
            runner.run((context) -> {
                assertThat(context).doesNotHaveBean(QuarkChangelogRunner.class);
                assertThat(tables(context)).doesNotContain("quark_actor_state");
                assertThat(HealthProbe.status(context, "quarkStateHealthContributor")).as("no table: Quark is not ready")
                    .isEqualTo(Status.DOWN);
            });
            withLiquibase(runner, "app-with-quark-changelog.xml").run((context) -> {
                assertThat(changesets(context)).containsExactlyInAnyOrder("app-1", "quark_actor_state-1");
                assertThat(HealthProbe.status(context, "quarkStateHealthContributor")).isEqualTo(Status.UP);
                assertThat(context.getBean(ActorRefFactory.class).get(Wallet.class, "w").deposit(4)).isEqualTo(4);
            });
            contextRunner(schema).run((context) -> assertThat(changesets(context))
                .as("Quark's initializer recognizes the changesets the application applied")
                .containsExactlyInAnyOrder("app-1", "quark_actor_state-1"));
        }
    }

    @Test
    void tablePrefixIsConfigurable() {
        try (PostgresTestSchema schema = server.createSchema(PostgresStateIntegrationTests.class)) {
            contextRunner(schema).withPropertyValues("quark.postgres.table-prefix=bank_").run((context) -> {
                assertThat(context.getBean(ActorRefFactory.class).get(Wallet.class, "w").deposit(7)).isEqualTo(7);
                assertThat(tables(context)).contains("bank_actor_state").doesNotContain("quark_actor_state");
                assertThat(jdbc(context).sql("select count(*) from bank_actor_state").query(Long.class).single())
                    .isEqualTo(1);
            });
        }
    }

    @Test
    void whilePostgresIsDownCallsFailClearlyAndHealthIsDownThenBothRecover() {
        try (PostgresTestSchema schema = server.createSchema(PostgresStateIntegrationTests.class)) {
            contextRunner(schema)
                .run((context) -> StoreOutage.failsClearlyThenRecovers(context, proxy, "dbHealthContributor"));
        }
    }

    private static JdbcClient jdbc(ApplicationContext context) {
        return context.getBean(JdbcClient.class);
    }

    private static List<String> changesets(ApplicationContext context) {
        return jdbc(context).sql("select id from databasechangelog order by id").query(String.class).list();
    }

    private static List<String> tables(ApplicationContext context) {
        return jdbc(context).sql("select table_name from information_schema.tables where table_schema = current_schema()")
            .query(String.class)
            .list();
    }

    @Configuration(proxyBeanMethods = false)
    @AutoConfigurationPackage(basePackageClasses = WalletActor.class)
    static class WalletApplication {

    }
}
