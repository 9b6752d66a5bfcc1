package dev.quark.autoconfigure.backend;

import java.util.List;
import java.util.function.Supplier;

import javax.sql.DataSource;

import dev.quark.jdbc.LiquibaseMigration;
import dev.quark.jdbc.TablePrefix;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import org.springframework.beans.factory.InitializingBean;

/**
 * Applies the {@link QuarkChangelog} of every area to the application's database when it starts, in
 * {@link QuarkChangelog#ORDER}, before the beans that use Quark's tables. Deliberately not a
 * {@code SpringLiquibase} bean: Spring Boot's Liquibase auto-configuration backs off when one exists, which would
 * silently stop the application's own migration. The changesets are recorded in the same
 * {@code DATABASECHANGELOG} table as the application's.
 * <p>
 * Spring Boot's database initialization ordering knows it (through {@link QuarkChangelogRunnerDetector}), so
 * beans annotated {@code @DependsOnDatabaseInitialization}, and those Spring Boot knows to depend on the database
 * (JDBC templates, JPA), are created after it.
 */
public class QuarkChangelogRunner implements InitializingBean {

    private static final Logger logger = LoggerFactory.getLogger(QuarkChangelogRunner.class);

    private final Supplier<DataSource> dataSource;

    private final TablePrefix tablePrefix;

    private final List<QuarkChangelog> changelogs;

    /**
     * Creates a runner.
     * @param dataSource the database, asked for only when there is a changelog to apply
     * @param tablePrefix the prefix of Quark's tables, passed to every changelog
     * @param changelogs the changelogs to apply, in any order
     */
    public QuarkChangelogRunner(Supplier<DataSource> dataSource, TablePrefix tablePrefix,
            List<QuarkChangelog> changelogs) {
        this.dataSource = dataSource;
        this.tablePrefix = tablePrefix;
        this.changelogs = changelogs.stream().distinct().sorted(QuarkChangelog.ORDER).toList();
    }

    /**
     * Applies the changelogs.
     * @throws IllegalStateException naming the changelog that failed
     */
    @Override
    public void afterPropertiesSet() {
        if (this.changelogs.isEmpty()) {
            return;
        }
        DataSource database = this.dataSource.get();
        for (QuarkChangelog changelog : this.changelogs) {
            logger.debug("Applying the changelog {} of Quark's '{}' area", changelog.location(), changelog.area());
            new LiquibaseMigration(changelog.location(), this.tablePrefix).apply(database);
        }
    }
}
