package dev.quark.state.jdbc;

import javax.sql.DataSource;

import dev.quark.state.StateWriteAttachment;

/**
 * Writes that {@link JdbcStateStore} makes in the transaction of a state's save: the state's row is written first,
 * then {@link #write()} runs, and both commit or roll back together. The writes go through Spring JDBC (or anything
 * that uses {@code DataSourceUtils}) on the store's {@code DataSource}, which the attachment names: the store refuses
 * an attachment of another one.
 */
public interface JdbcStateAttachment extends StateWriteAttachment {

    /**
     * Returns the database the writes go to.
     * @return the data source, the state store's
     */
    DataSource dataSource();

    /**
     * Makes the writes, in the transaction the state was just written in.
     */
    void write();
}
