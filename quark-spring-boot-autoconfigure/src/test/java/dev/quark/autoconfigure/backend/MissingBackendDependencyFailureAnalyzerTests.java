package dev.quark.autoconfigure.backend;

import org.junit.jupiter.api.Test;

import org.springframework.boot.diagnostics.FailureAnalysis;
import org.springframework.boot.test.context.FilteredClassLoader;
import org.springframework.boot.test.context.assertj.AssertableApplicationContext;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.data.redis.connection.RedisConnectionFactory;
import org.springframework.jdbc.core.simple.JdbcClient;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The one start-up failure for a backend whose libraries are missing, whichever area selected it.
 */
class MissingBackendDependencyFailureAnalyzerTests {

    private final ApplicationContextRunner contextRunner = new ApplicationContextRunner()
        .withUserConfiguration(AreaBeans.class);

    @Test
    void redisWithoutSpringDataRedisNamesTheRedisStarter() {
        this.contextRunner.withPropertyValues("quark.reminders.backend=redis")
            .withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
            .run((context) -> {
                FailureAnalysis analysis = analysis(context);
                assertThat(analysis.getDescription()).isEqualTo("Quark's 'reminders' area uses quark.reminders.backend=redis, "
                        + "which needs Spring Data Redis on the class path: add the dependency "
                        + "org.springframework.boot:spring-boot-starter-data-redis");
                assertThat(analysis.getAction()).isEqualTo("Add this dependency to the application, or select another "
                        + "backend than quark.reminders.backend=redis:\n\n" + "    <dependency>\n"
                        + "        <groupId>org.springframework.boot</groupId>\n"
                        + "        <artifactId>spring-boot-starter-data-redis</artifactId>\n" + "    </dependency>\n");
            });
    }

    @Test
    void postgresWithoutSpringJdbcNamesTheJdbcStarter() {
        this.contextRunner.withPropertyValues("quark.backend=postgres")
            .withClassLoader(new FilteredClassLoader(JdbcClient.class))
            .run((context) -> {
                FailureAnalysis analysis = analysis(context);
                assertThat(analysis.getDescription()).isEqualTo("Quark's 'reminders' area uses quark.backend=postgres, "
                        + "which needs Spring JDBC on the class path: add the dependency "
                        + "org.springframework.boot:spring-boot-starter-jdbc");
                assertThat(analysis.getAction()).contains("<artifactId>spring-boot-starter-jdbc</artifactId>");
            });
    }

    @Test
    void postgresWithoutSpringBootsSqlSupportNamesTheJdbcStarter() {
        this.contextRunner.withPropertyValues("quark.reminders.backend=postgres")
            .withClassLoader(new FilteredClassLoader("org.springframework.boot.sql"))
            .run((context) -> assertThat(analysis(context).getDescription()).isEqualTo("Quark's 'reminders' area uses "
                    + "quark.reminders.backend=postgres, which needs Spring Boot's SQL support on the class path: add the "
                    + "dependency org.springframework.boot:spring-boot-starter-jdbc"));
    }

    @Test
    void postgresWithoutTheDriverNamesTheDriver() {
        this.contextRunner.withPropertyValues("quark.reminders.backend=postgres")
            .withClassLoader(new FilteredClassLoader("org.postgresql"))
            .run((context) -> {
                FailureAnalysis analysis = analysis(context);
                assertThat(analysis.getDescription()).isEqualTo("Quark's 'reminders' area uses "
                        + "quark.reminders.backend=postgres, which needs the PostgreSQL JDBC driver on the class path: "
                        + "add the dependency org.postgresql:postgresql");
                assertThat(analysis.getAction()).contains("<groupId>org.postgresql</groupId>",
                        "<artifactId>postgresql</artifactId>");
            });
    }

    @Test
    void postgresWithoutLiquibaseNamesLiquibaseOrTheWayAround() {
        this.contextRunner.withPropertyValues("quark.reminders.backend=postgres")
            .withClassLoader(new FilteredClassLoader("liquibase"))
            .run((context) -> {
                FailureAnalysis analysis = analysis(context);
                assertThat(analysis.getDescription()).isEqualTo("Quark's 'reminders' area uses "
                        + "quark.reminders.backend=postgres, which needs Liquibase, to create Quark's tables on the class "
                        + "path: add the dependency org.liquibase:liquibase-core (or set quark.postgres.initialize-schema=false "
                        + "and apply Quark's changelogs yourself)");
                assertThat(analysis.getAction()).startsWith("Add this dependency to the application (or set "
                        + "quark.postgres.initialize-schema=false and apply Quark's changelogs yourself), or select another "
                        + "backend than quark.reminders.backend=postgres:")
                    .contains("<artifactId>liquibase-core</artifactId>");
            });
    }

    @Test
    void postgresWithoutLiquibaseStartsWhenTheApplicationCreatesTheTables() {
        this.contextRunner.withPropertyValues("quark.reminders.backend=postgres", "quark.postgres.initialize-schema=false")
            .withClassLoader(new FilteredClassLoader("liquibase"))
            .run((context) -> assertThat(context).hasNotFailed().hasBean("remindersOnPostgres"));
    }

    @Test
    void aNamedStoreIsNamedInTheDescription() {
        this.contextRunner.withPropertyValues("quark.persistence.stores.audit.backend=redis")
            .withClassLoader(new FilteredClassLoader(RedisConnectionFactory.class))
            .run((context) -> assertThat(analysis(context).getDescription()).startsWith("Quark's 'state' area (store "
                    + "'audit') uses quark.persistence.stores.audit.backend=redis, which needs Spring Data Redis"));
    }

    private static FailureAnalysis analysis(AssertableApplicationContext context) {
        assertThat(context).hasFailed();
        assertThat(context.getStartupFailure()).rootCause().isInstanceOf(MissingBackendDependencyException.class);
        FailureAnalysis analysis = new MissingBackendDependencyFailureAnalyzer().analyze(context.getStartupFailure());
        assertThat(analysis).as("analysis of %s", context.getStartupFailure()).isNotNull();
        return analysis;
    }

    @Configuration(proxyBeanMethods = false)
    static class AreaBeans {

        @Bean
        @ConditionalOnQuarkBackend(area = "reminders", backend = QuarkBackend.REDIS)
        String remindersOnRedis() {
            return "redis";
        }

        @Bean
        @ConditionalOnQuarkBackend(area = "reminders", backend = QuarkBackend.POSTGRES)
        String remindersOnPostgres() {
            return "postgres";
        }

        @Bean
        @ConditionalOnQuarkBackend(area = "state", backend = QuarkBackend.REDIS)
        String stateOnRedis() {
            return "redis";
        }
    }
}
