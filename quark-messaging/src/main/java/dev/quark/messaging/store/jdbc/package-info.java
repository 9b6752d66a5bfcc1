/**
 * PostgreSQL outbox and inbox stores over Spring JDBC, which write in the caller's transaction on the same
 * {@code DataSource}; tables from the Liquibase changelog {@code db/changelog/quark/messaging.xml}.
 */
@NullMarked
package dev.quark.messaging.store.jdbc;

import org.jspecify.annotations.NullMarked;
