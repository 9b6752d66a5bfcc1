package dev.quark.autoconfigure.postgres;

import dev.quark.jdbc.TablePrefix;

import org.springframework.beans.factory.InitializingBean;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Configuration of the PostgreSQL backends. The connection itself is the application's {@code DataSource}
 * ({@code spring.datasource.*}).
 */
@ConfigurationProperties(QuarkPostgresProperties.PREFIX)
public class QuarkPostgresProperties implements InitializingBean {

    static final String PREFIX = "quark.postgres";

    /**
     * Prefix of the names of Quark's tables: letters, digits and underscores, starting with a letter or an
     * underscore, at most 40 characters.
     */
    private String tablePrefix = "quark_";

    /**
     * Whether to create and upgrade Quark's tables at start-up by applying Quark's Liquibase changelogs. When
     * false, apply them with your own migration.
     */
    private boolean initializeSchema = true;

    public String getTablePrefix() {
        return this.tablePrefix;
    }

    public void setTablePrefix(String tablePrefix) {
        this.tablePrefix = tablePrefix;
    }

    public boolean isInitializeSchema() {
        return this.initializeSchema;
    }

    public void setInitializeSchema(boolean initializeSchema) {
        this.initializeSchema = initializeSchema;
    }

    /**
     * Returns the table prefix, validated.
     * @return the table prefix
     */
    public TablePrefix tablePrefix() {
        return new TablePrefix(this.tablePrefix);
    }

    /**
     * Rejects a table prefix PostgreSQL cannot use unquoted; the failure names the property.
     * @throws InvalidConfigurationPropertyValueException when the prefix is not allowed
     */
    @Override
    public void afterPropertiesSet() {
        String problem = TablePrefix.problem(this.tablePrefix);
        if (problem != null) {
            throw new InvalidConfigurationPropertyValueException(PREFIX + ".table-prefix", this.tablePrefix, problem);
        }
    }
}
