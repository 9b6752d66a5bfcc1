package dev.quark.autoconfigure.backend;

import java.util.List;

import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;
import org.springframework.util.ClassUtils;

/**
 * The libraries each backend needs on the class path, whichever area uses it, and the dependency that brings
 * each one.
 */
public final class BackendDependencies {

    static final String INITIALIZE_SCHEMA_PROPERTY = "quark.postgres.initialize-schema";

    private static final String BOOT = "org.springframework.boot";

    private static final List<Dependency> DEPENDENCIES = List.of(
            new Dependency(QuarkBackend.REDIS, "org.springframework.data.redis.connection.RedisConnectionFactory",
                    "Spring Data Redis", BOOT, "spring-boot-starter-data-redis", false),
            new Dependency(QuarkBackend.POSTGRES, "org.springframework.jdbc.core.simple.JdbcClient", "Spring JDBC", BOOT,
                    "spring-boot-starter-jdbc", false),
            new Dependency(QuarkBackend.POSTGRES,
                    "org.springframework.boot.sql.init.dependency.DatabaseInitializationDependencyConfigurer",
                    "Spring Boot's SQL support", BOOT, "spring-boot-starter-jdbc", false),
            new Dependency(QuarkBackend.POSTGRES, "org.postgresql.Driver", "the PostgreSQL JDBC driver", "org.postgresql",
                    "postgresql", false),
            new Dependency(QuarkBackend.POSTGRES, "liquibase.Liquibase", "Liquibase, to create Quark's tables",
                    "org.liquibase", "liquibase-core", true));

    private BackendDependencies() {
    }

    /**
     * Fails when a library the selected backend needs is missing.
     * @param selection the backend and the property that chose it
     * @param classLoader the class loader to look in
     * @param environment the environment, for {@code quark.postgres.initialize-schema}
     * @throws MissingBackendDependencyException for the first missing library
     */
    public static void check(BackendSelection selection, ClassLoader classLoader, Environment environment) {
        for (Dependency dependency : DEPENDENCIES) {
            if (dependency.backend() == selection.backend()
                    && (!dependency.forSchemaInitialization() || initializesSchema(environment))
                    && !ClassUtils.isPresent(dependency.className(), classLoader)) {
                throw new MissingBackendDependencyException(selection, dependency.library(), dependency.groupId(),
                        dependency.artifactId(), dependency.forSchemaInitialization()
                                ? " (or set " + INITIALIZE_SCHEMA_PROPERTY + "=false and apply Quark's changelogs yourself)"
                                : "");
            }
        }
    }

    private static boolean initializesSchema(Environment environment) {
        return Binder.get(environment).bind(INITIALIZE_SCHEMA_PROPERTY, Boolean.class).orElse(true);
    }

    private record Dependency(QuarkBackend backend, String className, String library, String groupId, String artifactId,
            boolean forSchemaInitialization) {
    }
}
