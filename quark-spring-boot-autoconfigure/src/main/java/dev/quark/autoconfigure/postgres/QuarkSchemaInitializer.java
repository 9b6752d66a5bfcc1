package dev.quark.autoconfigure.postgres;

import java.util.List;

import javax.sql.DataSource;

import dev.quark.jdbc.LiquibaseMigration;

import org.springframework.beans.factory.InitializingBean;

/**
 * Applies Quark's Liquibase changelogs to the application's database when it starts, before the beans that use
 * Quark's tables. Deliberately not a {@code SpringLiquibase} bean: Spring Boot's Liquibase auto-configuration
 * backs off when one exists, which would silently stop the application's own migration. The changesets are
 * recorded in the same {@code DATABASECHANGELOG} table as the application's.
 * <p>
 * Spring Boot's database initialization ordering knows it (through {@link QuarkSchemaInitializerDetector}), so
 * beans that depend on database initialization, such as JPA, wait for it too.
 */
public class QuarkSchemaInitializer implements InitializingBean {

    private final DataSource dataSource;

    private final List<LiquibaseMigration> migrations;

    /**
     * Creates an initializer.
     * @param dataSource the database
     * @param migrations the changelogs to apply, in order
     */
    public QuarkSchemaInitializer(DataSource dataSource, List<LiquibaseMigration> migrations) {
        this.dataSource = dataSource;
        this.migrations = List.copyOf(migrations);
    }

    /**
     * Applies the changelogs.
     * @throws IllegalStateException naming the changelog that failed
     */
    @Override
    public void afterPropertiesSet() {
        for (LiquibaseMigration migration : this.migrations) {
            migration.apply(this.dataSource);
        }
    }

    /**
     * Returns the changelogs this initializer applies.
     * @return the migrations
     */
    public List<LiquibaseMigration> getMigrations() {
        return this.migrations;
    }
}
