package dev.quark.autoconfigure.backend;

import javax.sql.DataSource;

import dev.quark.autoconfigure.QuarkProperties;
import dev.quark.autoconfigure.postgres.QuarkPostgresProperties;
import dev.quark.autoconfigure.redis.QuarkRedisProperties;

import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBooleanProperty;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Import;

/**
 * What every area's backends share: {@code quark.backend}, {@code quark.redis.*}, {@code quark.postgres.*} and
 * the {@link QuarkChangelogRunner} that applies the changelog of every area on PostgreSQL. The runner exists
 * whenever Liquibase is on the class path and {@code quark.postgres.initialize-schema} is on; with no
 * {@link QuarkChangelog} bean it does nothing and never asks for the {@code DataSource}.
 */
@AutoConfiguration(afterName = "org.springframework.boot.jdbc.autoconfigure.DataSourceAutoConfiguration")
@ConditionalOnBooleanProperty(name = "quark.enabled", matchIfMissing = true)
@EnableConfigurationProperties({ QuarkProperties.class, QuarkRedisProperties.class, QuarkPostgresProperties.class })
public final class QuarkBackendAutoConfiguration {

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(name = { "liquibase.Liquibase",
            "org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer" })
    @ConditionalOnBooleanProperty(name = BackendDependencies.INITIALIZE_SCHEMA_PROPERTY, matchIfMissing = true)
    @Import(DatabaseInitializationDependencyConfigurer.class)
    static class ChangelogRunnerConfiguration {

        @Bean
        @ConditionalOnMissingBean
        QuarkChangelogRunner quarkChangelogRunner(ObjectProvider<DataSource> dataSource,
                ObjectProvider<QuarkChangelog> changelogs, QuarkPostgresProperties postgres) {
            return new QuarkChangelogRunner(dataSource::getObject, postgres.tablePrefix(),
                    changelogs.orderedStream().toList());
        }
    }
}
